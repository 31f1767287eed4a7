import { get, Page } from '../api';
import { badge, h, link, num, table, when } from '../dom';
import { PageFn } from '../view';

/** Running jobs, recent evaluations, each model's champion, open drift alerts. */
export const overview: PageFn = async () => {
  const [running, evals, models] = await Promise.all([
    get<Page<any>>('/api/v1/jobs?state=running&limit=20'),
    get<Page<any>>('/api/v1/evals?limit=200'),
    get<Page<any>>('/api/v1/models?limit=50'),
  ]);
  const recent = evals.data.slice(-5).reverse();
  return h('section', {},
    h('h1', {}, 'Overview'),
    h('h2', {}, 'Running jobs'),
    table('Running jobs', ['job', 'model', 'step', 'loss', 'ETA'], running.data, j => [
      link(`/jobs/${j.id}`, j.id), j.model_name,
      j.progress ? `${j.progress.step} / ${j.progress.total_steps}` : '—',
      num(j.progress?.train_loss), j.progress?.eta_seconds != null ? `${j.progress.eta_seconds} s` : '—']),
    h('h2', {}, 'Recent evaluations'),
    table('Recent evaluations', ['evaluation', 'model', 'outcome', 'when'], recent, e => [
      link(`/evals/${e.id}`, e.id), e.model_name, badge(e.passed ? 'passed' : 'failed'), when(e.created_at)]),
    h('h2', {}, 'Champions'),
    table('Champions', ['model', 'champion', 'latest'], models.data, m => [
      link(`/models/${encodeURIComponent(m.name)}`, m.name), m.champion != null ? `v${m.champion}` : 'none', `v${m.latest_version ?? '—'}`]),
    h('h2', {}, 'Drift alerts'),
    h('p', { class: 'empty' }, 'No open drift alerts: no observations yet.'));
};
