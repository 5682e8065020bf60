#!/usr/bin/env node
// Build-time indexing in Node through the built package: 10,000 Python-docs sections (text) in
// 10 `add` calls of 1,000 with `storage: 'file'` against the same adds with `storage: 'memory'`
// (the difference is what the commits cost), then the directory's size, the time to open it
// again and its first query. Prints JSON.
// Needs: scripts/build.py (the package with the nodejs wasm build) and target/bench/python-docs.jsonl
// (scry index corpora/python/html --out target/bench/python-site --state target/bench/python-idx
// --dump target/bench/python-docs.jsonl).
// Usage: node scripts/bench-node-files.mjs [--docs N] [--batch N]
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const { createEngine } = await import(`${root}web/packages/scry/dist/index.js`);
const args = process.argv.slice(2);
const opt = (name, dflt) => Number(args[args.indexOf(name) + 1] || dflt);
const total = opt('--docs', 10_000);
const batch = opt('--batch', 1_000);

const docs = readFileSync(`${root}target/bench/python-docs.jsonl`, 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, total)
  .map((l) => {
    const d = JSON.parse(l);
    return { id: d.id, title: d.title, body: d.body, ...(d.url ? { url: d.url } : {}) };
  });

function bytesIn(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? bytesIn(p) : statSync(p).size;
  }
  return n;
}

async function index(options) {
  const engine = await createEngine(options);
  const adds = [];
  const t0 = performance.now();
  for (let i = 0; i < docs.length; i += batch) {
    const t = performance.now();
    await engine.add(docs.slice(i, i + batch));
    adds.push(performance.now() - t);
  }
  const ms = performance.now() - t0;
  await engine.dispose();
  adds.sort((a, b) => a - b);
  return { ms: Math.round(ms), medianAddMs: Math.round(adds[adds.length >> 1]) };
}

const dir = mkdtempSync(join(tmpdir(), 'scry-bench-files-'));
try {
  const memory = await index({ storage: 'memory' });
  const file = await index({ storage: 'file', path: dir });
  const t = performance.now();
  const engine = await createEngine({ storage: 'file', path: dir });
  const openMs = performance.now() - t;
  const q = performance.now();
  const hits = await engine.search('read a file line by line', { k: 10, mode: 'text' });
  const queryMs = performance.now() - q;
  const documents = (await engine.info()).documents;
  await engine.dispose();
  console.log(
    JSON.stringify(
      {
        node: process.version,
        documents,
        batch,
        memory,
        file,
        bytesOnDisk: bytesIn(dir),
        openMs: Math.round(openMs),
        firstQueryMs: Number(queryMs.toFixed(1)),
        firstHit: hits[0]?.id,
      },
      null,
      2,
    ),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
