#!/usr/bin/env node
// Runs web/bench/index.html in headless Chromium and prints its results as JSON.
// Usage: scripts/bench-browser.mjs [suites, default vectors10k] (e.g. text,vectors10k,vectors100k,
// embed,embed-ort2,embed-pool,scan)
// Needs: scripts/build.py --profile bench --wasm-only; for `text`, target/bench/python-docs.jsonl
// (scry index corpora/python/html --out target/bench/python-idx --dump target/bench/python-docs.jsonl);
// for `suggest`, target/bench/node-idx-dense (scry index corpora/nodejs/api --out
// target/bench/node-idx-dense --model models/cache/all-MiniLM-L6-v2-int8).
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { ARGS } from '../tests/e2e/browser.mjs';
import { startServer } from './serve.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const suites = process.argv[2] ?? 'vectors10k';
// The page cannot list a folder over HTTP: name the dense index's files for it.
const dense = `${root}target/bench/node-idx-dense/`;
if (suites.split(',').includes('suggest') && existsSync(dense)) {
  const files = ['manifest', ...readdirSync(`${dense}seg`).map((f) => `seg/${f}`)];
  writeFileSync(`${dense}files.json`, JSON.stringify(files));
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
    await page.goto(`${server.url}web/bench/index.html?suite=${encodeURIComponent(suite)}`);
    await page.waitForFunction(() => window.__bench !== undefined, null, { timeout: 1_800_000 });
    const results = await page.evaluate(() => window.__bench);
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
