#!/usr/bin/env node
// Runs web/bench/index.html in headless Chromium and prints its results as JSON.
// Usage: scripts/bench-browser.mjs [suites, default vectors10k] (e.g. text,vectors10k,vectors100k,
// embed,embed-ort2,embed-pool,embed-api,scan) [--cpu-profile FILE] [--shapes 32x256,1x16 (embed suites)]
// --cpu-profile: the searches of the `text` suite (or scry's runs in `embed`) are profiled (DevTools' sampling profiler, 50 µs);
// the profile is written to FILE (open it in DevTools) and its top functions by self time are
// printed. Build with --profile bench-names so that wasm functions keep their names.
// Needs: scripts/build.py --profile bench --wasm-only; for `text`, target/bench/python-docs.jsonl
// (scry index corpora/python/html --out target/bench/python-site --state target/bench/python-idx
// --dump target/bench/python-docs.jsonl); for `suggest`, the state folder
// target/bench/node-idx-dense (scry index corpora/nodejs/api --out target/bench/node-site-dense
// --state target/bench/node-idx-dense --model models/cache/all-MiniLM-L6-v2-int8).
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { ARGS } from '../tests/e2e/browser.mjs';
import { startServer } from './serve.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const profileAt = argv.indexOf('--cpu-profile');
const profileFile = profileAt >= 0 ? argv.splice(profileAt, 2)[1] : undefined;
const shapesAt = argv.indexOf('--shapes');
const shapes = shapesAt >= 0 ? argv.splice(shapesAt, 2)[1] : undefined;
const suites = argv[0] ?? 'vectors10k';
// The page cannot list a folder over HTTP: name the dense index's files for it, in a file beside
// the state folder (a file of ours inside it would make `scry index` refuse the folder).
const dense = `${root}target/bench/node-idx-dense/`;
if (suites.split(',').includes('suggest') && existsSync(dense)) {
  // Segment meta files (`seg/`) and their chunks (`chunk/<kind>/`), not the documents store.
  const under = (dir) =>
    existsSync(`${dense}${dir}`)
      ? readdirSync(`${dense}${dir}`, { recursive: true })
          .filter((f) => statSync(`${dense}${dir}/${f}`).isFile())
          .map((f) => `${dir}/${f}`)
      : [];
  const files = ['manifest', ...under('seg'), ...under('chunk')];
  writeFileSync(`${root}target/bench/node-idx-dense.files.json`, JSON.stringify(files));
}
const server = await startServer({ root, port: 0 });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  // The end-to-end tests' flags (WebGPU included, for the `scan` suite).
  args: ARGS,
});
try {
  // One page per suite: each starts from a fresh wasm instance (onnxruntime-web, for one, keeps
  // its thread count for the life of a page).
  const all = {};
  for (const suite of suites.split(',')) {
    const page = await browser.newPage();
    page.on('console', (m) => m.type() === 'error' && console.error(m.text()));
    let profiled;
    if (profileFile) {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
      profiled = new Promise((resolve) => cdp.on('Profiler.consoleProfileFinished', resolve));
    }
    const query =
      (profileFile ? '&profile=1' : '') + (shapes ? `&shapes=${encodeURIComponent(shapes)}` : '');
    await page.goto(`${server.url}web/bench/index.html?suite=${encodeURIComponent(suite)}${query}`);
    await page.waitForFunction(() => window.__bench !== undefined, null, { timeout: 1_800_000 });
    const results = await page.evaluate(() => window.__bench);
    if (profiled && (suite === 'text' || suite === 'embed')) report(await profiled);
    Object.assign(all, results);
    await page.close();
    if (results.error) {
      process.exitCode = 1;
      break;
    }
  }
  console.log(JSON.stringify({ browser: browser.version(), ...all }, null, 2));
} finally {
  await browser.close();
  await server.close();
}

/** Writes a CPU profile and prints its top 30 functions by self time. */
function report({ profile }) {
  writeFileSync(profileFile, JSON.stringify(profile));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const name = node.callFrame.functionName || '(anonymous)';
    self.set(name, (self.get(name) ?? 0) + dt);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30);
  console.error(`CPU profile: ${profileFile}, ${(total / 1000).toFixed(0)} ms sampled`);
  for (const [name, us] of top) {
    console.error(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${name}`);
  }
}
