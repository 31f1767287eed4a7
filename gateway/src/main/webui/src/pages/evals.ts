import { get, Page } from '../api';
import { badge, facts, h, link, num, table, when } from '../dom';
import { PageFn } from '../view';

export const evals: PageFn = async () => {
  const list = await get<Page<any>>('/api/v1/evals?limit=200');
  return h('section', {},
    h('h1', {}, 'Evaluations'),
    table('Evaluations', ['evaluation', 'job', 'model', 'outcome', 'reason', 'when'], [...list.data].reverse(), e => [
      link(`/evals/${e.id}`, e.id), link(`/jobs/${e.job_id}`, e.job_id), e.model_name,
      badge(e.passed ? 'passed' : 'failed'), e.reason, when(e.created_at)]));
};

/** Candidate vs base vs champion with 95% intervals, each gate rule ✓/✗ with its numbers, wins and losses. */
export const evaluation: PageFn = async view => {
  const e = await get<any>(`/api/v1/evals/${encodeURIComponent(view.params[0])}`);
  const r = e.report ?? {};
  const subjects: [string, any][] = (['candidate', 'base', 'champion'] as const)
    .filter(s => r.subjects?.[s]).map(s => [s === 'champion' ? `champion v${r.subjects[s].version}` : s, r.subjects[s]]);
  const metricNames = [...new Set(subjects.flatMap(([, s]) => Object.keys(s.metrics ?? {})))];
  const cell = (s: any, m: string) => {
    const v = s.metrics?.[m];
    const ci = s.ci95?.[m];
    return ci ? `${num(v)} [${num(ci[0])}, ${num(ci[1])}]` : num(v);
  };
  const rules: any[] = r.gate ?? [];
  const samples = (kind: string, list: any[] | undefined) => h('div', {},
    h('h3', {}, kind),
    list && list.length ? list.map(s => h('article', { class: 'sample', 'aria-label': `${kind} example ${s.index}` },
      h('div', {}, h('h4', {}, 'reference'), h('pre', {}, s.reference)),
      h('div', {}, h('h4', {}, 'candidate'), h('pre', {}, s.candidate)),
      h('div', {}, h('h4', {}, 'base'), h('pre', {}, s.base))))
      : h('p', { class: 'empty' }, `${kind}: none.`));
  return h('section', {},
    h('h1', {}, `Evaluation ${e.id}`),
    facts([['outcome', badge(e.passed ? 'passed' : 'failed')], ['job', link(`/jobs/${e.job_id}`, e.job_id)],
      ['model', link(`/models/${encodeURIComponent(e.model_name)}`, e.model_name)], ['gate', e.gate],
      ['reason', e.reason], ['when', when(e.created_at)]]),
    h('h2', {}, 'Metrics (95% intervals)'),
    table('Metrics by subject', ['metric', ...subjects.map(([n]) => n)], metricNames,
      m => [m, ...subjects.map(([, s]) => cell(s, m))]),
    h('h2', {}, 'Gate'),
    rules.length ? h('ul', { class: 'rules', 'aria-label': 'gate rules' }, rules.map(rule =>
      h('li', { class: rule.skipped ? 'skipped' : rule.passed ? 'pass' : 'fail' },
        h('span', { 'aria-hidden': 'true' }, rule.skipped ? '–' : rule.passed ? '✓' : '✗'), ' ',
        h('span', { class: 'sr-only' }, rule.skipped ? 'skipped: ' : rule.passed ? 'passed: ' : 'failed: '),
        rule.explanation ?? rule.rule)))
      : h('p', { class: 'empty' }, 'No gate rules in the report.'),
    h('h2', {}, 'Samples against the base model'),
    samples('Wins', r.samples?.wins), samples('Losses', r.samples?.losses));
};
