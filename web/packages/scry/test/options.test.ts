import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  checkSearchQuery,
  resolveEngineOptions,
  resolveSearchOptions,
} from '../dist/internal/options.js';
import { huggingFacePath } from '../dist/internal/model.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

test('defaults: no worker in Node, name "default", in memory', () => {
  const o = resolveEngineOptions(undefined);
  assert.deepEqual(o, {
    name: 'default',
    storage: { kind: 'memory', name: 'default', memoryFallback: false, repair: false },
    worker: false,
    core: {},
    gpu: 'auto',
  });
});

test('hnsw: graph parameters in range go to the core as vector parameters', () => {
  assert.deepEqual(resolveEngineOptions({ hnsw: { threshold: 100, efSearch: 80 } }).core, {
    vectors: { hnswThreshold: 100, hnsw: { efSearch: 80 } },
  });
  assert.deepEqual(resolveEngineOptions({ hnsw: { m: 16, efConstruction: 64 } }).core, {
    vectors: { hnsw: { m: 16, efConstruction: 64 } },
  });
  for (const hnsw of [
    { threshold: 0 },
    { m: 64 },
    { efConstruction: 4 },
    { efSearch: 1.5 },
    { M: 16 },
    'fast',
  ]) {
    assert.equal(
      code(() => resolveEngineOptions({ hnsw })),
      'INVALID_OPTIONS',
      JSON.stringify(hnsw),
    );
  }
});

test('model: built-in by id, or a manifest of its own (its only model unless named)', () => {
  const builtin = resolveEngineOptions({ model: { url: 'http://x.test/m' } }).model;
  assert.deepEqual(builtin, { url: 'http://x.test/m/', cache: true, id: 'all-MiniLM-L6-v2-int8' });
  const own = resolveEngineOptions({
    model: { url: 'http://x.test/clip/', manifest: 'http://x.test/clip/manifest.json' },
  }).model;
  assert.deepEqual(own, {
    url: 'http://x.test/clip/',
    cache: true,
    manifest: 'http://x.test/clip/manifest.json',
  });
  // (In Node, where this runs, a manifest that is not a URL is a path on disk: see issue 27.)
  for (const manifest of ['', 3, 'javascript:x', 'data:,{}']) {
    assert.equal(
      code(() => resolveEngineOptions({ model: { url: 'http://x.test/', manifest } })),
      'INVALID_OPTIONS',
      String(manifest),
    );
  }
});

test('image queries: bitmaps, blobs and RGBA pixels pass; other objects do not', () => {
  const pixels = { width: 1, height: 1, data: new Uint8Array(4) };
  assert.equal(checkSearchQuery(pixels), pixels);
  const blob = new Blob([new Uint8Array([1])]);
  assert.equal(checkSearchQuery(blob), blob);
  assert.equal(checkSearchQuery('text'), 'text');
  for (const bad of [{ width: 1, height: 1, data: [0, 0, 0, 0] }, { width: 1 }, 3, null]) {
    assert.equal(
      code(() => checkSearchQuery(bad)),
      'INVALID_QUERY',
      JSON.stringify(bad),
    );
  }
});

test('gpu: auto, webgpu or cpu; anything else is rejected', () => {
  for (const gpu of ['auto', 'webgpu', 'cpu'] as const) {
    assert.equal(resolveEngineOptions({ gpu }).gpu, gpu);
  }
  for (const bad of ['gpu', 'WebGPU', true, 1]) {
    assert.equal(
      code(() => resolveEngineOptions({ gpu: bad })),
      'INVALID_OPTIONS',
    );
  }
});

test('storage: memory or indexeddb, named after the index; anything else is rejected', () => {
  const o = resolveEngineOptions({ name: 'docs', storage: 'indexeddb' });
  assert.deepEqual(o.storage, {
    kind: 'indexeddb',
    name: 'docs',
    memoryFallback: false,
    repair: false,
  });
  assert.equal(resolveEngineOptions({ storage: 'indexeddb', repair: true }).storage.repair, true);
  assert.throws(
    () => resolveEngineOptions({ storage: 'indexeddb', repair: 'yes' }),
    (e: unknown) => (e as { code?: string }).code === 'INVALID_OPTIONS',
  );
  assert.equal(resolveEngineOptions({ memoryFallback: true }).storage.memoryFallback, true);
  // Each option on its own, so that one rejecting a bad value cannot hide the other accepting it.
  for (const bad of ['localStorage', 1, true]) {
    assert.throws(() => resolveEngineOptions({ storage: bad }), {
      code: 'INVALID_OPTIONS',
      message: /storage must be/,
    });
  }
  for (const bad of ['localStorage', 1, 0, 'true']) {
    assert.throws(() => resolveEngineOptions({ storage: 'indexeddb', memoryFallback: bad }), {
      code: 'INVALID_OPTIONS',
      message: /memoryFallback must be a boolean/,
    });
  }
});

test('storage: file needs a path (a directory, Node.js); path is only for file', () => {
  const o = resolveEngineOptions({ storage: 'file', path: 'out/index' });
  assert.deepEqual(o.storage, {
    kind: 'file',
    name: 'default',
    memoryFallback: false,
    repair: false,
    path: 'out/index',
  });
  for (const bad of [
    { storage: 'file' },
    { storage: 'file', path: '' },
    { storage: 'file', path: 3 },
    { storage: 'indexeddb', path: 'out' },
    { path: 'out' },
    { repair: true },
  ]) {
    assert.throws(
      () => resolveEngineOptions(bad),
      (e: unknown) => (e as { code?: string }).code === 'INVALID_OPTIONS',
      JSON.stringify(bad),
    );
  }
});

test('valid numbers pass through; ranges and types are enforced', () => {
  const o = resolveEngineOptions({ k1: 0.9, b: 0.4, snippetWords: 30, boosts: { title: 2 } });
  assert.deepEqual(o.core, {
    bm25: { k1: 0.9, b: 0.4, boosts: [2, 2, 1, 1.5] },
    limits: { snippetWords: 30 },
  });
  for (const bad of [
    { k1: -1 },
    { k1: Number.NaN },
    { b: 2 },
    { b: '0.5' },
    { snippetWords: 2.5 },
    { boosts: { title: 1000 } },
    { boosts: { subtitle: 1 } },
    { titleBoost: 2 },
    { name: '' },
    { worker: 'yes' },
    { worker: true }, // no Web Workers in Node
    { typo: 1 },
    [],
    'fast',
  ]) {
    assert.equal(
      code(() => resolveEngineOptions(bad)),
      'INVALID_OPTIONS',
      JSON.stringify(bad),
    );
  }
});

test('analyzer, typo and prefix options: checked, then sent as the core names them', () => {
  const o = resolveEngineOptions({
    analyzer: { language: 'german', stopWords: ['der', 'die'], foldDiacritics: false },
    typos: { minChars: 4, weight: 0.5 },
    prefix: false,
  });
  assert.deepEqual(o.core, {
    analyzer: { language: 'german', stopWords: ['der', 'die'], foldDiacritics: false },
    bm25: { typos: true, typoMinChars: 4, typoWeight: 0.5, prefix: false },
  });
  assert.deepEqual(resolveEngineOptions({ analyzer: { language: null } }).core, {
    analyzer: { language: null },
  });
  assert.deepEqual(resolveEngineOptions({ typos: false, prefix: { maxTerms: 3 } }).core, {
    bm25: { typos: false, prefix: true, maxPrefixTerms: 3 },
  });
  for (const bad of [
    { analyzer: { language: 'klingon' } },
    { analyzer: { language: 'German' } },
    { analyzer: { stemming: false } },
    { analyzer: { stopWords: 'the' } },
    { analyzer: { stopWords: [''] } },
    { analyzer: { stopWords: ['a'.repeat(65)] } },
    { analyzer: { stopWords: ['ok', 3] } },
    { analyzer: { stopWords: ['\uD800'] } },
    { analyzer: { stopWords: new Array(10_001).fill('x') } },
    { analyzer: { codeTokens: 'yes' } },
    { analyzer: 'german' },
    { typos: 'on' },
    { typos: { minChars: 0 } },
    { typos: { weight: 2 } },
    { typos: { distance: 2 } },
    { prefix: { weight: -0.1 } },
    { prefix: { maxTerms: 1.5 } },
  ]) {
    assert.equal(
      code(() => resolveEngineOptions(bad)),
      'INVALID_OPTIONS',
      JSON.stringify(bad),
    );
  }
});

test('search options: k bounds, signal type, unknown keys', () => {
  assert.deepEqual(resolveSearchOptions({ k: 5 }).core, { k: 5 });
  const ctl = new AbortController();
  assert.equal(resolveSearchOptions({ signal: ctl.signal }).signal, ctl.signal);
  for (const bad of [{ k: 0 }, { k: 1001 }, { k: 1.5 }, { signal: {} }, { limit: 3 }]) {
    assert.equal(
      code(() => resolveSearchOptions(bad)),
      'INVALID_OPTIONS',
      JSON.stringify(bad),
    );
  }
});

test('issue 24, defect 5: opaque and script URLs are INVALID_OPTIONS, not INTERNAL', () => {
  const urls = [
    'data:,x',
    'data:application/octet-stream;base64,AAAA',
    'javascript:alert(1)',
    'JavaScript://%0Aalert(1)',
    'blob:https://example.com/0b1c',
    'about:blank',
    'mailto:a@b.c',
  ];
  assert.equal(
    code(() => resolveEngineOptions({ staticIndex: { url: 'not a url' } })),
    'INVALID_OPTIONS',
  );
  for (const url of urls) {
    assert.equal(
      code(() => resolveEngineOptions({ model: { url } })),
      'INVALID_OPTIONS',
      url,
    );
    assert.equal(
      code(() => resolveEngineOptions({ staticIndex: { url } })),
      'INVALID_OPTIONS',
      url,
    );
    assert.equal(
      code(() => resolveEngineOptions({ model: { url: 'http://x.test/m/', manifest: url } })),
      'INVALID_OPTIONS',
      url,
    );
    assert.equal(
      code(() => resolveEngineOptions({ assets: url })),
      'INVALID_OPTIONS',
      url,
    );
  }
  // Folders of files keep working: http(s) and file URLs.
  for (const url of ['https://x.test/models/m', 'http://127.0.0.1:8080/m/', 'file:///srv/m/']) {
    assert.equal(resolveEngineOptions({ model: { url } }).model?.url?.endsWith('/'), true, url);
  }
});

test('model.layout: flat or huggingface, the latter with the repository url', () => {
  // Transformers.js' names for int8 exports; the CLIP towers' as Xenova's CLIP repositories.
  assert.equal(huggingFacePath('model.onnx'), 'onnx/model_quantized.onnx');
  assert.equal(huggingFacePath('vision_model.onnx'), 'onnx/vision_model_quantized.onnx');
  assert.equal(huggingFacePath('text_model.onnx'), 'onnx/text_model_quantized.onnx');
  assert.equal(huggingFacePath('tokenizer.json'), 'tokenizer.json');
  const hf = resolveEngineOptions({
    model: { url: 'https://x.test/org/m/resolve/main', layout: 'huggingface' },
  });
  assert.equal(hf.model?.layout, 'huggingface');
  assert.equal(hf.model?.url, 'https://x.test/org/m/resolve/main/');
  assert.equal(
    resolveEngineOptions({ model: { url: '/m/', layout: 'flat' } }).model?.layout,
    undefined,
  );
  for (const model of [
    { url: '/m/', layout: 'hf' },
    { url: '/m/', layout: 1 },
    { files: { 'model.onnx': 'https://x.test/a' }, layout: 'huggingface' },
    { id: 'ext', dims: 4, layout: 'huggingface' },
  ]) {
    assert.equal(
      code(() => resolveEngineOptions({ model })),
      'INVALID_OPTIONS',
      JSON.stringify(model),
    );
  }
});

test('assets: the folder the package is served from, absolute and ending in a slash', () => {
  assert.equal(resolveEngineOptions({}).assets, undefined);
  assert.equal(
    resolveEngineOptions({ assets: 'https://cdn.x.test/scry@0.1.0/dist' }).assets,
    'https://cdn.x.test/scry@0.1.0/dist/',
  );
  assert.equal(
    resolveEngineOptions({ assets: new URL('http://127.0.0.1:8080/vendor/scry/') }).assets,
    'http://127.0.0.1:8080/vendor/scry/',
  );
  for (const bad of ['', 7, {}, null, 'not a url']) {
    assert.equal(
      code(() => resolveEngineOptions({ assets: bad })),
      'INVALID_OPTIONS',
      String(bad),
    );
  }
});

test('createEngine takes an AbortSignal, kept on the page side', () => {
  const signal = new AbortController().signal;
  const o = resolveEngineOptions({ signal });
  assert.equal(o.signal, signal);
  assert.equal(
    code(() => resolveEngineOptions({ signal: 'stop' })),
    'INVALID_OPTIONS',
  );
});

test('issue 27: in Node a model is a folder path, a file: URL, or a URL per file', () => {
  const cwd = process.cwd().replace(/\/+$/, '');
  const folder = (url: unknown) => resolveEngineOptions({ model: { url } }).model?.url;
  assert.equal(folder('/srv/models/m'), 'file:///srv/models/m/');
  assert.equal(folder('models/my model#1'), `file://${cwd}/models/my%20model%231/`);
  assert.equal(folder('./m/'), `file://${cwd}/m/`);
  assert.equal(folder(new URL('file:///srv/m/')), 'file:///srv/m/');
  // Node's own rules for the platform's paths: `%` and `\\` are names' characters on POSIX.
  assert.equal(folder('models/100%/m'), `file://${cwd}/models/100%25/m/`);
  if (process.platform !== 'win32') {
    assert.equal(folder('a\\b'), `file://${cwd}/a%5Cb/`);
  }
  // Per-file URLs (a bundler's renamed files, the scry-model-minilm package) need no folder.
  const files = {
    'model.onnx': new URL('file:///pkg/files/model.onnx'),
    'tokenizer.json': 'https://cdn.test/t-1a2b.json',
  };
  assert.deepEqual(resolveEngineOptions({ model: { files } }).model, {
    id: 'all-MiniLM-L6-v2-int8',
    cache: true,
    files: {
      'model.onnx': 'file:///pkg/files/model.onnx',
      'tokenizer.json': 'https://cdn.test/t-1a2b.json',
    },
  });
  // A model given by its dims has a name of its own, not a built-in model's.
  assert.equal(
    code(() => resolveEngineOptions({ model: { id: 'all-MiniLM-L6-v2-int8', dims: 384 } })),
    'INVALID_OPTIONS',
  );
  // File names are plain names; URLs are checked as a folder's are; the map is not empty.
  for (const bad of [
    { '../model.onnx': 'https://x.test/m' },
    { 'model.onnx': 'javascript:alert(1)' },
    { 'model.onnx': 'data:,x' },
    { 'model.onnx': 7 },
    {},
    [],
    'https://x.test/m/',
  ]) {
    assert.equal(
      code(() => resolveEngineOptions({ model: { files: bad } })),
      'INVALID_OPTIONS',
      JSON.stringify(bad),
    );
  }
});
