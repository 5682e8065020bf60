// The browser benchmark page: runs scry's wasm (pkg/bench, built by `scripts/build.py --profile
// bench`) in the page and reports timings as JSON on `window.__bench`. Driven by
// scripts/bench-browser.mjs (Playwright + Debian Chromium); open it by hand to watch.
import init, {
  Engine,
  Store,
  TextModel,
  benchScan,
  benchSuggest,
  benchVectors,
} from '../../pkg/bench/web/scry_wasm.js';

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
  const run = (k) => {
    const times = [];
    for (let pass = 0; pass < 3; pass++) {
      for (const q of queries) {
        t = performance.now();
        engine.search(q, { k, mode: 'text' }, undefined);
        times.push(performance.now() - t);
      }
    }
    return times.sort((a, b) => a - b);
  };
  // k = 1 first: the difference to k = 10 is the cost of nine more hits (snippets, transfer).
  // `profile` in the URL: a CPU profile of the searches (scripts/bench-browser.mjs --cpu-profile).
  if (params.has('profile')) console.profile('text');
  const k1 = run(1);
  const times = run(10);
  if (params.has('profile')) console.profileEnd('text');
  log('text', {
    documents: engine.size,
    queries: times.length,
    buildMs: Math.round(buildMs),
    docsPerS: Math.round(docs.length / (buildMs / 1000)),
    p50Ms: pct(times, 0.5),
    p95Ms: pct(times, 0.95),
    k1P50Ms: pct(k1, 0.5),
    wasmMemoryGrowthBytes: wasm.memory.buffer.byteLength - memBefore,
  });
  engine.free();
}

const MODEL_DIR = '/models/cache/all-MiniLM-L6-v2-int8/';
// Single-word-piece words: a text of n - 2 of them is exactly n tokens with [CLS] and [SEP].
const WORDS = ['data', 'file', 'stream', 'error', 'value', 'read', 'write', 'event', 'buffer'];

function textOf(tokens, seed) {
  return Array.from({ length: tokens - 2 }, (_, i) => WORDS[(i * 7 + seed) % WORDS.length]).join(
    ' ',
  );
}

/** Runs `fn` (one batch of `batch` texts) until 2 s have passed (≥ 3 runs); sentences/s. */
async function rate(batch, fn) {
  await fn(); // warm-up
  let runs = 0;
  const t0 = performance.now();
  while (runs < 3 || performance.now() - t0 < 2000) {
    await fn();
    runs++;
  }
  return (batch * runs) / ((performance.now() - t0) / 1000);
}

/**
 * Embedding throughput, scry (tract in wasm, SIMD128, this thread) against onnxruntime-web
 * (wasm, 1 and 2 threads) on the same model file and the same input shapes.
 */
async function embedSuite(wasm, ortThreads) {
  const bytes = async (f) => new Uint8Array(await (await fetch(MODEL_DIR + f)).arrayBuffer());
  const [onnx, tokenizer] = await Promise.all([bytes('model.onnx'), bytes('tokenizer.json')]);
  let t = performance.now();
  const model = TextModel.load('all-MiniLM-L6-v2-int8', onnx, tokenizer, 32);
  const scryLoadMs = performance.now() - t;
  // `shapes=32x256,1x16` in the URL: only those shapes (to profile one of them).
  const shapes = params.has('shapes')
    ? params
        .get('shapes')
        .split(',')
        .map((s) => s.split('x').map(Number))
    : [
        [1, 16],
        [32, 16],
        [1, 64],
        [32, 64],
        [1, 256],
        [32, 256],
      ];
  const out = { scryLoadMs, scry: {}, ort: { threads: ortThreads } };
  // `profile` in the URL: a CPU profile of scry's embedding runs (bench-browser.mjs --cpu-profile).
  if (params.has('profile')) console.profile('embed');
  for (const [batch, tokens] of shapes) {
    const texts = Array.from({ length: batch }, (_, i) => textOf(tokens, i));
    if (model.countTokens(texts[0]) !== tokens - 2) throw new Error('token count');
    out.scry[`b${batch}x${tokens}`] = await rate(batch, () => model.embed(texts));
  }
  if (params.has('profile')) console.profileEnd('embed');
  out.scryWasmMemoryBytes = wasm.memory.buffer.byteLength;
  model.free();

  const ort = await import('/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs');
  ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
  // onnxruntime-web keeps one wasm instance per page, so one thread count per page load.
  ort.env.wasm.numThreads = ortThreads;
  t = performance.now();
  const session = await ort.InferenceSession.create(onnx, { executionProviders: ['wasm'] });
  out.ort.coldStartMs = performance.now() - t;
  for (const [batch, tokens] of shapes) {
    const n = batch * tokens;
    const ids = new BigInt64Array(n).fill(2951n);
    for (let b = 0; b < batch; b++) {
      ids[b * tokens] = 101n;
      ids[b * tokens + tokens - 1] = 102n;
    }
    const feeds = {
      input_ids: new ort.Tensor('int64', ids, [batch, tokens]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [batch, tokens]),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(n), [batch, tokens]),
    };
    out.ort[`b${batch}x${tokens}`] = await rate(batch, () => session.run(feeds));
  }
  await session.release();
  log(ortThreads === 1 ? 'embed' : `embed-ort${ortThreads}`, out);
}

/**
 * A pool of P workers, one model each, embedding 256 texts of 64 tokens split evenly: total
 * sentences/s for P = 1 and 2, and the page's whole memory (all workers) once loaded.
 */
async function embedPoolSuite() {
  const bytes = async (f) => new Uint8Array(await (await fetch(MODEL_DIR + f)).arrayBuffer());
  const [onnx, tokenizer] = await Promise.all([bytes('model.onnx'), bytes('tokenizer.json')]);
  const texts = Array.from({ length: 256 }, (_, i) => textOf(64, i));
  const out = {};
  for (const size of [1, 2]) {
    const workers = Array.from(
      { length: size },
      () => new Worker(new URL('./embed-worker.js', import.meta.url), { type: 'module' }),
    );
    const ask = (w, msg) =>
      new Promise((resolve) => {
        w.onmessage = ({ data }) => resolve(data);
        w.postMessage(msg);
      });
    await Promise.all(workers.map((w) => ask(w, { load: { onnx, tokenizer } })));
    const share = texts.length / size;
    const round = () =>
      Promise.all(
        workers.map((w, i) => ask(w, { texts: texts.slice(i * share, (i + 1) * share) })),
      );
    await round(); // warm-up
    const t0 = performance.now();
    for (let r = 0; r < 2; r++) await round();
    const perS = (2 * texts.length) / ((performance.now() - t0) / 1000);
    let memoryBytes;
    if (crossOriginIsolated && performance.measureUserAgentSpecificMemory) {
      memoryBytes = (await performance.measureUserAgentSpecificMemory()).bytes;
    }
    out[`workers${size}`] = { sentencesPerS: perS, memoryBytes };
    for (const w of workers) w.terminate();
  }
  out.speedup = out.workers2.sentencesPerS / out.workers1.sentencesPerS;
  log('embed-pool', out);
}

/**
 * `engine.embed()` of the npm package (engine in its worker, helpers per `model.threads`): 256
 * texts of 64 tokens, sentences/s with 1 and 2 threads; compare with the `embed` and
 * `embed-ort2` suites' b32x64 (onnxruntime-web, 1 and 2 threads) of the same run.
 */
async function embedApiSuite() {
  const { createEngine } = await import('/web/packages/scry/dist/index.js');
  const texts = Array.from({ length: 256 }, (_, i) => textOf(64, i));
  const out = {};
  for (const threads of [1, 2]) {
    const engine = await createEngine({
      name: `bench-embed-${threads}`,
      model: { url: MODEL_DIR, threads },
    });
    await engine.embed(texts); // warm-up (starts the helpers)
    const rounds = 2;
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) await engine.embed(texts);
    const perS = (rounds * texts.length) / ((performance.now() - t0) / 1000);
    out[`threads${threads}`] = {
      sentencesPerS: perS,
      embedThreads: (await engine.info()).embedThreads,
    };
    await engine.dispose();
  }
  out.speedup = out.threads2.sentencesPerS / out.threads1.sentencesPerS;
  log('embed-api', out);
}

// Exact scans through scry-gpu's Scanner: WebGPU (SwiftShader in headless Chromium: a trend
// only) against the wasm SIMD128 CPU scan, 384-d, k = 10.
async function scanSuite() {
  const sizes = new Uint32Array([1000, 4000, 16000, 64000, 100000]);
  const out = {};
  for (const precision of ['f32', 'i8']) {
    for (const backend of ['webgpu', 'cpu']) {
      const batches = new Uint32Array(backend === 'webgpu' ? [1, 64] : [1]);
      out[`${backend}-${precision}`] = await benchScan(sizes, 384, precision, batches, backend, 10);
    }
  }
  log('scan', out);
}

// IndexedDB persistence (issue 6): commit time for 1k added passages, bytes stored per passage,
// and the time to open a 100k-passage index and answer its first query. Passages are the 17k
// Python-docs passages (target/bench/python-docs.jsonl), cycled under fresh ids past 17k (full
// text only: no model in this page).
async function idbSuite() {
  const sample = await jsonl(params.get('docs') ?? '/target/bench/python-docs.jsonl');
  const make = (from, n) =>
    Array.from({ length: n }, (_, i) => {
      const d = sample[(from + i) % sample.length];
      return { ...d, id: `p${from + i}`, url: `${d.url}#${from + i}` };
    });
  const name = 'scry:bench-idb';
  await Store.destroy(name);
  let store = await Store.open(name);
  let engine = await store.openEngine(undefined);
  const commit = async () => {
    const batch = engine.prepareCommit();
    const bytes = batch.bytes;
    await store.write(batch);
    engine.finishCommit(batch);
    await store.collectGarbage(batch);
    batch.free();
    return bytes;
  };
  const out = { commits1k: [], uniquePassages: sample.length };
  const rawBytes = () =>
    new Promise((resolve, reject) => {
      const req = indexedDB.open(name);
      req.onerror = () => reject(req.error);
      req.onsuccess = () => {
        const get = req.result.transaction('blobs').objectStore('blobs').getAll();
        get.onsuccess = () => {
          req.result.close();
          resolve(get.result.reduce((n, v) => n + v.byteLength, 0));
        };
        get.onerror = () => reject(get.error);
      };
    });
  let total = 0;
  // 1k passages at a time up to 10k: add (index) time and commit time separately.
  for (let i = 0; i < 10; i++) {
    let t = performance.now();
    engine.add(make(total, 1000));
    const addMs = performance.now() - t;
    t = performance.now();
    const bytes = await commit();
    out.commits1k.push({ before: total, addMs, commitMs: performance.now() - t, bytes });
    total += 1000;
  }
  engine.maintain();
  await commit();
  out.encodedBytesPerPassage10k = (await rawBytes()) / total;
  // Up to 100k in 10k steps, merged into large segments as the engine would in the background.
  while (total < 100000) {
    engine.add(make(total, 10000));
    total += 10000;
    engine.maintain();
    await commit();
  }
  const estimate = await navigator.storage.estimate();
  out.passages = total;
  out.encodedBytes = await rawBytes();
  out.encodedBytesPerPassage = out.encodedBytes / total;
  // What Chrome reports on disk (it compresses IndexedDB values).
  out.diskBytes = estimate.usageDetails?.indexedDB ?? estimate.usage;
  engine.free();
  store.free();
  // Open from scratch: database, manifest and each segment's meta file; then the first query,
  // reading (and checking) the chunks it asks for, as the package does; then the rest, as the
  // package's background load does.
  const readChunks = async (keys) => {
    let bytes = 0;
    await Promise.all(
      keys.map(async (key) => {
        const b = await store.read(key);
        bytes += b.byteLength;
        engine.loadChunk(key, b);
      }),
    );
    return bytes;
  };
  const lazily = async (run) => {
    const read = { chunks: 0, bytes: 0 };
    for (;;) {
      try {
        return { result: run(), read };
      } catch (e) {
        if (e.code !== 'CHUNKS_NEEDED') throw e;
        read.chunks += e.chunks.length;
        read.bytes += await readChunks(e.chunks);
      }
    }
  };
  let t = performance.now();
  store = await Store.open(name);
  engine = await store.openEngine(undefined);
  out.openMs = performance.now() - t;
  out.chunksAtOpen = engine.storedChunksMissing().length;
  t = performance.now();
  const first = await lazily(() =>
    engine.search('read a file stream', { k: 10, mode: 'text' }, undefined),
  );
  out.firstQueryMs = performance.now() - t;
  out.firstQueryHits = first.result.length;
  out.firstQueryRead = first.read;
  t = performance.now();
  const second = await lazily(() =>
    engine.search('parse command line arguments', { k: 10, mode: 'text' }, undefined),
  );
  out.secondQueryMs = performance.now() - t;
  out.secondQueryRead = second.read;
  t = performance.now();
  for (let left = engine.storedChunksMissing(); left.length > 0;) {
    await readChunks(left.slice(0, 32));
    left = engine.storedChunksMissing();
  }
  out.restMs = performance.now() - t;
  out.documents = engine.size;
  engine.free();
  store.free();
  await Store.destroy(name);
  log('idb', out);
}

// Query suggestions (N = 100) after a hybrid search, on the Node.js docs indexed natively with
// the model (the same index format the browser stores).
async function suggestSuite() {
  // The state folder of `scry index --state` (the stored index), and the list of its files
  // that bench-browser.mjs writes beside it.
  const dir = '/target/bench/node-idx-dense/';
  const list = '/target/bench/node-idx-dense.files.json';
  const res = await fetch(list);
  if (!res.ok) throw new Error(`${list}: HTTP ${res.status} (see bench-browser.mjs)`);
  const files = await Promise.all(
    (await res.json()).map(async (f) => [
      f,
      new Uint8Array(await (await fetch(dir + f)).arrayBuffer()),
    ]),
  );
  const bytes = async (f) => new Uint8Array(await (await fetch(MODEL_DIR + f)).arrayBuffer());
  const [onnx, tokenizer] = await Promise.all([bytes('model.onnx'), bytes('tokenizer.json')]);
  const model = TextModel.load('all-MiniLM-L6-v2-int8', onnx, tokenizer, 32);
  const queries = (await jsonl('/tests/eval/node-suggest.jsonl')).map((c) => c.query);
  const out = await benchSuggest(files, queries, model, 5);
  const p50s = out.runs.map((r) => r.suggestP50Ms).sort((a, b) => a - b);
  const text = out.runs.map((r) => r.textSuggestP50Ms).sort((a, b) => a - b);
  out.summary = {
    queries: out.runs.length,
    suggestMedianMs: pct(p50s, 0.5),
    suggestWorstMs: p50s[p50s.length - 1],
    textSuggestMedianMs: pct(text, 0.5),
    searchMedianMs: pct(
      out.runs.map((r) => r.searchP50Ms).sort((a, b) => a - b),
      0.5,
    ),
    firstSearchMedianMs: pct(
      out.runs.map((r) => r.firstSearchMs).sort((a, b) => a - b),
      0.5,
    ),
  };
  model.free();
  log('suggest', out);
}

// The npm package as a page uses it (engine in its Web Worker): time from createEngine to ready
// (no model; model fetched and cached; model from Cache Storage), and how long the page's main
// thread is ever blocked while the worker indexes 10,000 documents (text) and embeds 300
// (model): the longest 'longtask' entry, and the longest gap between 4 ms timer ticks.
async function packageSuite() {
  const { createEngine } = await import('/web/packages/scry/dist/index.js');
  const model = { url: MODEL_DIR };
  const ready = async (options) => {
    const t = performance.now();
    const engine = await createEngine(options);
    return { engine, ms: performance.now() - t };
  };
  await caches.delete('scry-models-v1');
  const plain = await ready({ name: 'bench-plain' });
  const cold = await ready({ name: 'bench-cold', model });
  await cold.engine.dispose();
  const cached = await ready({ name: 'bench-cached', model });

  const watch = async (fn) => {
    const longTasks = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push(e.duration);
    });
    observer.observe({ type: 'longtask' });
    let last = performance.now();
    let maxGap = 0;
    let ticking = true;
    const tick = () => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      if (ticking) setTimeout(tick, 4);
    };
    setTimeout(tick, 4);
    const t = performance.now();
    await fn();
    const ms = performance.now() - t;
    ticking = false;
    await new Promise((r) => setTimeout(r, 50));
    observer.disconnect();
    return {
      ms,
      longTasks: longTasks.length,
      longestTaskMs: longTasks.length ? Math.max(...longTasks) : 0,
      longestTimerGapMs: maxGap,
    };
  };
  const docs = (await jsonl('/target/bench/python-docs.jsonl')).slice(0, 10000);
  // Let the task that parsed the documents end before watching.
  await new Promise((r) => setTimeout(r, 100));
  const text = await watch(async () => {
    for (let i = 0; i < docs.length; i += 1000) await plain.engine.add(docs.slice(i, i + 1000));
  });
  const embedded = await watch(async () => {
    for (let i = 0; i < 300; i += 50) await cached.engine.add(docs.slice(i, i + 50));
  });
  await plain.engine.dispose();
  await cached.engine.dispose();
  log('package', {
    readyNoModelMs: plain.ms,
    readyModelColdMs: cold.ms,
    readyModelCachedMs: cached.ms,
    index10kText: { documents: docs.length, ...text },
    index300Embedded: { documents: 300, ...embedded },
  });
}

async function main() {
  const wasm = await init();
  for (const suite of suites) {
    // Default HNSW parameters (M 32, ef_construction 32, ef_search 64, rescore 30) on MiniLM-like
    // vectors; `vectors:N:M:EFC[:minilm|clustered]` sweeps ef_search and rescore on one graph.
    const one = (n) =>
      benchVectors(n, 384, 200, 32, 32, new Uint32Array([64]), new Uint32Array([30]), 7n, 'minilm');
    if (suite === 'vectors10k') log(suite, one(10000));
    else if (suite === 'vectors100k') log(suite, one(100000));
    else if (suite.startsWith('vectors:')) {
      const parts = suite.split(':');
      const [n, m, efc] = parts.slice(1, 4).map(Number);
      const data = parts[4] ?? 'minilm';
      const sweep = new Uint32Array([32, 48, 64, 80, 96]);
      log(suite, benchVectors(n, 384, 200, m, efc, sweep, new Uint32Array([30, 64]), 7n, data));
    } else if (suite === 'text') await textSuite(wasm);
    else if (suite === 'embed') await embedSuite(wasm, 1);
    else if (suite === 'embed-ort2') await embedSuite(wasm, 2);
    else if (suite === 'embed-pool') await embedPoolSuite();
    else if (suite === 'embed-api') await embedApiSuite();
    else if (suite === 'scan') await scanSuite();
    else if (suite === 'idb') await idbSuite();
    else if (suite === 'suggest') await suggestSuite();
    else if (suite === 'package') await packageSuite();
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
