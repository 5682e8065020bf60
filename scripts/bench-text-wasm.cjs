// Full-text query latency of one build of scry's wasm in Node's V8 (the engine Chromium runs),
// to compare builds of the text-only module (Cargo profiles) side by side. Usage:
//   wasm-bindgen --target nodejs --weak-refs --out-dir DIR target/wasm32-unknown-unknown/<profile>/scry_wasm.wasm
//   wasm-opt -Oz <wasm-pack.toml's flags> DIR/scry_wasm_bg.wasm -o DIR/scry_wasm_bg.wasm
//   scry index corpora/nodejs/api --out /tmp/o --state /tmp/s --dump DOCS.jsonl
//   node scripts/bench-text-wasm.cjs DIR DOCS.jsonl   (alternate the builds, several runs each)
// Adds every document, then runs the 400 queries of tests/eval/node-queries.jsonl once to warm
// up and five times timed (k = 10); prints one JSON line.
const fs = require('node:fs');
const path = require('node:path');

const [dir, docsFile] = process.argv.slice(2);
if (!dir || !docsFile) throw new Error('usage: bench-text-wasm.cjs GLUE_DIR DOCS.jsonl');
const wasm = require(path.resolve(dir, 'scry_wasm.js'));
const lines = (file) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const docs = lines(docsFile);
const queries = lines(path.join(__dirname, '..', 'tests', 'eval', 'node-queries.jsonl')).map(
  (q) => q.query,
);
const engine = new wasm.Engine({});
let t = performance.now();
engine.add(docs);
engine.maintain();
const addMs = performance.now() - t;
for (const q of queries) engine.search(q, { k: 10 });
const times = [];
for (let r = 0; r < 5; r++) {
  for (const q of queries) {
    t = performance.now();
    engine.search(q, { k: 10 });
    times.push(performance.now() - t);
  }
}
times.sort((a, b) => a - b);
const at = (p) => Number(times[Math.round((times.length - 1) * p)].toFixed(3));
console.log(
  JSON.stringify({
    build: dir,
    documents: docs.length,
    addMs: Math.round(addMs),
    p50: at(0.5),
    p95: at(0.95),
  }),
);
