import { get, Page, post } from '../api';
import { badge, facts, h, link, short, table, when } from '../dom';
import { lineageGraph } from '../lineage';
import { PageFn } from '../view';

export const models: PageFn = async () => {
  const list = await get<Page<any>>('/api/v1/models?limit=200');
  return h('section', {},
    h('h1', {}, 'Models'),
    table('Models', ['model', 'champion', 'latest version', 'aliases', 'updated'], list.data, m => [
      link(`/models/${encodeURIComponent(m.name)}`, m.name), m.champion != null ? `v${m.champion}` : 'none',
      m.latest_version != null ? `v${m.latest_version}` : '—',
      Object.entries(m.aliases ?? {}).map(([a, v]) => `${a} → v${v}`).join(', '), when(m.updated_at)]));
};

/** A model's versions and aliases; promote and rollback, each after a confirmation. */
export const model: PageFn = async view => {
  const name = view.params[0];
  const path = `/api/v1/models/${encodeURIComponent(name)}`;
  const [m, versions] = await Promise.all([get<any>(path), get<Page<any>>(`${path}/versions?limit=200`)]);
  const status = h('p', { role: 'status', id: 'model-status' });
  const act = async (question: string, action: () => Promise<unknown>, done: string) => {
    if (!await confirmDialog(question)) return;
    try {
      await action();
      status.textContent = done;
      const poll = setInterval(async () => {
        const now = await get<any>(path).catch(() => null);
        if (now && JSON.stringify(now.aliases) !== JSON.stringify(m.aliases)) { clearInterval(poll); view.refresh(); }
      }, 500);
      view.onLeave(() => clearInterval(poll));
    } catch (err) {
      status.textContent = `Failed: ${(err as Error).message}`;
    }
  };
  return h('section', {},
    h('h1', {}, `Model ${name}`),
    facts([['champion', m.champion != null ? `v${m.champion}` : 'none'],
      ['aliases', Object.entries(m.aliases ?? {}).map(([a, v]) => `${a} → v${v}`).join(', ') || 'none'],
      ['created', when(m.created_at)]]),
    h('div', { class: 'actions' },
      h('button', {
        type: 'button', disabled: m.champion == null,
        onclick: () => act(`Give champion of ${name} back to the previous champion?`,
          () => post(`${path}/rollback`), 'Rollback requested.'),
      }, 'Roll back champion'), status),
    table('Versions', ['version', 'status', 'aliases', 'job', 'artifact sha256', 'registered', 'actions'], versions.data, v => [
      link(`/models/${encodeURIComponent(name)}/versions/${v.version}`, `v${v.version}`), badge(v.status),
      (v.aliases ?? []).join(', '), link(`/jobs/${v.job_id}`, v.job_id), h('code', {}, short(v.artifact_sha256)),
      when(v.created_at),
      h('button', {
        type: 'button', 'aria-label': `Promote version ${v.version} to champion`,
        onclick: () => act(`Make version ${v.version} of ${name} the champion?`,
          () => post(`${path}/promote`, { version: v.version, alias: 'champion' }), `Promotion of v${v.version} requested.`),
      }, 'Promote')]));
};

/** A modal confirmation (the native dialog element: focus is trapped in it and Escape cancels). */
function confirmDialog(question: string): Promise<boolean> {
  return new Promise(resolve => {
    const dialog = h('dialog', { 'aria-labelledby': 'confirm-question', class: 'confirm' },
      h('p', { id: 'confirm-question' }, question),
      h('form', { method: 'dialog' },
        h('button', { value: 'cancel', type: 'submit' }, 'Cancel'),
        h('button', { value: 'ok', type: 'submit', class: 'primary' }, 'Confirm')));
    document.body.appendChild(dialog);
    dialog.addEventListener('close', () => { resolve(dialog.returnValue === 'ok'); dialog.remove(); });
    dialog.showModal();
  });
}

/** A version's model card and its lineage graph: upload bytes → dataset version → job → version → aliases. */
export const modelVersion: PageFn = async view => {
  const [name, version] = view.params;
  const path = `/api/v1/models/${encodeURIComponent(name)}/versions/${version}`;
  const [card, lineage] = await Promise.all([get<any>(path), get<any>(`${path}/lineage`)]);
  const nodes = [
    { id: 'upload', kind: 'upload', label: lineage.upload?.object_key?.split('/').pop() ?? 'upload', digest: lineage.upload?.sha256 },
    { id: 'dataset', kind: 'dataset version', label: `${lineage.dataset_version.name} v${lineage.dataset_version.version}`,
      digest: lineage.dataset_version.content_sha256, href: `#/datasets/${lineage.dataset_version.dataset_id}` },
    { id: 'base', kind: 'base model', label: lineage.job.base_model?.name ?? '?', digest: lineage.job.base_model?.sha256 },
    { id: 'job', kind: 'job', label: lineage.job.id, digest: lineage.job.artifact_sha256, href: `#/jobs/${lineage.job.id}` },
    { id: 'version', kind: 'model version', label: `${name} v${version}`, digest: lineage.model.artifact_sha256 },
    ...(card.aliases ?? []).map((a: string) => ({ id: `alias-${a}`, kind: 'alias', label: a })),
  ];
  const edges: [string, string][] = [['upload', 'dataset'], ['dataset', 'job'], ['base', 'job'], ['job', 'version'],
    ...(card.aliases ?? []).map((a: string) => ['version', `alias-${a}`] as [string, string])];
  return h('section', {},
    h('h1', {}, `${name} v${version}`),
    h('h2', {}, 'Lineage'),
    h('div', { class: 'graph' }, lineageGraph(nodes, edges)),
    h('h2', {}, 'Model card'),
    facts([['status', badge(card.status)], ['aliases', (card.aliases ?? []).join(', ') || 'none'],
      ['base model', `${card.base_model?.name ?? '?'} (sha256 ${short(card.base_model?.sha256)})`],
      ['method', card.method], ['dataset', card.dataset ? `${card.dataset.name} v${card.dataset.version}` : null],
      ['artifact sha256', h('code', {}, card.artifact_sha256)], ['requested by', card.training?.requested_by],
      ['registered', when(card.registered_at)],
      ['evaluation', card.eval ? link(`/evals/${card.eval.id}`, `${card.eval.id} (${card.eval.passed ? 'passed' : 'failed'})`) : null]]),
    h('h3', {}, 'Hyperparameters'),
    h('pre', { tabindex: 0, 'aria-label': 'hyperparameters' }, JSON.stringify(card.hyperparameters, null, 2)));
};
