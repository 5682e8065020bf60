#!/usr/bin/env node
// Demo load benchmark: headless Chromium opens the built demo (web/demo/dist, served like
// scripts/serve.mjs does: no compression, ETag revalidation) and measures the time from
// navigation to the first result of a query, and the bytes that crossed the network, for a
// cold visit (fresh profile) and a warm one (same profile, after the first visit finished:
// service worker, Cache Storage, HTTP cache).
// Bytes are split into the model, the static index and the rest (app, wasm, images).
// Usage: node scripts/bench-demo.mjs [--runs N] [--query TEXT]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from './serve.mjs';
import { chromium } from 'playwright-core';
import { ARGS, waitForStaticIndex } from '../tests/e2e/browser.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const runs = Number(opt('runs', 3));
const query = opt('query', 'gzip compression');
const root = fileURLToPath(new URL('../web/demo/dist/', import.meta.url));

function kind(url) {
  const path = new URL(url).pathname;
  if (path.startsWith('/models/')) return 'model';
  if (path.startsWith('/collections/node/')) return 'index';
  return 'app';
}

/** One visit: navigation → ready → query → first result; bytes by kind. */
async function visit(context, server) {
  // Responses that crossed the network (not answered by the service worker), with the time
  // they finished: only those before the first result count.
  const done = [];
  const onDone = async (request) => {
    const finished = Date.now();
    const response = await request.response();
    if (!response || response.fromServiceWorker()) return;
    const sizes = await request.sizes();
    done.push({
      finished,
      kind: kind(request.url()),
      size: sizes.responseBodySize + sizes.responseHeadersSize,
    });
  };
  context.on('requestfinished', onDone);
  const page = await context.newPage();
  const t0 = Date.now();
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
  const ready = Date.now() - t0;
  await page.fill('#q', query);
  await page.waitForSelector('#results li', { timeout: 60_000 });
  const first = Date.now() - t0;
  await page.waitForTimeout(300);
  context.off('requestfinished', onDone);
  await page.close();
  const bytes = { model: 0, index: 0, app: 0 };
  let requests = 0;
  for (const d of done) {
    if (d.finished > t0 + first) continue;
    bytes[d.kind] += d.size;
    requests++;
  }
  return { ready, first, requests, bytes };
}

const server = await startServer({ root, port: 0 });
const results = [];
try {
  for (let i = 0; i < runs; i++) {
    // A fresh profile on disk per run (as a first-time visitor has; an in-memory profile would
    // not keep the 10 MB wasm in its HTTP cache).
    const profile = mkdtempSync(join(tmpdir(), 'scry-bench-demo-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      headless: true,
      args: ARGS,
    });
    try {
      const cold = await visit(context, server);
      // Let the service worker and the background prefetch finish before the second visit.
      const page = await context.newPage();
      await page.goto(server.url);
      await page.evaluate(() => navigator.serviceWorker.ready);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
      await waitForStaticIndex(page);
      await page.close();
      const warm = await visit(context, server);
      results.push({ cold, warm });
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }
} finally {
  await server.close();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = {};
for (const k of ['cold', 'warm']) {
  summary[k] = {
    readyMs: median(results.map((r) => r[k].ready)),
    firstResultMs: median(results.map((r) => r[k].first)),
    requests: median(results.map((r) => r[k].requests)),
    bytes: {
      model: median(results.map((r) => r[k].bytes.model)),
      index: median(results.map((r) => r[k].bytes.index)),
      app: median(results.map((r) => r[k].bytes.app)),
    },
  };
}
console.log(JSON.stringify({ query, runs, summary, results }, null, 2));
