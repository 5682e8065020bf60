// A real consumer: a fresh app (tests/consumer) installs the packed npm tarballs of
// web/packages/scry and web/packages/model-minilm (`npm pack`), is built by Vite, webpack,
// esbuild and Rollup, and is also served unbuilt (an import map to the installed packages, and
// the packages on another origin, a CDN), each page under a strict CSP; each indexes and searches
// 1,000 documents in headless Chromium, then searches by meaning with the model package. The
// same installed package also runs in Node. Needs the built package (scripts/build.py) and the
// npm registry. Vite's dev server serves the app too.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { CSP, startServer } from '../../scripts/serve.mjs';
import { OUTPUT, launch, watchPage } from './browser.mjs';
import { packTarballs } from './packed.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORK = `${ROOT}target/consumer/`;
const APP = `${WORK}app/`;
const ENTRY = '<script type="module" src="/src/main.js"></script>';

const servers = {};
/** Each page to drive: its server, path, and whether its engine runs in a worker. */
const pages = {};
let browser;

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/** The app's page with its entry script replaced by `script` (and `extra` before it). */
function pageWith(script, extra = '') {
  const page = readFileSync(`${APP}index.html`, 'utf8');
  const out = page.replace(ENTRY, `${extra}${script}`);
  assert.notEqual(out, page);
  return out;
}

/** An inline import map, and the CSP that lets exactly it run (its hash). */
function importMap(imports, { connect = '', script = '' } = {}) {
  const text = JSON.stringify({ imports });
  const hash = createHash('sha256').update(text).digest('base64');
  const csp = CSP.replace(
    "script-src 'self' 'wasm-unsafe-eval'",
    `script-src 'self' 'wasm-unsafe-eval' 'sha256-${hash}'${script}`,
  ).replace("connect-src 'self'", `connect-src 'self'${connect}`);
  assert.notEqual(csp, CSP);
  return { tag: `<script type="importmap">${text}</script>`, csp };
}

before(async () => {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  packTarballs(WORK);
  cpSync(`${ROOT}tests/consumer/`, APP, { recursive: true });
  run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock'], APP);
  // Vite and webpack: no configuration for scry (they copy the package's files themselves).
  run('npx', ['vite', 'build'], APP);
  run('npx', ['webpack', '--config', 'webpack.config.mjs'], APP);
  writeFileSync(`${APP}dist-webpack/index.html`, pageWith('<script src="main.js" defer></script>'));
  // esbuild and Rollup bundle the code only: the app copies the package's `dist/` and the
  // model's files, and its page says where (`assets`, the model's `url`).
  run('npx', ['esbuild', 'src/main.js', '--bundle', '--format=esm', '--outdir=dist-esbuild'], APP);
  run('npx', ['rollup', '-c', 'rollup.config.mjs'], APP);
  for (const out of ['dist-esbuild', 'dist-rollup']) {
    cpSync(`${APP}node_modules/scry/dist/`, `${APP}${out}/scry/`, { recursive: true });
    cpSync(`${APP}node_modules/scry-model-minilm/files/`, `${APP}${out}/models/minilm/`, {
      recursive: true,
    });
    writeFileSync(
      `${APP}${out}/index.html`,
      pageWith(
        '<script type="module" src="main.js"></script>',
        '<meta name="scry-assets" content="scry/" />\n    ' +
          '<meta name="scry-model" content="models/minilm/" />\n    ',
      ),
    );
  }
  servers.vite = await startServer({ root: `${APP}dist/`, port: 0 });
  servers.webpack = await startServer({ root: `${APP}dist-webpack/`, port: 0 });
  servers.esbuild = await startServer({ root: `${APP}dist-esbuild/`, port: 0 });
  servers.rollup = await startServer({ root: `${APP}dist-rollup/`, port: 0 });
  // No build step: the app's own modules and the installed packages, mapped by an import map.
  const local = importMap({
    scry: '/node_modules/scry/dist/index.js',
    'scry-model-minilm': '/node_modules/scry-model-minilm/index.js',
  });
  writeFileSync(`${APP}nobuild.html`, pageWith(ENTRY, `${local.tag}\n    `));
  servers.nobuild = await startServer({ root: APP, port: 0, csp: local.csp });
  // The packages from another origin, as from a CDN (CORS and CORP allow the page to use them).
  servers.cdn = await startServer({
    root: APP,
    port: 0,
    headers: {
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    },
  });
  const cdnOrigin = servers.cdn.url.replace(/\/$/, '');
  const cdn = importMap(
    {
      scry: `${servers.cdn.url}node_modules/scry/dist/index.js`,
      'scry-model-minilm': `${servers.cdn.url}node_modules/scry-model-minilm/index.js`,
    },
    { connect: ` ${cdnOrigin}`, script: ` ${cdnOrigin}` },
  );
  mkdirSync(`${WORK}cdn-page/`);
  cpSync(`${APP}src/`, `${WORK}cdn-page/src/`, { recursive: true });
  writeFileSync(`${WORK}cdn-page/index.html`, pageWith(ENTRY, `${cdn.tag}\n    `));
  servers.cdnPage = await startServer({ root: `${WORK}cdn-page/`, port: 0, csp: cdn.csp });
  Object.assign(pages, {
    vite: { server: servers.vite, path: '', worker: true },
    webpack: { server: servers.webpack, path: '', worker: true },
    esbuild: { server: servers.esbuild, path: '', worker: true },
    rollup: { server: servers.rollup, path: '', worker: true },
    'no-build (import map)': { server: servers.nobuild, path: 'nobuild.html', worker: true },
    'no-build, packages from a CDN': {
      server: servers.cdnPage,
      path: '',
      worker: false,
      assetsFrom: servers.cdn.url,
    },
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  for (const s of Object.values(servers)) await s.close();
});

const PAGES = [
  'vite',
  'webpack',
  'esbuild',
  'rollup',
  'no-build (import map)',
  'no-build, packages from a CDN',
];

for (const name of PAGES) {
  test(`${name}: the app on the packed packages indexes and searches, then by meaning`, async () => {
    const { server, path, worker, assetsFrom } = pages[name];
    const context = await browser.newContext();
    const page = await context.newPage();
    const { problems, foreign } = watchPage(page, context, server.url);
    const wasm = [];
    context.on('request', (r) => r.url().endsWith('.wasm') && wasm.push(r.url()));
    const response = await page.goto(server.url + path);
    assert.match(
      response.headers()['content-security-policy'],
      /script-src 'self' 'wasm-unsafe-eval'/,
    );
    await page.waitForSelector('body[data-ready]', { timeout: 60_000 });
    assert.equal(
      await page.getAttribute('body', 'data-ready'),
      'true',
      await page.textContent('#status'),
    );
    assert.equal(
      await page.textContent('#status'),
      `1000 documents, worker: ${worker}, wasm: text`,
    );
    if (!worker) {
      // A module worker cannot start from another origin: the engine runs on the page.
      assert.match((await page.evaluate(() => window.info())).workerFallback, /could not start/);
    }
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
    // The model's files (copied by the bundler, by the app, or on the CDN) load and embed, on
    // the full module, fetched now, and on a helper worker too where workers start.
    assert.deepEqual(await page.evaluate(() => window.startSemantic()), {
      model: 'all-MiniLM-L6-v2-int8',
      wasm: 'full',
      embedThreads: worker ? 2 : 1,
    });
    assert.deepEqual((await page.evaluate(() => window.semantic('kitten')))[0], 'cat');
    // The text-only module, then the full one (for the engine, and again for the helper).
    assert.equal(new Set(wasm).size, 2, JSON.stringify(wasm));
    assert.ok(wasm.slice(1).every((url) => url === wasm[1]) && wasm[0] !== wasm[1]);
    for (const url of wasm) assert.ok(url.startsWith(assetsFrom ?? server.url), url);
    const filtered = await page.evaluate(() =>
      window.search('river', { k: 3, filter: { n: { lt: 100 } } }),
    );
    assert.ok(filtered.length > 0 && filtered.every((id) => Number(id.slice(4)) < 100));
    await page.screenshot({ path: `${OUTPUT}consumer-${name.replace(/\W+/g, '-')}.png` });
    if (worker) assert.deepEqual(problems, []);
    // The worker's refusal is the only thing the console may say.
    else for (const p of problems) assert.match(p, /worker/i, p);
    for (const url of foreign) assert.ok(assetsFrom && url.startsWith(assetsFrom), url);
    await context.close();
  });
}

test("Vite's dev server serves the app with no configuration for scry", async () => {
  // Dependency pre-bundling moves the package's modules; its files must still be found.
  // Vite itself, not through npx, so that killing it ends it.
  const vite = `${APP}node_modules/vite/bin/vite.js`;
  const dev = spawn(process.execPath, [vite, '--port', '0', '--host', '127.0.0.1'], {
    cwd: APP,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let out = '';
    const url = await new Promise((resolve, reject) => {
      dev.stdout.on('data', (d) => {
        out += d;
        // eslint-disable-next-line no-control-regex
        const m = out.replace(/\x1b\[[0-9;]*m/g, '').match(/http:\/\/127\.0\.0\.1:\d+\//);
        if (m) resolve(m[0]);
      });
      dev.once('exit', () => reject(new Error(`vite exited: ${out}`)));
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    const { problems } = watchPage(page, context, url);
    await page.goto(url);
    await page.waitForSelector('body[data-ready]', { timeout: 60_000 });
    assert.equal(await page.textContent('#status'), '1000 documents, worker: true, wasm: text');
    assert.equal((await page.evaluate(() => window.search('photographing glacier'))).length, 10);
    const semantic = await page.evaluate(() => window.startSemantic());
    assert.equal(semantic.wasm, 'full');
    assert.equal(semantic.embedThreads, 2);
    assert.equal((await page.evaluate(() => window.semantic('kitten')))[0], 'cat');
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    dev.kill();
  }
});

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
