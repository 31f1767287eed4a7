import './style.css';
import { ApiError, get, session } from './api';
import { h, link } from './dom';
import { dataset, datasets } from './pages/datasets';
import { evals, evaluation } from './pages/evals';
import { job, jobs } from './pages/jobs';
import { model, models, modelVersion } from './pages/models';
import { overview } from './pages/overview';
import { drift } from './pages/drift';
import { pipeline, pipelines } from './pages/pipelines';
import { signIn } from './pages/signin';
import { PageFn } from './view';

/** Hash routes (the gateway serves this one page at /; the API is under /api). */
const ROUTES: [RegExp, PageFn][] = [
  [/^\/$/, overview],
  [/^\/datasets$/, datasets],
  [/^\/datasets\/([^/]+)$/, dataset],
  [/^\/jobs$/, jobs],
  [/^\/jobs\/([^/]+)$/, job],
  [/^\/evals$/, evals],
  [/^\/evals\/([^/]+)$/, evaluation],
  [/^\/models$/, models],
  [/^\/models\/([^/]+)$/, model],
  [/^\/models\/([^/]+)\/versions\/(\d+)$/, modelVersion],
  [/^\/pipelines$/, pipelines],
  [/^\/pipelines\/([^/]+)$/, pipeline],
  [/^\/drift$/, drift],
];

const NAV: [string, string][] = [['/', 'Overview'], ['/datasets', 'Datasets'], ['/jobs', 'Jobs'],
  ['/evals', 'Evaluations'], ['/models', 'Models'], ['/pipelines', 'Pipelines'], ['/drift', 'Drift']];

const app = document.getElementById('app')!;
let leaving: (() => void)[] = [];
let who = '';

async function render(): Promise<void> {
  leaving.forEach(stop => stop());
  leaving = [];
  if (!session.key()) {
    app.replaceChildren(signIn(() => { who = ''; render(); }));
    return;
  }
  const [route, queryString = ''] = (location.hash.slice(1) || '/').split('?');
  const found = ROUTES.map(([re, page]) => [route.match(re), page] as const).find(([m]) => m);
  const main = h('main', { id: 'main', tabindex: -1 }, h('p', { role: 'status' }, 'Loading…'));
  app.replaceChildren(shell(route), main);
  if (!found) {
    main.replaceChildren(notFound(`There is no page ${route}.`));
    return;
  }
  const [match, page] = found;
  const mine: (() => void)[] = [];
  leaving = mine;
  try {
    if (!who) {
      const me = await get<any>('/api/v1/me');
      who = `project ${me.project_id} · ${me.role}${me.platform_admin ? ' · platform admin' : ''}`;
      document.getElementById('who')!.textContent = who;
    }
    const content = await page({
      params: match!.slice(1).map(decodeURIComponent),
      query: new URLSearchParams(queryString),
      onLeave: stop => mine.push(stop),
      refresh: () => { if (leaving === mine) render(); },
    });
    if (leaving === mine) main.replaceChildren(content);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      session.signOut();
      app.replaceChildren(signIn(() => render(), `Signed out: ${err.message}`));
    } else if (err instanceof ApiError && err.status === 404) {
      main.replaceChildren(notFound(err.message));
    } else {
      main.replaceChildren(h('h1', {}, 'Something went wrong'), h('p', { role: 'alert', class: 'error' }, (err as Error).message));
    }
  }
}

function notFound(detail: string): Node {
  return h('section', {}, h('h1', {}, 'Not found'), h('p', { role: 'alert', class: 'error' }, detail));
}

function shell(route: string): HTMLElement {
  const section = '/' + (route.split('/')[1] ?? '');
  return h('header', {},
    h('a', {
      href: '#main', class: 'skip',
      onclick: (e: Event) => { e.preventDefault(); document.getElementById('main')?.focus(); },
    }, 'Skip to content'),
    h('span', { class: 'brand' }, 'tuneforge'),
    h('nav', { 'aria-label': 'main' }, NAV.map(([path, label]) => {
      const a = link(path, label);
      if (path === section) a.setAttribute('aria-current', 'page');
      return a;
    })),
    h('span', { id: 'who', class: 'who' }, who),
    h('button', { type: 'button', onclick: () => { session.signOut(); who = ''; location.hash = '#/'; render(); } }, 'Sign out'));
}

window.addEventListener('hashchange', () => render());
render();
