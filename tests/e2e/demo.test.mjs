// The demo, served locally, searched in headless Chromium.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { CSP, startServer } from '../../scripts/serve.mjs';
import { DEMO_ROOT, OUTPUT, launch } from './browser.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ root: DEMO_ROOT, port: 0 });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function openDemo(context) {
  const page = await context.newPage();
  const problems = [];
  const foreign = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()} ${r.url()}`));
  context.on('request', (r) => {
    if (!r.url().startsWith(server.url)) foreign.push(r.url());
  });
  const response = await page.goto(server.url);
  assert.equal(response.headers()['content-security-policy'], CSP);
  await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
  assert.equal(
    await page.getAttribute('body', 'data-ready'),
    'true',
    await page.textContent('#status'),
  );
  return { page, problems, foreign };
}

test('a search shows the expected top result with highlighted words', async () => {
  const context = await browser.newContext();
  const { page, problems, foreign } = await openDemo(context);
  assert.match(await page.textContent('#status'), /\d+ documents .* in a Web Worker/);
  await page.fill('#q', 'gzip compression');
  await page.waitForSelector('#results li');
  const first = page.locator('#results li').first();
  assert.equal(await first.getAttribute('data-id'), 'zlib');
  assert.equal(await first.locator('.hit-title').textContent(), 'Zlib');
  const marks = await first.locator('mark').allTextContents();
  assert.ok(marks.length > 0);
  for (const m of marks) assert.match(m.toLowerCase(), /^(gzip|compression)$/);
  assert.match(await page.textContent('#status'), /results? in [\d.]+ ms/);
  await page.screenshot({ path: `${OUTPUT}demo-search.png`, fullPage: true });
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, [], 'no request may leave the site');
  await context.close();
});

test('a query with no match empties the list and says so', async () => {
  const context = await browser.newContext();
  const { page, problems } = await openDemo(context);
  await page.fill('#q', 'stream');
  await page.waitForSelector('#results li');
  await page.fill('#q', 'qwxzzyv');
  await page.waitForFunction(() => document.querySelectorAll('#results li').length === 0);
  assert.match(await page.textContent('#status'), /^0 results/);
  assert.deepEqual(problems, []);
  await context.close();
});
