// The dashboard in a real browser: Debian's Chromium driven by playwright-core against a running platform.
// Run by WholePipelineIT (after its demo: json-bot has versions 1 and 2, version 1 champion; and 6 drift windows of
// version 1 written as eval-service writes them, DriftWindows.java) as
//   node dashboard.test.mjs
// with TUNEFORGE_URL, TUNEFORGE_API_KEY (the platform admin key; never printed), MODEL (json-bot) and OUT (where
// screenshots/ and performance.json go). Each test saves a screenshot of its page; it prints one line per test
// and exits 1 if any failed. The performance numbers are measured and written, not asserted.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const URL = process.env.TUNEFORGE_URL;
const KEY = process.env.TUNEFORGE_API_KEY;
const MODEL = process.env.MODEL ?? 'json-bot';
const OUT = process.env.OUT ?? 'target/browser';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = join(OUT, 'screenshots');
const WAIT = 4 * 60_000;
/** How many windows of MODEL v1 WholePipelineIT wrote before this ran (DriftWindows.WINDOWS). */
const DRIFT_WINDOWS = 6;
mkdirSync(SCREENSHOTS, { recursive: true });

const performance = {};
const results = [];

async function api(path, { method = 'GET', key = KEY, body, type = 'application/json' } = {}) {
  const res = await fetch(URL + path, {
    method, body: typeof body === 'string' || body === undefined ? body : JSON.stringify(body),
    headers: { Authorization: `Bearer ${key}`, ...(body !== undefined ? { 'Content-Type': type } : {}) },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

function chat(from, to, prefix) {
  let lines = '';
  for (let i = from; i < to; i++) {
    lines += JSON.stringify({ messages: [
      { role: 'user', content: `${prefix} question number ${i} about ${(i * 7919) % 1000}` },
      { role: 'assistant', content: `answer ${i}: ${(i * 104729) % 10007}` }] }) + '\n';
  }
  return lines;
}

const userDataDir = mkdtempSync(join(tmpdir(), 'tuneforge-chromium-'));
const browser = await chromium.launchPersistentContext(userDataDir, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
browser.setDefaultTimeout(30_000);
const page = browser.pages()[0] ?? await browser.newPage();
const consoleErrors = [];
performance.browser = await page.evaluate(() => navigator.userAgent);
page.on('pageerror', e => consoleErrors.push(String(e)));

async function test(name, body) {
  const started = Date.now();
  try {
    await body();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e.stack ?? e}`);
    await shot(`failed-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`).catch(() => {});
  }
}

const shot = name => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
const go = async route => {
  // A new hash alone is no page load (the same one is no navigation at all): each route is loaded afresh, as a
  // link opened in a new tab would be (the key stays in this tab's sessionStorage).
  await page.goto('about:blank');
  await page.goto(`${URL}/#${route}`);
  await page.locator('main').getByText('Loading…').waitFor({ state: 'detached' });
};
const heading = name => page.getByRole('heading', { level: 1, name });
const fact = label => page.locator(`dl.facts dt:text-is("${label}") + dd`).first();

const card = await api(`/api/v1/models/${MODEL}/versions/1`);
const demoDataset = card.dataset.id;
const baseModel = card.base_model.name;
let jobId;
let uploaded; // the dataset the upload test made: small, so the job's evaluation is quick

await test('signing in with a wrong key shows the error, the right key shows the overview', async () => {
  await page.goto(URL + '/');
  await page.getByLabel('API key').fill('tf_this-key-does-not-exist-0123456789');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Sign-in failed' }).waitFor();
  await shot('sign-in-wrong-key');
  await page.getByLabel('API key').fill(KEY);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await heading('Overview').waitFor();
  await page.getByRole('table', { name: 'Champions' }).getByText(MODEL).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 1);
  // The first page, signed in, loaded again: interactive once the overview with its data is drawn.
  await page.reload();
  await page.getByRole('table', { name: 'Champions' }).getByText(MODEL).waitFor();
  performance.first_page_interactive_ms = Math.round(await page.evaluate(() => window.performance.now()));
  await shot('overview');
});

await test('the JavaScript of the first page is small (measured, gzipped)', async () => {
  const html = await (await fetch(URL + '/')).text();
  const scripts = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map(m => m[1]);
  assert.ok(scripts.length > 0, html);
  let raw = 0, gzipped = 0;
  for (const s of scripts) {
    const bytes = Buffer.from(await (await fetch(URL + s)).arrayBuffer());
    raw += bytes.length;
    gzipped += gzipSync(bytes, { level: 9 }).length;
  }
  performance.first_page_js_bytes = raw;
  performance.first_page_js_gzip_bytes = gzipped;
});

await test('uploading a dataset shows its progress and then its report; a failing file shows the counter and its line', async () => {
  const result = page.locator('#upload-result');
  await go('/datasets');
  await page.getByLabel('Name', { exact: true }).fill('browser-upload');
  await page.getByLabel('JSONL file').setInputFiles({ name: 'good.jsonl', mimeType: 'application/jsonl',
    buffer: Buffer.from(chat(0, 30, 'browser')) });
  await page.getByRole('button', { name: 'Upload' }).click();
  await result.locator('.badge.ready').waitFor({ timeout: WAIT });
  assert.equal(await page.locator('#upload-progress').evaluate(p => p.value), 1);
  await result.getByRole('article', { name: 'Validation report' }).waitFor();
  assert.equal(await result.locator('dl.facts dt:text-is("lines read") + dd').textContent(), '30');
  await shot('dataset-upload-report');
  uploaded = (await result.getByRole('link', { name: /^Open dataset/ }).getAttribute('href')).split('/').pop();
  await result.getByRole('link', { name: /^Open dataset/ }).click();
  await heading('Dataset browser-upload').waitFor();
  await page.getByRole('article', { name: 'version 1', exact: true }).waitFor();
  await shot('dataset-page');

  await go('/datasets');
  await page.getByLabel('Name', { exact: true }).fill('browser-broken');
  const broken = chat(0, 5, 'broken').split('\n');
  broken.splice(2, 0, '{"messages": [this is not JSON');
  await page.getByLabel('JSONL file').setInputFiles({ name: 'broken.jsonl', mimeType: 'application/jsonl',
    buffer: Buffer.from(broken.join('\n')) });
  await page.getByRole('button', { name: 'Upload' }).click();
  await result.locator('.badge.rejected').waitFor({ timeout: WAIT });
  assert.equal(await page.locator('#upload-progress').evaluate(p => p.value), 1);
  const errors = result.getByRole('table', { name: 'Errors' });
  const rows = await errors.locator('tbody tr').evaluateAll(trs => trs.map(tr => [...tr.cells].map(td => td.textContent)));
  assert.ok(rows.some(([, count, lines]) => count === '1' && lines === '3'), `no counter of 1 at line 3: ${JSON.stringify(rows)}`);
  await shot('dataset-rejected');
});

await test('starting a job shows its loss curve growing while it runs', async () => {
  await go('/jobs');
  await page.getByLabel('Base model').fill(baseModel);
  await page.getByLabel('Dataset id').fill(uploaded ?? demoDataset);
  await page.getByLabel('Model name').fill('browser-bot');
  await page.getByLabel('Max steps').fill('300');
  await page.getByLabel(/Batch size/).fill('2');
  await page.getByRole('button', { name: 'Start job' }).click();
  await heading(/^Job /).waitFor({ timeout: WAIT });
  jobId = (await heading(/^Job /).textContent()).slice(4);
  const chart = page.getByRole('img', { name: /loss curve/ });
  const points = async () => Number(await chart.getAttribute('data-points'));
  await page.waitForFunction(() => Number(document.querySelector('.chart')?.dataset.points) > 0, null, { timeout: WAIT });
  const first = await points();
  await page.waitForFunction(n => Number(document.querySelector('.chart')?.dataset.points) > n, first, { timeout: WAIT });
  assert.ok(await points() > first);
  assert.ok(await page.locator('canvas').count() > 0);
  await shot('job-live-curve');
  await page.locator('.badge.succeeded').waitFor({ timeout: WAIT });
  await shot('job-finished');
});

await test('the job\'s evaluation shows the subjects, the gate rules and the samples', async () => {
  assert.ok(jobId, 'no job was started');
  const deadline = Date.now() + 2 * WAIT;
  for (;;) {
    await go(`/jobs/${jobId}`);
    if (await fact('evaluation').getByRole('link').count() > 0) break;
    assert.ok(Date.now() < deadline, 'the job got no evaluation');
    await page.waitForTimeout(2000);
  }
  await fact('evaluation').getByRole('link').click();
  await heading(/^Evaluation /).waitFor();
  await page.getByRole('table', { name: 'Metrics by subject' }).waitFor();
  await page.getByRole('list', { name: 'gate rules' }).waitFor();
  await shot('evaluation');
});

await test('promoting and rolling back a model each ask for a confirmation', async () => {
  await go(`/models/${MODEL}`);
  assert.equal(await fact('champion').textContent(), 'v1');
  await page.getByRole('button', { name: 'Promote version 2 to champion' }).click();
  await page.getByRole('dialog').waitFor();
  await shot('promote-confirmation');
  await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
  await page.waitForFunction(() => [...document.querySelectorAll('dl.facts dt')]
    .some(dt => dt.textContent === 'champion' && dt.nextElementSibling?.textContent === 'v2'), null, { timeout: WAIT });
  await page.getByRole('button', { name: 'Roll back champion' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
  await page.waitForFunction(() => [...document.querySelectorAll('dl.facts dt')]
    .some(dt => dt.textContent === 'champion' && dt.nextElementSibling?.textContent === 'v1'), null, { timeout: WAIT });
  await shot('model-after-rollback');
});

await test('the lineage graph goes from the upload to the alias, each node with its digest', async () => {
  await go(`/models/${MODEL}`);
  await page.getByRole('link', { name: 'v1', exact: true }).click();
  await heading(`${MODEL} v1`).waitFor();
  const graph = page.locator('svg.lineage');
  await graph.waitFor();
  const kinds = await graph.locator('[data-node]').evaluateAll(nodes => nodes.map(n => n.getAttribute('data-node')));
  for (const kind of ['upload', 'dataset version', 'job', 'model version', 'alias']) assert.ok(kinds.includes(kind), kinds.join());
  assert.ok(await graph.locator('text.digest').count() >= 4);
  await shot('lineage');
});

await test('another project\'s id in the URL shows not found, as the API does', async () => {
  const other = `browser-other-${Date.now()}`;
  await api('/api/v1/projects', { method: 'POST', body: { id: other } });
  const key = (await api('/api/v1/keys', { method: 'POST', body: { name: 'other', role: 'admin', project_id: other } })).secret;
  const theirs = await api('/api/v1/datasets?name=theirs&format=chat', { method: 'POST', key, body: chat(0, 3, 'theirs'), type: 'application/jsonl' });
  await go(`/datasets/${theirs.id}`);
  await heading('Not found').waitFor();
  await shot('not-found');
});

await test('the drift page draws each metric over time with its threshold and episodes, and a window\'s distributions', async () => {
  // WholePipelineIT wrote DRIFT_WINDOWS windows of version 1 as eval-service does (DriftWindows.java); the gateway
  // projects them from the topic.
  const deadline = Date.now() + WAIT;
  const ours = async () => ((await api(`/api/v1/models/${MODEL}/drift?version=1`)).versions[0]?.windows ?? [])
    .filter(w => w.window_id.startsWith('browser-w-'));
  while ((await ours()).length < DRIFT_WINDOWS) {
    assert.ok(Date.now() < deadline, 'the gateway never showed the drift windows');
    await page.waitForTimeout(500);
  }
  await go(`/drift?model=${MODEL}&version=1`);
  await heading('Drift').waitFor();
  assert.equal(await page.getByLabel('Model').inputValue(), MODEL);
  assert.equal(await page.getByLabel('Version').inputValue(), '1');
  for (const metric of ['prompt_length_psi', 'prompt_length_ks', 'output_validity_rate']) {
    const chart = page.getByRole('img', { name: `${metric} over time` });
    assert.ok(Number(await chart.getAttribute('data-points')) >= DRIFT_WINDOWS, metric);
    assert.ok(await chart.locator('canvas').count() > 0, metric);
  }
  assert.ok(Number(await page.getByRole('img', { name: 'prompt_length_psi over time' }).getAttribute('data-detections')) >= 1);
  assert.equal(await page.getByRole('img', { name: 'output_validity_rate over time' }).getAttribute('data-detections'), '0');
  const row = page.getByRole('table', { name: 'Windows' }).locator('tr', { hasText: 'browser-w-5' });
  assert.equal(await row.locator('td').nth(4).textContent(), 'prompt_length_psi, prompt_length_ks');
  await page.getByRole('link', { name: 'Show the distributions of window browser-w-5' }).click();
  await page.getByRole('heading', { level: 2, name: 'Window browser-w-5' }).waitFor();
  const lengths = page.getByRole('img', { name: 'prompt_length: reference vs current' });
  assert.equal(await lengths.getAttribute('data-bins'), '5');
  assert.ok(await lengths.locator('canvas').count() > 0);
  await page.getByRole('img', { name: 'completion_length: reference vs current' }).waitFor();
  await shot('drift');
});

/** Every control reached by Tab alone, and every control with an accessible name (as Chromium computes it). */
async function keyboardAndNames(route) {
  await go(route);
  const total = await page.evaluate(() => {
    const controls = [...document.querySelectorAll('a[href], button:not([disabled]), input, select, textarea, [tabindex]:not([tabindex="-1"])')]
      .filter(el => el.getClientRects().length > 0 || el.classList.contains('skip'));
    controls.forEach((el, i) => el.setAttribute('data-control', String(i)));
    document.body.focus();
    return controls.length;
  });
  const reached = new Set();
  for (let i = 0; i < total + 5; i++) {
    await page.keyboard.press('Tab');
    const at = await page.evaluate(() => document.activeElement?.closest('[data-control]')?.getAttribute('data-control') ?? null);
    if (at !== null) reached.add(at);
  }
  assert.equal(reached.size, total, `${route}: Tab reached ${reached.size} of ${total} controls`);
  const cdp = await browser.newCDPSession(page);
  const { nodes } = await cdp.send('Accessibility.getFullAXTree');
  await cdp.detach();
  const controlRoles = new Set(['button', 'link', 'textbox', 'combobox', 'spinbutton', 'checkbox', 'radio', 'slider', 'searchbox', 'listbox', 'menuitem', 'tab', 'switch']);
  const unnamed = nodes.filter(n => !n.ignored && controlRoles.has(n.role?.value) && !(n.name?.value ?? '').trim())
    .map(n => n.role.value);
  assert.deepEqual(unnamed, [], `${route}: controls without an accessible name`);
}

await test('keyboard-only navigation reaches every control and every control has an accessible name', async () => {
  const routes = ['/', '/datasets', '/jobs', `/jobs/${jobId}`, '/evals', `/models/${MODEL}`, `/models/${MODEL}/versions/1`,
    '/pipelines', '/drift'];
  for (const route of routes) await keyboardAndNames(route);
  // Keyboard only: Tab to the Models link, Enter opens the page.
  await go('/');
  await page.evaluate(() => document.body.focus());
  for (let i = 0; i < 20 && (await page.evaluate(() => document.activeElement?.textContent)) !== 'Models'; i++) {
    await page.keyboard.press('Tab');
  }
  await shot('keyboard-focus');
  await page.keyboard.press('Enter');
  await heading('Models').waitFor();
});

await test('the job page draws 50,000 metric points (measured)', async () => {
  assert.ok(jobId, 'no job was started');
  const metrics = Array.from({ length: 50_000 }, (_, i) => ({
    attempt: 1, step: i + 1, total_steps: 50_000, epoch: i / 5000, train_loss: 2 * Math.exp(-i / 15000) + 0.05 * Math.sin(i / 40),
    learning_rate: 1e-4, tokens_per_second: 1000, valid_loss: i % 500 === 0 ? 2 * Math.exp(-i / 15000) + 0.1 : null,
  }));
  const body = JSON.stringify({ data: metrics, has_more: false, next_after: null });
  await page.route(`**/api/v1/jobs/${jobId}/metrics`, route => route.fulfill({ contentType: 'application/json', body }));
  await go(`/jobs/${jobId}`);
  await page.waitForFunction(() => document.querySelector('.chart')?.dataset.points === '50000');
  performance.draw_50000_points_ms = Number(await page.getByRole('img', { name: /loss curve/ }).getAttribute('data-draw-ms'));
  await shot('job-50000-points');
  await page.unroute(`**/api/v1/jobs/${jobId}/metrics`);
});

await test('no page threw a script error', async () => {
  assert.deepEqual(consoleErrors, []);
});

await browser.close();
rmSync(userDataDir, { recursive: true, force: true });
writeFileSync(join(OUT, 'performance.json'), JSON.stringify(performance, null, 2));
console.log('performance ' + JSON.stringify(performance));
process.exit(results.every(r => r.ok) ? 0 : 1);
