import { ApiError, get, Page, upload } from '../api';
import { badge, Child, facts, h, link, num, short, table, when } from '../dom';
import { field, PageFn, View } from '../view';

/** Datasets and an upload with a progress bar; after it, the dataset's page shows the validation report. */
export const datasets: PageFn = async view => {
  const list = await get<Page<any>>('/api/v1/datasets?limit=200');
  return h('section', {},
    h('h1', {}, 'Datasets'),
    uploadForm(view),
    table('Datasets', ['dataset', 'name', 'format', 'status', 'version', 'examples', 'uploaded'], list.data, d => [
      link(`/datasets/${d.id}`, d.id), d.name, d.format, badge(d.status), d.version ?? '—', d.examples ?? '—',
      when(d.created_at)]));
};

/** The upload: a progress bar while the bytes go, then the validation report once dataset-service has one. */
function uploadForm(view: View): HTMLElement {
  const name = h('input', { id: 'upload-name', name: 'name', required: true, pattern: '[A-Za-z0-9._-]+' });
  const format = h('select', { id: 'upload-format', name: 'format' },
    ['chat', 'alpaca', 'completion', 'preference'].map(f => h('option', { value: f }, f)));
  const baseModel = h('input', { id: 'upload-base-model', name: 'base_model', placeholder: 'tiny-llama' });
  const file = h('input', { id: 'upload-file', name: 'file', type: 'file', accept: '.jsonl,.json,.txt', required: true });
  const progress = h('progress', { id: 'upload-progress', max: 1, value: 0, 'aria-label': 'upload progress' });
  const status = h('p', { role: 'status', id: 'upload-status' });
  const result = h('div', { id: 'upload-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'upload-title' },
    h('h2', { id: 'upload-title' }, 'Upload a dataset'),
    h('label', { for: 'upload-name' }, 'Name'), name,
    h('label', { for: 'upload-format' }, 'Format'), format,
    h('label', { for: 'upload-base-model' }, 'Base model (counts tokens with its tokenizer; optional)'), baseModel,
    h('label', { for: 'upload-file' }, 'JSONL file'), file,
    h('button', { type: 'submit' }, 'Upload'), progress, status, result);
  form.addEventListener('submit', async e => {
    e.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return;
    const q = new URLSearchParams({ name: name.value, format: format.value });
    if (baseModel.value.trim()) q.set('base_model', baseModel.value.trim());
    status.textContent = 'Uploading…';
    result.replaceChildren();
    progress.value = 0;
    try {
      const accepted = await upload<any>(`/api/v1/datasets?${q}`, chosen, f => { progress.value = f; });
      status.textContent = `Uploaded ${accepted.id} (sha256 ${short(accepted.sha256)}); validating…`;
      let d = await get<any>(`/api/v1/datasets/${accepted.id}`);
      let here = true;
      view.onLeave(() => { here = false; });
      while (d.status === 'validating' && here) {
        await new Promise(resolve => setTimeout(resolve, 1000));
        d = await get<any>(`/api/v1/datasets/${accepted.id}`);
      }
      status.textContent = `${accepted.id} is ${d.status}.`;
      result.replaceChildren(h('p', {}, badge(d.status), ' ', link(`/datasets/${d.id}`, `Open dataset ${d.name}`)),
        d.reason ? h('p', {}, d.reason) : '', d.report ? report('Validation report', d.report) : '');
    } catch (err) {
      status.textContent = `Upload failed: ${(err as Error).message}`;
    }
  });
  return form;
}

/** One dataset: its state, the validation report (polled while it validates) and its versions. */
export const dataset: PageFn = async view => {
  const id = view.params[0];
  const d = await get<any>(`/api/v1/datasets/${encodeURIComponent(id)}`);
  if (d.status === 'validating') {
    const timer = setTimeout(view.refresh, 1000);
    view.onLeave(() => clearTimeout(timer));
  }
  let versions: any[] = [];
  try {
    versions = (await get<Page<any>>(`/api/v1/datasets/${encodeURIComponent(id)}/versions?limit=200`)).data;
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
  return h('section', {},
    h('h1', {}, `Dataset ${d.name}`),
    facts([['id', d.id], ['status', badge(d.status)], ['format', d.format], ['purpose', d.purpose],
      ['upload sha256', h('code', {}, d.sha256)], ['size', `${d.size_bytes} bytes`], ['examples', d.examples],
      ['reason', d.reason], ['uploaded', when(d.created_at)]]),
    d.status === 'validating' ? h('p', { role: 'status' }, 'Validating…') : null,
    d.report ? report('Validation report', d.report) : null,
    h('h2', {}, 'Versions'),
    versions.length ? null : h('p', { class: 'empty' }, d.status === 'rejected'
      ? 'No versions: the upload was rejected.' : 'No versions yet.'),
    versions.map(v => h('article', { class: 'card', 'aria-label': `version ${v.version}` },
      h('h3', {}, `Version ${v.version}`),
      facts([['content sha256', h('code', {}, short(v.content_sha256))], ['train examples', v.train_examples],
        ['validation examples', v.validation_examples], ['new examples', v.new_examples],
        ['parent version', v.parent_version], ['created', when(v.created_at)]]),
      v.token_stats ? tokenHistogram(v.token_stats) : null,
      v.report ? report(`Report of version ${v.version}`, v.report) : null)));
};

/** Every counter with its first line numbers, warnings, duplicates and decontamination removed. */
function report(title: string, r: any): HTMLElement {
  const findings = (kind: string, list: any[] | undefined): Child =>
    list && list.length
      ? table(kind, ['check', 'count', 'first lines', 'what'], list, f => [
        h('code', {}, f.code), f.count, (field(f, 'first_lines') ?? []).join(', '), f.description])
      : h('p', { class: 'empty' }, `${kind}: none.`);
  const tokens = r.tokens;
  return h('article', { class: 'card report', 'aria-label': title },
    h('h3', {}, title),
    facts([['format', r.format], ['lines read', r.lines], ['examples kept', r.examples],
      ['billed tokens per epoch', field(r, 'billed_tokens')]]),
    findings('Errors', r.errors),
    findings('Warnings (duplicates and decontamination removals included)', r.warnings),
    tokens ? tokenHistogram(tokens) : null,
    field(r, 'validation_file') ? report('Validation file', field(r, 'validation_file')) : null);
}

/**
 * Token lengths per example: the report's histogram (examples per length bucket, the last ending at the model's
 * context window), with min, median, p95 and max beside it. A report made before the histogram shows the four.
 */
function tokenHistogram(t: any): HTMLElement {
  const buckets: { up_to: number; examples: number }[] = t.histogram ?? [];
  const bars: [string, number][] = buckets.length > 0
    ? buckets.map((b, i): [string, number] => [`${i === 0 ? 0 : buckets[i - 1].up_to + 1}–${b.up_to}`, b.examples])
    : [['min', t.min], ['median', t.p50], ['p95', t.p95], ['max', t.max]];
  const top = Math.max(1, ...bars.map(([, v]) => v ?? 0));
  return h('figure', { class: 'histogram', 'aria-label': 'token lengths per example' },
    h('figcaption', {}, `Token lengths per example: min ${t.min}, median ${t.p50}, p95 ${t.p95}, max ${t.max}`
      + ` (total ${t.total}, truncated ${t.truncated})`),
    bars.map(([label, v]) => h('div', { class: 'bar-row' },
      h('span', { class: 'bar-label' }, label),
      h('span', { class: 'bar', style: `width:${(100 * (v ?? 0)) / top}%` }),
      h('span', { class: 'bar-value' }, num(v, 0)))));
}
