// Model loading in a real browser: the built npm package fetches all-MiniLM-L6-v2 (int8) with
// progress events, verifies and caches it (Cache Storage), embeds in its worker, and rejects
// damaged files with typed errors. Serves the repository root: the package from
// web/packages/scry/dist, the model from models/cache (scripts/setup.sh fetches it).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { startServer } from '../../scripts/serve.mjs';
import { launch } from './browser.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODEL = 'models/cache/all-MiniLM-L6-v2-int8/';
// Damaged copies, under the ignored target/ folder.
const BAD = 'target/e2e-models/';

let server;
let browser;

before(async () => {
  for (const [dir, damage] of [
    ['truncated/', (b) => b.subarray(0, b.length - 4096)],
    ['flipped/', (b) => ((b = Buffer.from(b)), (b[b.length >> 1] ^= 0x40), b)],
  ]) {
    mkdirSync(`${ROOT}${BAD}${dir}`, { recursive: true });
    writeFileSync(
      `${ROOT}${BAD}${dir}model.onnx`,
      damage(readFileSync(`${ROOT}${MODEL}model.onnx`)),
    );
    copyFileSync(`${ROOT}${MODEL}tokenizer.json`, `${ROOT}${BAD}${dir}tokenizer.json`);
  }
  mkdirSync(`${ROOT}${BAD}missing/`, { recursive: true });
  server = await startServer({ root: ROOT, port: 0 });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage(context) {
  const page = await context.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${server.url}tests/e2e/pages/model.html`);
  await page.waitForSelector('body[data-ready]', { state: 'attached' });
  return { page, requests };
}

/** Creates an engine with the model at `url` in the page; returns what happened. */
function createWithModel(page, url) {
  return page.evaluate(async (url) => {
    const progress = [];
    try {
      const engine = await window.scry.createEngine({
        name: 'model-test',
        model: { url },
        onProgress: (p) => progress.push(p),
      });
      const info = await engine.info();
      window.engine = engine;
      return { ok: true, info, progress };
    } catch (e) {
      return { ok: false, code: e.code, message: e.message, progress };
    }
  }, url);
}

test('the model is fetched with progress, cached, verified and used for semantic search', async () => {
  const context = await browser.newContext();
  const { page, requests } = await openPage(context);
  const first = await createWithModel(page, `/${MODEL}`);
  assert.ok(first.ok, first.message);
  assert.equal(first.info.model, 'all-MiniLM-L6-v2-int8');
  assert.equal(first.info.worker, true);
  const total = 22928619 + 466247;
  const last = first.progress.at(-1);
  assert.ok(first.progress.length > 2, 'several progress events');
  assert.deepEqual([last.loaded, last.total], [total, total]);
  assert.ok(first.progress.every((p) => !p.fromCache));
  for (let i = 1; i < first.progress.length; i++) {
    assert.ok(first.progress[i].loaded >= first.progress[i - 1].loaded, 'progress only grows');
  }
  assert.equal(requests.filter((u) => u.endsWith('/model.onnx')).length, 1);

  // Semantic search: the query shares no word with the expected document's title.
  const sample = JSON.parse(
    readFileSync(new URL('../fixtures/node-docs-sample.json', import.meta.url), 'utf8'),
  );
  const hits = await page.evaluate(async (docs) => {
    const progress = [];
    await window.engine.add(docs, { onProgress: (p) => progress.push(p) });
    window.addProgress = progress;
    const vector = await window.engine.search('compress data with gzip or deflate', {
      mode: 'vector',
      k: 3,
    });
    const blank = await window.engine.search('   ', { mode: 'vector' }).catch((e) => e.code);
    return { vector: vector.map((h) => h.id), blank };
  }, sample.documents);
  assert.equal(hits.vector[0], 'zlib', JSON.stringify(hits.vector));
  assert.equal(hits.blank, 'INVALID_QUERY');
  // Embedding progress: batches of passages, growing to all of them.
  const addProgress = await page.evaluate(() => window.addProgress);
  assert.ok(addProgress.length >= 2, JSON.stringify(addProgress));
  const lastAdd = addProgress.at(-1);
  assert.equal(lastAdd.documents, sample.documents.length);
  assert.equal(lastAdd.embedded, lastAdd.passages);
  assert.ok(lastAdd.passages >= sample.documents.length);
  for (let i = 1; i < addProgress.length; i++) {
    assert.ok(addProgress[i].embedded > addProgress[i - 1].embedded);
  }

  // Aborting an add between embedding batches adds nothing; the engine carries on.
  const aborted = await page.evaluate(async (docs) => {
    const copies = [1, 2, 3].flatMap((n) => docs.map((d) => ({ ...d, id: `copy${n}-${d.id}` })));
    const before = (await window.engine.info()).documents;
    const ctl = new AbortController();
    let events = 0;
    let passages = 0;
    let embedded = 0;
    const code = await window.engine
      .add(copies, {
        signal: ctl.signal,
        onProgress: (p) => {
          events++;
          passages = p.passages;
          embedded = p.embedded;
          ctl.abort();
        },
      })
      .then(
        () => 'resolved',
        (e) => e.code,
      );
    const after = (await window.engine.info()).documents;
    await window.engine.add(copies.slice(0, 3));
    const later = (await window.engine.info()).documents;
    return { code, events, passages, embedded, before, after, later };
  }, sample.documents);
  assert.equal(aborted.code, 'ABORTED');
  // The abort reaches the worker while it embeds the next batch: it stops after that one.
  assert.ok(aborted.events >= 1 && aborted.events <= 2, `${aborted.events} batches embedded`);
  assert.ok(aborted.embedded < aborted.passages, `${aborted.embedded} of ${aborted.passages}`);
  assert.equal(aborted.after, aborted.before);
  assert.equal(aborted.later, aborted.before + 3);

  // A second engine in the same origin takes the files from the cache: no model download.
  const before = requests.length;
  const second = await createWithModel(page, `/${MODEL}`);
  assert.ok(second.ok, second.message);
  assert.ok(second.progress.length >= 2 && second.progress.every((p) => p.fromCache));
  assert.deepEqual(
    requests.slice(before).filter((u) => u.includes('/models/')),
    [],
    'cached model files are not fetched again',
  );

  // A damaged cache entry is detected, dropped and fetched again.
  await page.evaluate(async (url) => {
    const cache = await caches.open('scry-models-v1');
    await cache.put(new URL(url, location.href).href, new Response('not a model'));
  }, `/${MODEL}model.onnx`);
  const healed = await createWithModel(page, `/${MODEL}`);
  assert.ok(healed.ok, healed.message);
  assert.equal(requests.filter((u) => u.endsWith(`/${MODEL}model.onnx`)).length, 2);
  const cachedBytes = await page.evaluate(async (url) => {
    const cache = await caches.open('scry-models-v1');
    const r = await cache.match(new URL(url, location.href).href);
    return (await r.arrayBuffer()).byteLength;
  }, `/${MODEL}model.onnx`);
  assert.equal(cachedBytes, 22928619);
  await context.close();
});

test("gpu: 'webgpu' scans on the GPU (SwiftShader here) and answers exactly as the CPU", async () => {
  const context = await browser.newContext();
  const { page } = await openPage(context);
  const sample = JSON.parse(
    readFileSync(new URL('../fixtures/node-docs-sample.json', import.meta.url), 'utf8'),
  );
  const queries = [
    'compress data with gzip or deflate',
    'read a file line by line',
    'spawn a child process and read its output',
    'hash a password',
    'listen for http requests',
    'timers that run later',
    'resolve a domain name',
    'worker threads share memory',
  ];
  const out = await page.evaluate(
    async ({ url, docs, queries }) => {
      const make = (gpu, hnsw) =>
        window.scry.createEngine({ name: `gpu-${gpu}`, model: { url }, gpu, hnsw });
      const [gpu, cpu, auto] = [await make('webgpu'), await make('cpu'), await make('auto')];
      await gpu.add(docs);
      await cpu.add(docs);
      const removed = [docs[0].id, docs[5].id];
      const results = [];
      for (const phase of ['added', 'removed']) {
        if (phase === 'removed') {
          await gpu.remove(removed);
          await cpu.remove(removed);
        }
        for (const mode of ['vector', 'hybrid']) {
          for (const q of queries) {
            // Concurrent searches queue on the GPU scan.
            const [g, c] = await Promise.all([
              gpu.search(q, { mode, k: 5 }),
              cpu.search(q, { mode, k: 5 }),
            ]);
            const view = (hits) => hits.map((h) => [h.id, h.score]);
            results.push({ phase, mode, q, gpu: view(g), cpu: view(c) });
          }
        }
      }
      const burst = await Promise.all(queries.map((q) => gpu.search(q, { mode: 'vector', k: 3 })));
      const info = { gpu: (await gpu.info()).gpu, cpu: (await cpu.info()).gpu };
      info.auto = (await auto.info()).gpu;

      // Past the HNSW threshold, the worker builds a graph in the background a moment after
      // the add: the GPU copy empties and the graph answers (on the CPU), as exactly here.
      const graph = await make('webgpu', { threshold: 40 });
      await graph.add(docs);
      const flat = await graph.info();
      await graph.remove(removed);
      let built = flat;
      for (let i = 0; i < 300 && built.graphSegments === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        built = await graph.info();
      }
      const graphed = [];
      for (const q of queries) {
        const [g, c] = await Promise.all([
          graph.search(q, { mode: 'vector', k: 5 }),
          cpu.search(q, { mode: 'vector', k: 5 }),
        ]);
        graphed.push({
          q,
          graph: g.map((h) => [h.id, h.score]),
          cpu: c.map((h) => [h.id, h.score]),
        });
      }
      const maintained = { flat, built, after: await graph.info() };
      await Promise.all([gpu.dispose(), cpu.dispose(), auto.dispose(), graph.dispose()]);
      return { results, info, removed, burst: burst.map((h) => h[0]?.id), graphed, maintained };
    },
    { url: `/${MODEL}`, docs: sample.documents, queries },
  );
  for (const r of out.results) {
    assert.deepEqual(r.gpu, r.cpu, `${r.phase} ${r.mode} "${r.q}"`);
    assert.equal(r.gpu.length, 5);
    if (r.phase === 'removed') {
      assert.ok(!r.gpu.some(([id]) => out.removed.includes(id)), 'a removed document came back');
    }
  }
  assert.equal(out.results.find((r) => r.q.startsWith('compress')).gpu[0][0], 'zlib');
  assert.equal(out.burst[0], 'zlib');
  assert.equal(out.info.gpu.backend, 'webgpu');
  assert.equal(out.info.gpu.software, true, JSON.stringify(out.info.gpu));
  assert.ok(out.info.gpu.searches >= 2 * 2 * 8 + 8, JSON.stringify(out.info.gpu));
  assert.ok(out.info.gpu.vectors >= sample.documents.length - 2);
  assert.equal(out.info.cpu.backend, 'cpu');
  assert.equal(out.info.cpu.reason, "gpu: 'cpu'");
  // 'auto' opens WebGPU but never prefers a software adapter.
  assert.equal(out.info.auto.backend, 'cpu');
  assert.match(out.info.auto.reason, /software adapter/);
  const { flat, built, after } = out.maintained;
  assert.equal(flat.graphSegments, 0, 'adds are indexed flat');
  assert.equal(built.graphSegments, 1, 'the graph is built in the background');
  assert.equal(built.documents, sample.documents.length - 2);
  // The removed documents' vectors were merged away with the graph build.
  assert.ok(built.vectors < flat.vectors, `${built.vectors} of ${flat.vectors} vectors`);
  assert.equal(after.gpu.vectors, 0, 'graph segments leave the GPU copy');
  for (const g of out.graphed) assert.deepEqual(g.graph, g.cpu, `graph: "${g.q}"`);
  await context.close();
});

test('vectors computed elsewhere are indexed and searched as given, and cross as transferables', async () => {
  const context = await browser.newContext();
  const { page } = await openPage(context);
  const out = await page.evaluate(async (url) => {
    const engine = await window.scry.createEngine({ name: 'vectors', model: { url } });
    const unit = (seed) => {
      let x = seed;
      const v = Float32Array.from({ length: 384 }, () => {
        x = (x * 1103515245 + 12345) % 2147483648;
        return x / 2147483648 - 0.5;
      });
      const n = Math.hypot(...v);
      return v.map((c) => c / n);
    };
    const given = unit(7);
    const copy = given.slice();
    await engine.add([
      { id: 'given', title: 'a precomputed vector', vector: given },
      { id: 'text', title: 'Compression', body: 'gzip and deflate streams' },
    ]);
    const detached = given.length === 0;
    const byVector = await engine.search('', { mode: 'vector', k: 2, vector: copy.slice() });
    const hybrid = await engine.search('gzip', { k: 2, vector: copy.slice() });
    const codes = {
      length: await engine
        .add([{ id: 'short', title: 's', vector: new Float32Array(3) }])
        .catch((e) => e.code),
      nan: await engine
        .add([{ id: 'nan', title: 'n', vector: new Float32Array(384).fill(NaN) }])
        .catch((e) => e.code),
      query: await engine.search('', { vector: new Float32Array(5) }).catch((e) => e.code),
      type: await engine.search('x', { vector: [1, 2] }).catch((e) => e.code),
    };
    const documents = (await engine.info()).documents;
    await engine.dispose();
    return {
      detached,
      byVector: byVector.map((h) => [h.id, h.score]),
      hybrid: hybrid.map((h) => h.id),
      codes,
      documents,
    };
  }, `/${MODEL}`);
  assert.ok(out.detached, 'the document vector was transferred');
  assert.equal(out.byVector[0][0], 'given');
  assert.ok(out.byVector[0][1] > 0.99, `${out.byVector[0][1]}`);
  assert.deepEqual(new Set(out.hybrid), new Set(['given', 'text']));
  assert.deepEqual(out.codes, {
    length: 'INVALID_DOCUMENT',
    nan: 'INVALID_DOCUMENT',
    query: 'INVALID_QUERY',
    type: 'INVALID_OPTIONS',
  });
  assert.equal(out.documents, 2);
  await context.close();
});

test('embedding on a pool of workers (model.threads): the same vectors as one thread', async () => {
  const context = await browser.newContext();
  const { page, requests } = await openPage(context);
  const out = await page.evaluate(async (url) => {
    const words = 'stream buffer socket timer crypto path module worker cluster event'.split(' ');
    // 96 texts of 1 to 40 words (24 batches: the engine's thread and one helper share them).
    const texts = Array.from({ length: 96 }, (_, i) =>
      Array.from({ length: 1 + ((i * 7) % 40) }, (_, j) => words[(i + j * 3) % 10]).join(' '),
    );
    const one = await window.scry.createEngine({ name: 'pool-1', model: { url, threads: 1 } });
    const two = await window.scry.createEngine({ name: 'pool-2', model: { url, threads: 2 } });
    const before = (await two.info()).embedThreads;
    const a = await one.embed(texts);
    const progress = [];
    const b = await two.embed(texts, { onProgress: (p) => progress.push(p.embedded) });
    const same = a.every((v, i) => v.length === 384 && v.every((x, j) => x === b[i][j]));
    const threads = [(await one.info()).embedThreads, (await two.info()).embedThreads];
    // Documents: their passages are embedded on the pool too, and found.
    await two.add(texts.map((body, i) => ({ id: `d${i}`, title: `Doc ${i}`, body })));
    const addThreads = (await two.info()).embedThreads;
    const hit = (await two.search(texts[40], { mode: 'vector', k: 1 }))[0]?.id;
    // An abort stops the pool between batches; the engine goes on.
    const controller = new AbortController();
    const many = Array.from({ length: 400 }, (_, i) => `${texts[i % 96]} ${i}`);
    const aborted = await two
      .embed(many, {
        signal: controller.signal,
        onProgress: (p) => p.embedded >= 40 && controller.abort(),
      })
      .catch((e) => e.code);
    // Batched with other texts than before: the int8 model quantises each batch's activations
    // with the batch's own range, so the vectors differ in the 5th decimal (cosine ~1).
    // Two calls at once take turns on the helpers: each gets its own vectors.
    const [c1, c2] = await Promise.all([two.embed(texts), two.embed(texts)]);
    const concurrent = [c1, c2].every((c) => c.every((v, i) => v.every((x, j) => x === a[i][j])));
    // An engine on the page disposed while its helper still loads: the call settles.
    const page = await window.scry.createEngine({
      name: 'pool-page',
      worker: false,
      model: { url, threads: 2 },
    });
    const pending = page.embed(texts.slice(0, 64)).then(
      () => 'done',
      (e) => e.code,
    );
    await page.dispose();
    const disposed = await Promise.race([
      pending,
      new Promise((resolve) => setTimeout(() => resolve('hung'), 20000)),
    ]);
    const after = await two.embed(texts.slice(0, 3));
    const again = after.every((v, i) => v.reduce((sum, x, j) => sum + x * a[i][j], 0) > 0.9999);
    await one.dispose();
    await two.dispose();
    return {
      before,
      same,
      threads,
      progress,
      addThreads,
      hit,
      aborted,
      again,
      concurrent,
      disposed,
    };
  }, `/${MODEL}`);
  assert.equal(out.before, 0);
  assert.ok(out.same, 'the pool gives the same vectors, bit for bit');
  assert.deepEqual(out.threads, [1, 2]);
  assert.equal(out.progress.at(-1), 96);
  assert.ok(out.progress.every((n, i) => i === 0 || n > out.progress[i - 1]));
  assert.equal(out.addThreads, 2);
  assert.equal(out.hit, 'd40');
  assert.equal(out.aborted, 'ABORTED');
  assert.ok(out.again, 'the engine embeds after the abort');
  assert.ok(out.concurrent, 'two calls at once get their own vectors');
  assert.ok(['done', 'DISPOSED'].includes(out.disposed), out.disposed);
  assert.ok(
    requests.some((r) => r.endsWith('/embed-worker.js')),
    'a helper worker started',
  );
  await context.close();
});

test('damaged or missing model files are typed errors, never a broken engine', async () => {
  const context = await browser.newContext();
  const { page } = await openPage(context);
  for (const [dir, code] of [
    ['truncated/', 'MODEL_INTEGRITY'],
    ['flipped/', 'MODEL_INTEGRITY'],
    ['missing/', 'MODEL_FETCH'],
  ]) {
    const r = await createWithModel(page, `/${BAD}${dir}`);
    assert.equal(r.ok, false, dir);
    assert.equal(r.code, code, `${dir}: ${r.message}`);
  }
  const cached = await page.evaluate(async () =>
    (await (await caches.open('scry-models-v1')).keys()).map((r) => r.url),
  );
  assert.equal(cached.length, 0, 'nothing damaged was cached');
  const unknown = await page.evaluate(() =>
    window.scry
      .createEngine({ model: { url: '/models/', id: 'no-such-model' } })
      .catch((e) => e.code),
  );
  assert.equal(unknown, 'MODEL_UNKNOWN');
  await context.close();
});
