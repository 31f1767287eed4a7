import { get, Page } from '../api';
import { badge, facts, h, link, table, when } from '../dom';
import { PageFn } from '../view';

export const pipelines: PageFn = async () => {
  const list = await get<Page<any>>('/api/v1/pipelines?limit=200');
  return h('section', {},
    h('h1', {}, 'Pipelines'),
    table('Pipelines', ['pipeline', 'status', 'dataset', 'model', 'triggers', 'updated'], list.data, p => [
      link(`/pipelines/${p.id}`, p.id), badge(p.status), link(`/datasets/${p.dataset_id}`, p.dataset_id), p.model_name,
      JSON.stringify(p.triggers ?? {}), when(p.updated_at)]));
};

/** A pipeline: triggers, cooldown, gate, and the jobs it started with their outcome. */
export const pipeline: PageFn = async view => {
  const p = await get<any>(`/api/v1/pipelines/${encodeURIComponent(view.params[0])}`);
  const jobs = await get<Page<any>>('/api/v1/jobs?limit=200');
  const runs = jobs.data.filter(j => j.pipeline_id === p.id);
  return h('section', {},
    h('h1', {}, `Pipeline ${p.id}`),
    facts([['status', badge(p.status)], ['dataset', link(`/datasets/${p.dataset_id}`, p.dataset_id)],
      ['base model', p.base_model], ['model', p.model_name], ['method', p.method], ['runtime', p.runtime],
      ['cooldown', p.triggers?.cooldown ?? p.triggers?.cooldown_seconds ?? '—'], ['created', when(p.created_at)]]),
    h('h2', {}, 'Triggers'), h('pre', { tabindex: 0, 'aria-label': 'triggers' }, JSON.stringify(p.triggers, null, 2)),
    h('h2', {}, 'Gate'), h('pre', { tabindex: 0, 'aria-label': 'gate' }, JSON.stringify(p.gate, null, 2)),
    h('h2', {}, 'Runs'),
    table('Runs', ['job', 'state', 'dataset version', 'evaluation', 'started'], runs, j => [
      link(`/jobs/${j.id}`, j.id), badge(j.state), j.dataset_version, j.eval_outcome ?? '—', when(j.created_at)]));
};

