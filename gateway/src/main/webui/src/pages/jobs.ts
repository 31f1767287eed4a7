import { ApiError, get, Page, post, stream } from '../api';
import { LossCurve } from '../chart';
import { badge, facts, h, link, num, short, table, when } from '../dom';
import { field, PageFn } from '../view';

const STATES = ['', 'queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled'];

/** Jobs, filtered by state, and a form to start one. */
export const jobs: PageFn = async view => {
  const state = view.query.get('state') ?? '';
  const list = await get<Page<any>>(`/api/v1/jobs?limit=200${state ? `&state=${state}` : ''}`);
  const filter = h('select', { id: 'job-state', name: 'state' },
    STATES.map(s => h('option', { value: s, selected: s === state }, s || 'any state')));
  filter.addEventListener('change', () => { location.hash = `#/jobs${filter.value ? `?state=${filter.value}` : ''}`; });
  return h('section', {},
    h('h1', {}, 'Jobs'),
    h('p', {}, h('label', { for: 'job-state' }, 'State '), filter),
    table('Jobs', ['job', 'state', 'model', 'base model', 'dataset', 'step', 'created'], list.data, j => [
      link(`/jobs/${j.id}`, j.id), badge(j.state), j.model_name, j.base_model,
      link(`/datasets/${j.dataset_id}`, `${j.dataset_id} v${j.dataset_version ?? '?'}`),
      j.progress ? `${j.progress.step} / ${j.progress.total_steps}` : '—', when(j.created_at)]),
    startForm());
};

function startForm(): HTMLElement {
  const input = (id: string, label: string, attrs: Record<string, string | number | boolean> = {}) =>
    [h('label', { for: id }, label), h('input', { id, name: id, ...attrs })];
  const status = h('p', { role: 'status', id: 'job-start-status' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'job-start-title' },
    h('h2', { id: 'job-start-title' }, 'Start a fine-tuning job'),
    input('job-base-model', 'Base model', { required: true, value: 'tiny-llama' }),
    input('job-dataset', 'Dataset id', { required: true }),
    input('job-model-name', 'Model name', { required: true }),
    input('job-max-steps', 'Max steps', { type: 'number', min: 1, value: 30 }),
    input('job-batch-size', 'Batch size (empty: auto)', { type: 'number', min: 1 }),
    h('button', { type: 'submit' }, 'Start job'), status);
  form.addEventListener('submit', async e => {
    e.preventDefault();
    const value = (id: string) => (form.querySelector(`#${id}`) as HTMLInputElement).value.trim();
    try {
      const job = await post<any>('/api/v1/jobs', {
        base_model: value('job-base-model'), dataset_id: value('job-dataset'), model_name: value('job-model-name'),
        hyperparameters: {
          max_steps: Number(value('job-max-steps')),
          ...(value('job-batch-size') ? { batch_size: Number(value('job-batch-size')) } : {}),
        },
      });
      // The job is in the read model once its own TrainingRequested is projected, a moment later.
      status.textContent = `Job ${job.id} requested; waiting for it to be queued…`;
      for (let i = 0; i < 120 && !await exists(`/api/v1/jobs/${job.id}`); i++) {
        await new Promise(resolve => setTimeout(resolve, 250));
      }
      location.hash = `#/jobs/${job.id}`;
    } catch (err) {
      status.textContent = `Could not start the job: ${(err as Error).message}`;
    }
  });
  return form;
}

async function exists(path: string): Promise<boolean> {
  try {
    await get(path);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return false;
    throw err;
  }
}

/** One job: live loss curve over SSE, learning rate, tokens/s, ETA, checkpoints, the recipe, cancel/pause/resume. */
export const job: PageFn = async view => {
  const id = view.params[0];
  const path = `/api/v1/jobs/${encodeURIComponent(id)}`;
  const [j, metrics, checkpoints] = await Promise.all([
    get<any>(path), get<Page<any>>(`${path}/metrics`), get<Page<any>>(`${path}/checkpoints`)]);
  const curve = new LossCurve(`loss curve of job ${id}: train and validation loss by step`);
  for (const m of metrics.data) curve.add(m.step, m.train_loss, m.valid_loss ?? null);
  const live = h('dl', { class: 'facts live', 'aria-live': 'polite' });
  const stateBadge = h('span', {}, badge(j.state));
  const showProgress = (p: any) => {
    if (!p) return;
    live.replaceChildren(...[
      ['step', `${field(p, 'step')} / ${field(p, 'total_steps')}`],
      ['train loss', num(field(p, 'train_loss'))],
      ['validation loss', num(field(p, 'valid_loss'))],
      ['learning rate', num(field(p, 'learning_rate'), 8)],
      ['tokens/s', num(field(p, 'tokens_per_second'), 1)],
      ['ETA', field(p, 'eta_seconds') != null ? `${field(p, 'eta_seconds')} s` : '—'],
    ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  };
  showProgress(j.progress);
  const checkpointSteps = new Set(checkpoints.data.map(c => c.step));
  const checkpointList = h('ul', { 'aria-label': 'checkpoints' },
    checkpoints.data.map(c => h('li', {}, `step ${c.step} — sha256 ${short(c.sha256)}`)));
  const ENDED = ['succeeded', 'failed', 'cancelled'];
  // A job that has ended takes no more commands: no buttons to offer, from the load or from the live state on.
  const actions = h('div', { class: 'actions' });
  if (!ENDED.includes(j.state)) {
    // Event types are dev.tuneforge.training.<what>.v1.
    const states: Record<string, string> = { started: 'running', resumed: 'running', paused: 'paused',
      finished: 'succeeded', failed: 'failed', cancelled: 'cancelled' };
    const stop = stream(`${path}/events`, (type, event) => {
      const data = event.data ?? {};
      const [, , topic, what] = type.split('.');
      if (topic !== 'training') return;
      if (what === 'progress') {
        curve.add(data.step, data.trainLoss ?? null, data.validLoss ?? null);
        showProgress(data);
      } else if (what === 'checkpoint-saved' && !checkpointSteps.has(data.step)) { // the stream replays from the start
        checkpointSteps.add(data.step);
        checkpointList.appendChild(h('li', {}, `step ${data.step} — sha256 ${short(data.sha256)}`));
      } else if (states[what]) {
        stateBadge.replaceChildren(badge(states[what]));
        if (ENDED.includes(states[what])) actions.replaceChildren();
      }
    });
    view.onLeave(stop);
  }
  view.onLeave(() => curve.destroy());
  const command = (name: string) => h('button', {
    type: 'button', onclick: async () => {
      try {
        await post(`${path}/${name}`);
        message.textContent = `${name} sent`;
      } catch (err) {
        message.textContent = `${name} failed: ${(err as Error).message}`;
      }
    },
  }, `${name[0].toUpperCase()}${name.slice(1)} job`);
  const message = h('p', { role: 'status' });
  if (!ENDED.includes(j.state)) actions.append(command('pause'), command('resume'), command('cancel'), message);
  return h('section', {},
    h('h1', {}, `Job ${id}`),
    h('p', {}, 'State: ', stateBadge),
    actions,
    h('h2', {}, 'Loss'),
    curve.element,
    live,
    facts([['model name', j.model_name], ['base model', j.base_model],
      ['dataset', link(`/datasets/${j.dataset_id}`, `${j.dataset_id} v${j.dataset_version ?? '?'}`)],
      ['method', j.method], ['runtime', j.runtime], ['attempt', j.attempt], ['failure', j.failure_message],
      ['artifact sha256', j.artifact_sha256 ? h('code', {}, j.artifact_sha256) : null],
      ['evaluation', j.eval_id ? link(`/evals/${j.eval_id}`, `${j.eval_id} (${j.eval_outcome ?? '…'})`) : null],
      ['created', when(j.created_at)], ['finished', j.finished_at ? when(j.finished_at) : null]]),
    h('h2', {}, 'Checkpoints'), checkpointList,
    h('h2', {}, 'Resolved recipe'),
    h('pre', { tabindex: 0, 'aria-label': 'resolved recipe' }, JSON.stringify(j.hyperparameters, null, 2)));
};
