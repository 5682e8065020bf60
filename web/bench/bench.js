// The browser benchmark page: runs scry's wasm (pkg/bench, built by `scripts/build.py --profile
// bench`) in the page and reports timings as JSON on `window.__bench`. Driven by
// scripts/bench-browser.mjs (Playwright + Debian Chromium); open it by hand to watch.
import init, { Engine, benchVectors } from '../../pkg/bench/web/scry_wasm.js';

const out = document.getElementById('out');
const params = new URLSearchParams(location.search);
const suites = (params.get('suite') ?? 'vectors10k').split(',');
const results = {};

function log(name, value) {
  results[name] = value;
  out.textContent = JSON.stringify(results, null, 2);
}

function pct(sorted, p) {
  return sorted[Math.round((sorted.length - 1) * p)];
}

async function jsonl(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.text())
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

async function textSuite(wasm) {
  const docs = await jsonl(params.get('docs') ?? '/target/bench/python-docs.jsonl');
  const queries = (await jsonl(params.get('queries') ?? '/tests/eval/python-queries.jsonl')).map(
    (q) => q.query,
  );
  const memBefore = wasm.memory.buffer.byteLength;
  const engine = new Engine(undefined);
  let t = performance.now();
  for (let i = 0; i < docs.length; i += 1000) engine.add(docs.slice(i, i + 1000));
  engine.maintain();
  const buildMs = performance.now() - t;
  const times = [];
  for (let pass = 0; pass < 3; pass++) {
    for (const q of queries) {
      t = performance.now();
      engine.search(q, { k: 10, mode: 'text' }, undefined);
      times.push(performance.now() - t);
    }
  }
  times.sort((a, b) => a - b);
  log('text', {
    documents: engine.size,
    queries: times.length,
    buildMs: Math.round(buildMs),
    docsPerS: Math.round(docs.length / (buildMs / 1000)),
    p50Ms: pct(times, 0.5),
    p95Ms: pct(times, 0.95),
    wasmMemoryGrowthBytes: wasm.memory.buffer.byteLength - memBefore,
  });
  engine.free();
}

async function main() {
  const wasm = await init();
  for (const suite of suites) {
    if (suite === 'vectors10k') log(suite, benchVectors(10000, 384, 200, 32, 40, 64, 7n));
    else if (suite === 'vectors100k') log(suite, benchVectors(100000, 384, 200, 32, 40, 64, 7n));
    else if (suite.startsWith('vectors:')) {
      // vectors:N:M:EFC:EFS
      const [, n, m, efc, efs] = suite.split(':').map(Number);
      log(suite, benchVectors(n, 384, 200, m, efc, efs, 7n));
    } else if (suite === 'text') await textSuite(wasm);
    else throw new Error(`unknown suite ${suite}`);
  }
  results.userAgent = navigator.userAgent;
  results.simd = WebAssembly.validate(
    new Uint8Array([
      0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253,
      15, 253, 98, 11,
    ]),
  );
  window.__bench = results;
}

main().catch((e) => {
  out.textContent = `failed: ${e.stack ?? e}`;
  window.__bench = { error: String(e) };
});
