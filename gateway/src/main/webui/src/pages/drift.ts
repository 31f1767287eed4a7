import { get, Page } from '../api';
import { distributionChart, metricChart, MetricSeries } from '../chart';
import { h, link, num, table, when } from '../dom';
import { PageFn } from '../view';

/** A window of GET /api/v1/models/{name}/drift. */
interface DriftWindow {
  window_id: string;
  window_start: string | null;
  window_end: string | null;
  observations: number;
  metrics: { metric: string; statistic: number | null; score: number | null; threshold: number; crossed: boolean }[];
  detected: string[] | null;
  has_report: boolean;
  measured_at: string;
}

interface VersionDrift {
  version: number;
  windows: DriftWindow[];
  detections: { window_id: string; window_end: string | null; metrics: string[] }[];
}

/**
 * Drift of a model version (#/drift?model=&version=&window=): each metric over time with its threshold and the windows
 * that opened an episode, the windows as a table, and for the chosen window (by default the latest with a report) the
 * reference vs current distributions of its report.
 */
export const drift: PageFn = async view => {
  const models = (await get<Page<any>>('/api/v1/models?limit=200')).data.map(m => m.name as string);
  const section = h('section', {}, h('h1', {}, 'Drift'));
  if (models.length === 0) {
    section.append(h('p', { class: 'empty', role: 'status' }, 'No models yet.'));
    return section;
  }
  const model = models.includes(view.query.get('model') ?? '') ? view.query.get('model')! : models[0];
  const history = await get<{ versions: VersionDrift[] }>(`/api/v1/models/${encodeURIComponent(model)}/drift`);
  const versions = history.versions;
  const wanted = Number(view.query.get('version'));
  const chosen = versions.find(v => v.version === wanted) ?? versions[versions.length - 1];
  const go = (m: string, v?: number, w?: string) => {
    const q = new URLSearchParams({ model: m });
    if (v !== undefined) q.set('version', String(v));
    if (w !== undefined) q.set('window', w);
    location.hash = `#/drift?${q}`;
  };
  section.append(h('div', { class: 'picker' },
    h('label', { for: 'drift-model' }, 'Model'),
    h('select', { id: 'drift-model', onchange: (e: Event) => go((e.target as HTMLSelectElement).value) },
      models.map(m => h('option', { value: m, selected: m === model }, m))),
    versions.length > 0 && [
      h('label', { for: 'drift-version' }, 'Version'),
      h('select', { id: 'drift-version', onchange: (e: Event) => go(model, Number((e.target as HTMLSelectElement).value)) },
        versions.map(v => h('option', { value: v.version, selected: v === chosen }, `v${v.version}`)))]));
  if (!chosen) {
    section.append(h('p', { class: 'empty', role: 'status' }, `No drift measured for ${model} yet.`));
    return section;
  }

  const windows = chosen.windows;
  section.append(h('h2', {}, `${model} v${chosen.version}: metrics over time`),
    h('p', { class: 'hint' }, `${windows.length} windows; dashed: threshold; red points: a drift episode opened.`),
    h('div', { class: 'charts' }, series(windows).map(metricChart)));

  const windowId = view.query.get('window');
  const shown = windows.find(w => w.window_id === windowId)
    ?? [...windows].reverse().find(w => w.has_report) ?? windows[windows.length - 1];
  section.append(table('Windows', ['window', 'end', 'observations', 'over threshold', 'episode opened', 'distributions'],
    [...windows].reverse(), w => [
      w === shown ? h('strong', {}, w.window_id) : w.window_id, when(w.window_end), w.observations,
      w.metrics.filter(m => m.crossed).map(m => m.metric).join(', ') || 'none',
      w.detected ? w.detected.join(', ') : '',
      w.has_report ? windowLink(model, chosen.version, w.window_id) : 'no report']));

  section.append(h('h2', {}, `Window ${shown.window_id}`),
    table('Metrics of the window', ['metric', 'statistic', 'score', 'threshold', 'crossed'], shown.metrics, m => [
      m.metric, num(m.statistic), num(m.score), num(m.threshold), m.crossed ? 'yes' : 'no']),
    h('h3', {}, 'Reference vs current'),
    await distributions(model, shown));
  return section;
};

function windowLink(model: string, version: number, windowId: string): HTMLElement {
  const a = link(`/drift?${new URLSearchParams({ model, version: String(version), window: windowId })}`, windowId);
  a.setAttribute('aria-label', `Show the distributions of window ${windowId}`);
  return a;
}

/** One series per metric, in the order the windows name them. */
function series(windows: DriftWindow[]): MetricSeries[] {
  const names = [...new Set(windows.flatMap(w => w.metrics.map(m => m.metric)))];
  return names.map(metric => {
    const s: MetricSeries = { metric, times: [], scores: [], thresholds: [], detected: [] };
    for (const w of windows) {
      const m = w.metrics.find(x => x.metric === metric);
      if (!m || !w.window_end) continue;
      s.times.push(Date.parse(w.window_end) / 1000);
      s.scores.push(m.score);
      s.thresholds.push(m.threshold);
      s.detected.push(w.detected?.includes(metric) ?? false);
    }
    return s;
  });
}

/** The window report's distributions, each drawn if it has reference and current counts. */
async function distributions(model: string, w: DriftWindow): Promise<Node> {
  if (!w.has_report) return h('p', { class: 'empty' }, 'This window has no report.');
  const report = await get<any>(`/api/v1/models/${encodeURIComponent(model)}/drift/${encodeURIComponent(w.window_id)}/report`);
  const drawn = Object.entries<any>(report?.distributions ?? {})
    .filter(([, d]) => Array.isArray(d?.reference) && Array.isArray(d?.current))
    .map(([name, d]) => distributionChart(name, Array.isArray(d.edges) ? d.edges : undefined, d.reference, d.current));
  return drawn.length ? h('div', { class: 'charts' }, drawn)
    : h('p', { class: 'empty' }, 'The report of this window has no distributions.');
}
