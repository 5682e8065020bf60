#!/usr/bin/env node
// What a static index costs per query: for each query of the Node.js tuning set, a fresh engine
// attaches the demo's static index (target/site/node, built by scripts/build.py) and answers the
// query, loading the chunks the core asks for from disk; prints how many chunks and bytes the
// first query needed (median, p90, max), in full-text and hybrid mode, plus the suggestions that
// follow a hybrid search. Runs the wasm core's nodejs build (from the built package) with the model.
// Usage: node scripts/bench-static.mjs [--queries N]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const limit = Number(args[args.indexOf('--queries') + 1] || 100);
// The package copy carries a package.json marking it CommonJS.
const wasm = createRequire(import.meta.url)(`${root}web/packages/scry/dist/wasm/node/scry_wasm.js`);
const dir = `${root}target/site/node/`;
const entry = JSON.parse(readFileSync(`${dir}scry.json`, 'utf8'));
const meta = readFileSync(dir + entry.meta);
const modelDir = `${root}models/cache/all-MiniLM-L6-v2-int8/`;
const model = wasm.TextModel.load(
  'all-MiniLM-L6-v2-int8',
  readFileSync(`${modelDir}model.onnx`),
  readFileSync(`${modelDir}tokenizer.json`),
  32,
);
const queries = readFileSync(`${root}tests/eval/node-queries.jsonl`, 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, limit)
  .map((l) => JSON.parse(l).query);

/** Runs `call` on a fresh engine, loading chunks until it answers; returns chunks and bytes. */
function cost(call) {
  const engine = new wasm.Engine({});
  engine.attachStatic(entry.meta, meta);
  let chunks = 0;
  let bytes = meta.length;
  for (let round = 0; ; round++) {
    try {
      call(engine);
      break;
    } catch (e) {
      if (e.code !== 'CHUNKS_NEEDED' || round >= 32) throw e;
      for (const name of e.chunks) {
        const b = readFileSync(dir + name);
        engine.loadChunk(name, b);
        chunks++;
        bytes += b.length;
      }
    }
  }
  engine.free();
  return { chunks, bytes };
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: at(0.5), p90: at(0.9), max: s[s.length - 1] };
};
const runs = {
  text: queries.map((q) => cost((e) => e.search(q, { k: 10, mode: 'text' }, undefined))),
  hybrid: queries.map((q) => cost((e) => e.searchEmbedded(q, { k: 10 }, model))),
  'hybrid + suggest': queries.map((q) =>
    cost((e) => {
      e.searchEmbedded(q, { k: 10 }, model);
      e.suggestEmbedded(q, { max: 4 }, model);
    }),
  ),
};
const out = { queries: queries.length, index: { bytes: entry.bytes, chunks: entry.chunks } };
for (const [mode, r] of Object.entries(runs)) {
  out[mode] = { chunks: stats(r.map((x) => x.chunks)), bytes: stats(r.map((x) => x.bytes)) };
}
console.log(JSON.stringify(out, null, 2));
