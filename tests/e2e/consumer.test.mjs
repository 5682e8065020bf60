// A real consumer: a fresh Vite app (tests/consumer) installs the packed npm tarballs of
// web/packages/scry and web/packages/model-minilm (`npm pack`), is built by Vite, served under the strict CSP, and indexes and
// searches 1,000 documents in headless Chromium; the same installed package also runs in Node.
// Needs the built package (scripts/build.py) and the npm registry (Vite).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { CSP, startServer } from '../../scripts/serve.mjs';
import { OUTPUT, launch, watchPage } from './browser.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORK = `${ROOT}target/consumer/`;
const APP = `${WORK}app/`;

const servers = {};
let browser;

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

before(async () => {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  for (const [folder, name] of [
    ['scry', 'scry'],
    ['model-minilm', 'scry-model-minilm'],
  ]) {
    const packed = JSON.parse(
      run('npm', ['pack', '--json', '--pack-destination', WORK], `${ROOT}web/packages/${folder}`),
    );
    assert.equal(packed[0]?.name, name);
    renameSync(`${WORK}${packed[0].filename}`, `${WORK}${name}.tgz`);
  }
  cpSync(`${ROOT}tests/consumer/`, APP, { recursive: true });
  run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock'], APP);
  run('npx', ['vite', 'build'], APP);
  run('npx', ['webpack', '--config', 'webpack.config.mjs'], APP);
  // The app's page, its script the bundle webpack wrote instead of Vite's entry.
  const page = readFileSync(`${APP}index.html`, 'utf8');
  const webpackPage = page.replace(
    '<script type="module" src="/src/main.js"></script>',
    '<script src="main.js" defer></script>',
  );
  assert.notEqual(webpackPage, page);
  writeFileSync(`${APP}dist-webpack/index.html`, webpackPage);
  servers.vite = await startServer({ root: `${APP}dist/`, port: 0 });
  servers.webpack = await startServer({ root: `${APP}dist-webpack/`, port: 0 });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  for (const s of Object.values(servers)) await s.close();
});

for (const bundler of ['vite', 'webpack']) {
  test(`a ${bundler} app built on the packed packages indexes and searches, without configuring for scry`, async () => {
    const server = servers[bundler];
    const context = await browser.newContext();
    const page = await context.newPage();
    const { problems, foreign } = watchPage(page, context, server.url);
    const wasm = [];
    context.on('request', (r) => r.url().endsWith('.wasm') && wasm.push(new URL(r.url()).pathname));
    const response = await page.goto(server.url);
    assert.equal(response.headers()['content-security-policy'], CSP);
    await page.waitForSelector('body[data-ready]', { timeout: 60_000 });
    assert.equal(
      await page.getAttribute('body', 'data-ready'),
      'true',
      await page.textContent('#status'),
    );
    assert.equal(await page.textContent('#status'), '1000 documents, worker: true, wasm: text');
    // Full-text search fetched the text-only module, never the one with the embedders.
    assert.equal(wasm.length, 1, JSON.stringify(wasm));
    const ids = await page.evaluate(() => window.search('photographing glacier', { k: 5 }));
    assert.equal(ids.length, 5);
    // Documents 5, 45, 85, … are the glacier ones photographed (i % 8 = 5, ⌊i / 8⌋ % 5 = 1).
    for (const id of ids) {
      const n = Number(id.replace('doc-', ''));
      assert.equal(n % 8, 5, id);
      assert.equal(Math.floor(n / 8) % 5, 1, id);
    }
    assert.equal(await page.locator('#results li').count(), 5);
    // The model package's files, copied by Vite under hashed names, load and embed, on the
    // full module, fetched now.
    assert.deepEqual(await page.evaluate(() => window.startSemantic()), {
      model: 'all-MiniLM-L6-v2-int8',
      wasm: 'full',
    });
    assert.deepEqual((await page.evaluate(() => window.semantic('kitten')))[0], 'cat');
    assert.equal(wasm.length, 2, JSON.stringify(wasm));
    assert.notEqual(wasm[0], wasm[1]);
    const filtered = await page.evaluate(() =>
      window.search('river', { k: 3, filter: { n: { lt: 100 } } }),
    );
    assert.ok(filtered.length > 0 && filtered.every((id) => Number(id.slice(4)) < 100));
    await page.screenshot({ path: `${OUTPUT}consumer-${bundler}.png` });
    assert.deepEqual(problems, []);
    assert.deepEqual(foreign, []);
    await context.close();
  });
}

test('where the page forbids workers, the engine falls back to the page and says why', async () => {
  const server = servers.vite;
  const context = await browser.newContext();
  // The same app, its Content-Security-Policy refusing every worker.
  await context.route(server.url, async (route) => {
    const response = await route.fetch();
    const csp = CSP.replace("worker-src 'self'", "worker-src 'none'");
    assert.notEqual(csp, CSP);
    await route.fulfill({
      response,
      headers: { ...response.headers(), 'content-security-policy': csp },
    });
  });
  const page = await context.newPage();
  const { problems } = watchPage(page, context, server.url);
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready]', { timeout: 60_000 });
  assert.equal(await page.textContent('#status'), '1000 documents, worker: false, wasm: text');
  const info = await page.evaluate(() => window.info());
  assert.equal(info.worker, false);
  assert.match(info.workerFallback, /worker could not start/);
  const ids = await page.evaluate(() => window.search('photographing glacier', { k: 5 }));
  assert.equal(ids.length, 5);
  // What the console said is the refusal itself, nothing else.
  for (const p of problems) assert.match(p, /worker-src|Content Security Policy|worker/i, p);
  await context.close();
});

test('the installed package runs in Node', () => {
  const out = JSON.parse(run('node', ['node-check.mjs'], APP));
  assert.deepEqual(out, { ids: ['a'], worker: false, semantic: ['cat'] });
});
