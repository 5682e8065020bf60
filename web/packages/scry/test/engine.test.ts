// The real wasm core (nodejs build) through the public API, on the Node.js docs sample.
import assert from 'node:assert/strict';
import {
  copyFileSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import {
  createEngine,
  type AnalyzerOptions,
  type Document,
  type EmbedOptions,
  type EmbedProgress,
  type Engine,
  type ModelProgress,
  type ModelSpec,
} from '../dist/index.js';

const sample = JSON.parse(
  readFileSync(
    new URL('../../../../tests/fixtures/node-docs-sample.json', import.meta.url),
    'utf8',
  ),
) as { documents: Document[] };

async function withEngine(fn: (e: Engine) => Promise<void>): Promise<void> {
  const engine = await createEngine({ name: 'test' });
  try {
    await engine.add(sample.documents);
    await fn(engine);
  } finally {
    await engine.dispose();
  }
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

test('indexes the sample and finds modules by their description', () =>
  withEngine(async (engine) => {
    const info = await engine.info();
    assert.equal(info.documents, sample.documents.length);
    assert.equal(info.worker, false);
    assert.match(info.version, /^\d+\.\d+\.\d+$/);
    assert.equal(info.segments, 1);
    assert.equal(info.graphSegments, 0);
    assert.equal(info.vectors, 0);
    // No model: nothing to compare on a GPU.
    assert.equal(info.gpu.backend, 'cpu');
    assert.equal(info.gpu.searches, 0);
    assert.match(info.gpu.reason ?? '', /no model/);
    const hits = await engine.search('gzip compression', { k: 3 });
    assert.equal(hits[0]?.id, 'zlib');
    const top = hits[0]!;
    assert.ok(top.snippet.highlights.length > 0);
    for (const [s, e] of top.snippet.highlights) {
      assert.match(top.snippet.text.slice(s, e).toLowerCase(), /^(gzip|compression)$/);
    }
    // "Zlib" holds neither word; a title that matches has its words' ranges (UTF-16).
    assert.deepEqual(top.titleHighlights, []);
    const [named] = await engine.search('zlib', { k: 1 });
    assert.equal(named?.title, 'Zlib');
    assert.deepEqual(named?.titleHighlights, [[0, 4]]);
  }));

test('rust errors arrive as ScryError with their codes', () =>
  withEngine(async (engine) => {
    assert.equal(await codeOf(engine.search('   ')), 'INVALID_QUERY');
    assert.equal(await codeOf(engine.add([{ id: 'fs', title: 'again' }])), 'DUPLICATE_ID');
    assert.equal(await codeOf(engine.add([{ id: '', body: 'x' }])), 'INVALID_DOCUMENT');
    assert.equal(await codeOf(engine.add([{ id: 7 } as unknown as Document])), 'INVALID_DOCUMENT');
    assert.equal(await codeOf(engine.search('fs', { k: 0 })), 'INVALID_OPTIONS');
    // A failed add changed nothing.
    assert.equal((await engine.info()).documents, sample.documents.length);
  }));

test('remove, abort and dispose', async () => {
  const engine = await createEngine();
  await engine.add(sample.documents);
  assert.equal(await engine.remove(['zlib', 'zlib', 'nope']), 1);
  const hits = await engine.search('gzip deflate');
  assert.ok(hits.every((h) => h.id !== 'zlib'));
  const ctl = new AbortController();
  ctl.abort();
  assert.equal(await codeOf(engine.search('stream', { signal: ctl.signal })), 'ABORTED');
  await engine.dispose();
  assert.equal(await codeOf(engine.search('stream')), 'DISPOSED');
});

test('engine options reach the core; out-of-range ones are INVALID_OPTIONS', async () => {
  assert.equal(await codeOf(createEngine({ k1: 99 })), 'INVALID_OPTIONS');
  const engine = await createEngine({ boosts: { title: 0, body: 1 } });
  await engine.add([
    { id: 'a', title: 'stream', body: 'nothing here' },
    { id: 'b', title: 'other', body: 'stream text' },
  ]);
  const hits = await engine.search('stream');
  assert.deepEqual(
    hits.map((h) => h.id),
    ['b'],
  );
  await engine.dispose();
});

test('the analyzer, typo and prefix options change what matches', async () => {
  const docs = [
    { id: 'haus', title: 'Die Häuser der Stadt', body: 'Alte Häuser am Markt.' },
    { id: 'api', title: 'readFile', body: 'Reads the whole file.' },
  ];
  const ids = async (engine: Engine, q: string) =>
    (await engine.search(q, { mode: 'text' })).map((h) => h.id);
  const english = await createEngine();
  const strict = await createEngine({ typos: false, prefix: false });
  const german = await createEngine({
    analyzer: { language: 'german' },
    typos: false,
    prefix: false,
  });
  try {
    for (const e of [english, german, strict]) await e.add(docs);
    // German stemming: Häuser and Hauses are one term (haus); English stemming keeps them
    // apart (compared without typos and prefixes, which would blur it).
    assert.deepEqual(await ids(german, 'Hauses'), ['haus']);
    assert.deepEqual(await ids(strict, 'Hauses'), []);
    // Typos and prefixes are on by default, and can be turned off.
    assert.deepEqual(await ids(english, 'whule'), ['api']);
    assert.deepEqual(await ids(strict, 'whule'), []);
    assert.deepEqual(await ids(english, 'rea'), ['api']);
    assert.deepEqual(await ids(strict, 'rea'), []);
  } finally {
    await Promise.all([english.dispose(), german.dispose(), strict.dispose()]);
  }
});

test('a stored index keeps its analyzer: another is INVALID_OPTIONS, and nothing changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scry-analyzer-'));
  try {
    const first = await createEngine({
      storage: 'file',
      path: dir,
      analyzer: { language: 'german', stopWords: ['der'] },
    });
    await first.add([{ id: 'haus', title: 'Die Häuser der Stadt', body: 'Alte Häuser.' }]);
    await first.dispose();
    const others: AnalyzerOptions[] = [
      { language: 'french' },
      { language: null },
      { language: 'german', stopWords: [] },
      { foldDiacritics: false },
    ];
    for (const analyzer of others) {
      assert.equal(
        await codeOf(createEngine({ storage: 'file', path: dir, analyzer })),
        'INVALID_OPTIONS',
        JSON.stringify(analyzer),
      );
    }
    // Without the option, or with one that makes the same terms (stop words compare
    // normalised): the index's own analyzer, its document kept.
    const same: (AnalyzerOptions | undefined)[] = [
      undefined,
      { language: 'german', stopWords: ['der'] },
      { stopWords: ['DER', 'der'] },
    ];
    for (const analyzer of same) {
      const again = await createEngine({
        storage: 'file',
        path: dir,
        ...(analyzer ? { analyzer } : {}),
      });
      try {
        assert.deepEqual(
          (await again.search('Haus', { mode: 'text' })).map((h) => h.id),
          ['haus'],
        );
      } finally {
        await again.dispose();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('filters, modes and metadata reach the core', async () => {
  const engine = await createEngine();
  await engine.add(
    sample.documents.map((d, i) => ({ ...d, metadata: { n: i, group: i % 2 ? 'odd' : 'even' } })),
  );
  const hits = await engine.search('module', { k: 5, mode: 'text', filter: { group: 'odd' } });
  assert.equal(hits.length, 5);
  for (const h of hits) {
    const i = sample.documents.findIndex((d) => d.id === h.id);
    assert.equal(i % 2, 1);
  }
  assert.equal(
    await codeOf(engine.search('module', { filter: { n: { like: 1 } } })),
    'INVALID_OPTIONS',
  );
  assert.equal(
    await codeOf(engine.search('module', { mode: 'fuzzy' as 'text' })),
    'INVALID_OPTIONS',
  );
  await engine.dispose();
});

test('query: pages with offset, the total, facets and a sort by a field', async () => {
  const engine = await createEngine();
  try {
    const docs = sample.documents.map((d, i) => ({
      ...d,
      metadata: {
        group: i % 2 ? 'odd' : 'even',
        tags: i % 3 ? ['io'] : ['io', 'three'],
        ...(i % 5 ? { since: (i % 7) + 0.5 } : {}),
      },
    }));
    await engine.add(docs);
    const meta = new Map(docs.map((d) => [d.id, d.metadata]));
    // Every match, from a search deep enough.
    const all = await engine.search('module', { k: 1000, mode: 'text' });
    assert.ok(all.length > 12, `${all.length} matches`);
    const r = await engine.query('module', { k: 5, mode: 'text', facets: ['group', 'tags'] });
    assert.equal(r.total, all.length);
    assert.deepEqual(
      r.hits.map((h) => h.id),
      all.slice(0, 5).map((h) => h.id),
    );
    const count = (field: 'group' | 'tags', value: string): number =>
      all.filter((h) => {
        const v = meta.get(h.id)![field];
        return Array.isArray(v) ? v.includes(value) : v === value;
      }).length;
    assert.deepEqual(r.facets[0], {
      field: 'group',
      values: [
        { value: 'even', count: count('group', 'even') },
        { value: 'odd', count: count('group', 'odd') },
      ].sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1)),
      distinct: 2,
    });
    assert.deepEqual(r.facets[1]?.values, [
      { value: 'io', count: all.length },
      { value: 'three', count: count('tags', 'three') },
    ]);
    // The second page of 5 is the ranking's 6th to 10th.
    const page2 = await engine.search('module', { k: 5, offset: 5, mode: 'text' });
    assert.deepEqual(
      page2.map((h) => h.id),
      all.slice(5, 10).map((h) => h.id),
    );
    // Sorted by a number, largest first; documents without it last, each group in relevance
    // order.
    const sorted = await engine.search('module', {
      k: 1000,
      mode: 'text',
      sort: { field: 'since', order: 'desc' },
    });
    const since = (id: string): number | undefined => meta.get(id)!.since;
    const want = [...all].sort((a, b) => {
      const [x, y] = [since(a.id), since(b.id)];
      if (x === undefined || y === undefined)
        return (x === undefined ? 1 : 0) - (y === undefined ? 1 : 0);
      return y - x;
    });
    assert.deepEqual(
      sorted.map((h) => h.id),
      want.map((h) => h.id),
    );
    // Metadata with the hits: none by default, the fields named, or all.
    const plain = await engine.search('module', { k: 3, mode: 'text' });
    assert.ok(plain.every((h) => !('metadata' in h)));
    const named = await engine.search('module', { k: 3, mode: 'text', metadata: ['group', 'x'] });
    assert.deepEqual(
      named.map((h) => h.metadata),
      plain.map((h) => ({ group: meta.get(h.id)!.group })),
    );
    const every = await engine.query('module', { k: 3, mode: 'text', metadata: true });
    assert.deepEqual(
      every.hits.map((h) => h.metadata),
      plain.map((h) => meta.get(h.id)),
    );
    // Typed errors for bad pages, sorts and facets; `search` takes no facets.
    for (const bad of [
      { offset: -1 },
      { offset: 10_001 },
      { offset: 1.5 },
      { sort: { field: '' } },
      { sort: { field: 'since', order: 'up' } },
      { sort: { field: 'since', by: 1 } },
      { sort: 'since' },
      { sort: { field: 'since' }, diversify: 0.5 },
      { facets: 'group' },
      { facets: [1] },
      { facets: ['x'.repeat(257)] },
      { facets: Array(33).fill('group') },
      { metadata: 'group' },
      { metadata: [''] },
      { metadata: Array(33).fill('group') },
    ]) {
      assert.equal(
        await codeOf(engine.query('module', bad as never)),
        'INVALID_OPTIONS',
        JSON.stringify(bad),
      );
    }
    assert.equal(
      await codeOf(engine.search('module', { facets: ['group'] } as never)),
      'INVALID_OPTIONS',
    );
  } finally {
    await engine.dispose();
  }
});

test('IndexedDB where there is none: a typed error, or memory when the caller opted in', async () => {
  assert.equal(
    await codeOf(createEngine({ name: 'nowhere', storage: 'indexeddb' })),
    'STORAGE_UNAVAILABLE',
  );
  const engine = await createEngine({
    name: 'nowhere',
    storage: 'indexeddb',
    memoryFallback: true,
  });
  try {
    assert.equal((await engine.info()).storage, 'memory');
    await engine.add(sample.documents.slice(0, 5));
    assert.equal((await engine.info()).documents, 5);
  } finally {
    await engine.dispose();
  }
  const memory = await createEngine();
  assert.equal((await memory.info()).storage, 'memory');
  await memory.dispose();
});

test('suggestions split the results by sense and carry previews', async () => {
  const engine = await createEngine({ name: 'suggest' });
  try {
    const docs: Document[] = [];
    for (let i = 0; i < 8; i++) {
      docs.push({
        id: `fs${i}`,
        title: `Reading file ${i}`,
        body: `Open a readable stream on a file path ${i} and pipe the file contents to disk; directory and file descriptors.`,
        metadata: { image: `/thumbs/fs${i}.png` },
      });
      docs.push({
        id: `crypto${i}`,
        title: `Cipher ${i}`,
        body: `A stream cipher encrypts bytes with a secret key ${i}; the cipher and the key decide the ciphertext.`,
      });
    }
    await engine.add(docs);
    const hits = await engine.search('stream', { k: 16 });
    assert.ok(hits.slice(0, 8).every((h) => h.id.startsWith('crypto')));
    assert.equal(hits.find((h) => h.id === 'fs0')?.image, '/thumbs/fs0.png');
    const suggestions = await engine.suggest('stream');
    const files = suggestions.find((s) => s.items.every((i) => i.id.startsWith('fs')));
    assert.ok(files, JSON.stringify(suggestions));
    assert.ok(files.query.startsWith('stream '));
    assert.deepEqual(files.added, files.query.split(' ').slice(1));
    assert.equal(files.items.length, 8);
    assert.equal(files.items[0]?.title, 'Reading file 0');
    assert.equal(files.items[0]?.image, '/thumbs/fs0.png');
    assert.ok(files.specificity > files.baselineSpecificity);
    assert.equal((await engine.suggest('stream', { max: 1, termsPerCluster: 3 })).length, 1);
    assert.deepEqual(await engine.suggest('nothing matches this'), []);
    assert.equal(await codeOf(engine.suggest('stream', { max: 0 })), 'INVALID_OPTIONS');
    assert.equal(await codeOf(engine.suggest('stream', { topN: 2 })), 'INVALID_OPTIONS');
    assert.equal(
      await codeOf(engine.suggest('stream', { k: 3 } as unknown as { max: number })),
      'INVALID_OPTIONS',
    );
    assert.equal(await codeOf(engine.suggest('')), 'INVALID_QUERY');
  } finally {
    await engine.dispose();
  }
});

test('Node.js: a static index over HTTP answers full-text queries, loading chunks on demand', async () => {
  // The Node.js docs as `scry index` wrote them for the demo (scripts/build.py builds it).
  const { createServer } = await import('node:http');
  const root = new URL('../../../../target/site/node/', import.meta.url);
  const served: string[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').slice(1);
    served.push(path);
    try {
      res.end(readFileSync(new URL(path, root)));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const engine = await createEngine({ staticIndex: { url: `http://127.0.0.1:${port}/` } });
  try {
    const info = await engine.info();
    assert.ok(info.staticIndex && info.documents === info.staticIndex.documents);
    assert.equal(served.length, 2, served.join());
    const hits = await engine.search('gzip deflate', { mode: 'text', k: 3 });
    assert.ok(
      hits.some((h) => h.id.startsWith('zlib#')),
      JSON.stringify(hits),
    );
    const after = (await engine.info()).staticIndex;
    assert.ok(after && after.chunksLoaded > 0 && after.chunksLoaded < after.chunks / 4);
    assert.equal(after.requests, served.length - 1); // all but scry.json
  } finally {
    await engine.dispose();
    server.close();
  }
});

test('update replaces documents all or none', () =>
  withEngine(async (engine) => {
    const before = (await engine.info()).documents;
    await engine.update([
      { id: 'zlib', title: 'Zlib', body: 'Now about quokkas on Rottnest island.' },
      { id: 'brand-new', title: 'New', body: 'A new document about wombats.' },
    ]);
    assert.equal((await engine.info()).documents, before + 1);
    assert.equal((await engine.search('quokkas', { k: 1 }))[0]?.id, 'zlib');
    const gzip = await engine.search('gzip deflate', { k: 5 });
    assert.equal(
      gzip.find((h) => h.id === 'zlib'),
      undefined,
    );
    // One invalid document: nothing changes.
    const code = await codeOf(
      engine.update([
        { id: 'zlib', title: 'Zlib', body: 'gone again' },
        { id: '', title: 'bad', body: 'no id' },
      ]),
    );
    assert.equal(code, 'INVALID_DOCUMENT');
    assert.equal((await engine.search('quokkas', { k: 1 }))[0]?.id, 'zlib');
    assert.equal(await codeOf(engine.update('nope' as never)), 'INVALID_DOCUMENT');
  }));

test('add options: checked, and an aborted add adds nothing', () =>
  withEngine(async (engine) => {
    const before = (await engine.info()).documents;
    const doc = { id: 'extra', title: 'Extra', body: 'An extra document.' };
    assert.equal(await codeOf(engine.add([doc], { onProgress: 'no' as never })), 'INVALID_OPTIONS');
    assert.equal(await codeOf(engine.add([doc], { bogus: 1 } as never)), 'INVALID_OPTIONS');
    const ctl = new AbortController();
    ctl.abort();
    assert.equal(await codeOf(engine.add([doc], { signal: ctl.signal })), 'ABORTED');
    assert.equal((await engine.info()).documents, before);
    // Without a model indexing is one step: no progress events, and the add completes.
    const events: unknown[] = [];
    await engine.add([doc], { onProgress: (p) => events.push(p) });
    assert.deepEqual(events, []);
    assert.equal((await engine.info()).documents, before + 1);
  }));

test('segments emptied by removals are merged away in the background', async () => {
  const engine = await createEngine({ name: 'maintenance' });
  try {
    await engine.add(sample.documents.slice(0, 5));
    await engine.add(sample.documents.slice(5, 10));
    assert.equal((await engine.info()).segments, 2);
    await engine.remove(sample.documents.slice(5, 10).map((d) => d.id));
    let info = await engine.info();
    for (let i = 0; i < 50 && info.segments > 1; i++) {
      await new Promise((r) => setTimeout(r, 100));
      info = await engine.info();
    }
    assert.equal(info.segments, 1);
    assert.equal(info.documents, 5);
    const hits = await engine.search(sample.documents[0]!.title ?? '', { k: 1 });
    assert.equal(hits[0]?.id, sample.documents[0]!.id);
  } finally {
    await engine.dispose();
  }
});

test('images without an image-text model are refused, and nothing is added', async () => {
  const engine = await createEngine({ name: 'images' });
  try {
    const pixels = { width: 1, height: 1, data: new Uint8Array([1, 2, 3, 255]) };
    assert.equal(
      await codeOf(engine.add([{ id: 'p', title: 'a pixel', image: pixels }])),
      'MODEL_UNSUPPORTED',
    );
    assert.equal(await codeOf(engine.search(pixels)), 'MODEL_UNSUPPORTED');
    assert.equal(
      await codeOf(engine.add([{ id: 'v', title: 'v', vector: new Float32Array(384) }])),
      'MODEL_UNSUPPORTED',
    );
    assert.equal(
      await codeOf(engine.search('v', { vector: new Float32Array(384) })),
      'MODEL_UNSUPPORTED',
    );
    const notAnImage = { id: 'q', title: 'q', image: 'x.png' } as unknown as Document;
    assert.equal(await codeOf(engine.add([notAnImage])), 'INVALID_DOCUMENT');
    assert.equal((await engine.info()).documents, 0);
    // Optional fields spread in as undefined are absent, not an image or a vector.
    const unset = { id: 'u', title: 'unset fields', image: undefined, vector: undefined };
    await engine.add([unset as unknown as Document]);
    assert.equal((await engine.info()).documents, 1);
  } finally {
    await engine.dispose();
  }
});

// Issue 27: in Node the model loads from disk (Node's fetch refuses file: URLs), given as a
// folder path, a file: URL, or a URL per file (what the scry-model-minilm package exports).
const MODEL_DIR = fileURLToPath(
  new URL('../../../../models/cache/all-MiniLM-L6-v2-int8/', import.meta.url),
);

test('in Node a model loads from a folder path, a file: URL, or a URL per file', async () => {
  const docs: Document[] = [
    { id: 'cat', title: 'Cats', body: 'A small domesticated feline that purrs.' },
    { id: 'car', title: 'Cars', body: 'An automobile with four wheels and an engine.' },
    { id: 'tea', title: 'Tea', body: 'A hot drink brewed from dried leaves.' },
  ];
  const specs: ModelSpec[] = [
    { url: MODEL_DIR },
    { url: relative(process.cwd(), MODEL_DIR) || '.' },
    { url: pathToFileURL(MODEL_DIR) },
    {
      files: {
        'model.onnx': pathToFileURL(`${MODEL_DIR}model.onnx`).href,
        'tokenizer.json': pathToFileURL(`${MODEL_DIR}tokenizer.json`),
      },
    },
  ];
  let first: number[] | undefined;
  for (const model of specs) {
    const progress: ModelProgress[] = [];
    const engine = await createEngine({ model, onProgress: (p) => progress.push(p) });
    try {
      assert.equal((await engine.info()).model, 'all-MiniLM-L6-v2-int8');
      assert.deepEqual(
        progress.map((p) => p.file),
        ['model.onnx', 'tokenizer.json'],
      );
      assert.equal(progress.at(-1)?.loaded, progress.at(-1)?.total);
      assert.ok((progress.at(-1)?.total ?? 0) > 20_000_000);
      await engine.add(docs);
      // No word in common with the answer: found by the vectors.
      const hits = await engine.search('kitten', { mode: 'vector', k: 3 });
      assert.equal(hits[0]?.id, 'cat', JSON.stringify(model));
      const scores = hits.map((h) => h.score);
      first ??= scores;
      assert.deepEqual(scores, first, 'every way of naming the files loads the same model');
    } finally {
      await engine.dispose();
    }
  }
});

/** The model at work: two documents added, 'kitten' finds the cats one by meaning. */
async function assertFindsTheCat(engine: Engine): Promise<void> {
  await engine.add([
    { id: 'cat', title: 'Cats', body: 'A small domesticated feline that purrs.' },
    { id: 'tea', title: 'Tea', body: 'A hot drink brewed from dried leaves.' },
  ]);
  assert.equal((await engine.search('kitten', { mode: 'vector' }))[0]?.id, 'cat');
}

test('a model laid out as a Hugging Face repository (onnx/model_quantized.onnx) loads', async () => {
  // A local mirror of such a repository: the pinned files under the names it uses, beside
  // files scry does not read.
  const repo = mkdtempSync(join(tmpdir(), 'scry-hf-'));
  try {
    mkdirSync(join(repo, 'onnx'));
    linkSync(`${MODEL_DIR}model.onnx`, join(repo, 'onnx', 'model_quantized.onnx'));
    linkSync(`${MODEL_DIR}tokenizer.json`, join(repo, 'tokenizer.json'));
    writeFileSync(join(repo, 'config.json'), '{"hidden_size": 384}');
    writeFileSync(join(repo, 'onnx', 'model.onnx'), 'not the int8 export');
    const engine = await createEngine({ model: { url: repo, layout: 'huggingface' } });
    try {
      await assertFindsTheCat(engine);
    } finally {
      await engine.dispose();
    }
    // The same folder read flat finds no model.onnx of the pinned size; a repository whose
    // export is another file is refused by its hash, whatever the layout.
    assert.equal(await codeOf(createEngine({ model: { url: repo } })), 'MODEL_FETCH');
    unlinkSync(join(repo, 'onnx', 'model_quantized.onnx'));
    copyFileSync(`${MODEL_DIR}model.onnx`, join(repo, 'onnx', 'model_quantized.onnx'));
    const bytes = new Uint8Array(readFileSync(join(repo, 'onnx', 'model_quantized.onnx')));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    writeFileSync(join(repo, 'onnx', 'model_quantized.onnx'), bytes);
    assert.equal(
      await codeOf(createEngine({ model: { url: repo, layout: 'huggingface', cache: false } })),
      'MODEL_INTEGRITY',
    );
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('a text model of a manifest of your own: flat or in a Hugging Face layout', async () => {
  // The pinned model under an id of the user's own, described by the user's own manifest (as
  // another sentence-transformers export would be), beside a Hugging Face layout of it.
  const dir = mkdtempSync(join(tmpdir(), 'scry-own-'));
  try {
    const builtin = JSON.parse(readFileSync(`${MODEL_DIR}../../manifest.json`, 'utf8')) as {
      models: Record<string, unknown>[];
    };
    const manifest = (change: Record<string, unknown>) => ({
      format: 1,
      models: [{ ...builtin.models[0], id: 'my-minilm', ...change }],
    });
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest({})));
    linkSync(`${MODEL_DIR}model.onnx`, join(dir, 'model.onnx'));
    linkSync(`${MODEL_DIR}tokenizer.json`, join(dir, 'tokenizer.json'));
    mkdirSync(join(dir, 'hf', 'onnx'), { recursive: true });
    linkSync(`${MODEL_DIR}model.onnx`, join(dir, 'hf', 'onnx', 'model_quantized.onnx'));
    linkSync(`${MODEL_DIR}tokenizer.json`, join(dir, 'hf', 'tokenizer.json'));
    const reference = await createEngine({ model: { url: MODEL_DIR } });
    const [expected] = await reference.embed(['kitten']);
    await reference.dispose();
    for (const url of [dir, join(dir, 'hf')]) {
      const layout = url === dir ? 'flat' : 'huggingface';
      const engine = await createEngine({
        model: { url, layout, manifest: join(dir, 'manifest.json') },
      });
      try {
        assert.equal((await engine.info()).model, 'my-minilm');
        const [vector] = await engine.embed(['kitten']);
        assert.deepEqual(vector, expected, `${layout}: the same files give the same vectors`);
        await assertFindsTheCat(engine);
      } finally {
        await engine.dispose();
      }
    }
    // Refused: one of scry's ids, a file that is not the one the manifest pins, a pooling scry
    // does not have, a manifest that is not one.
    const refused = async (change: Record<string, unknown> | string) => {
      writeFileSync(
        join(dir, 'bad.json'),
        typeof change === 'string' ? change : JSON.stringify(manifest(change)),
      );
      const id = typeof change === 'string' ? 'my-minilm' : String(change['id'] ?? 'my-minilm');
      return codeOf(
        createEngine({ model: { url: dir, id, manifest: join(dir, 'bad.json'), cache: false } }),
      );
    };
    assert.equal(await refused({ id: 'all-MiniLM-L6-v2-int8' }), 'MODEL_UNSUPPORTED');
    const files = (builtin.models[0]?.['files'] as Record<string, unknown>[]).map((f) =>
      f['name'] === 'model.onnx' ? { ...f, sha256: '0'.repeat(64) } : f,
    );
    assert.equal(await refused({ files }), 'MODEL_INTEGRITY');
    assert.equal(await refused({ pooling: 'max' }), 'MODEL_UNSUPPORTED');
    assert.equal(
      await refused('{"format": 1, "models": [{"id": "my-minilm"'),
      'MODEL_MANIFEST_INVALID',
    );
    assert.equal(await refused({ dims: 0 }), 'MODEL_MANIFEST_INVALID');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('in Node a missing or wrong model file is a typed error', async () => {
  const missing = await codeOf(createEngine({ model: { url: `${MODEL_DIR}no-such-folder/` } }));
  assert.equal(missing, 'MODEL_FETCH');
  const swapped = await codeOf(
    createEngine({
      model: {
        files: {
          'model.onnx': pathToFileURL(`${MODEL_DIR}tokenizer.json`).href,
          'tokenizer.json': pathToFileURL(`${MODEL_DIR}tokenizer.json`).href,
        },
      },
    }),
  );
  assert.equal(swapped, 'MODEL_INTEGRITY');
  // A map without the model's other file and no folder to find it in.
  const partial = await codeOf(
    createEngine({ model: { files: { 'model.onnx': pathToFileURL(`${MODEL_DIR}model.onnx`) } } }),
  );
  assert.equal(partial, 'INVALID_OPTIONS');
  // A name the model has no file of (a typo would otherwise fall back to the folder).
  const typo = await codeOf(
    createEngine({ model: { url: MODEL_DIR, files: { 'model.onxx': pathToFileURL(MODEL_DIR) } } }),
  );
  assert.equal(typo, 'INVALID_OPTIONS');
  // Not a regular file (a device would never end): refused before reading.
  const device = await codeOf(
    createEngine({
      model: { url: MODEL_DIR, files: { 'model.onnx': pathToFileURL('/dev/zero') } },
    }),
  );
  assert.equal(device, 'MODEL_FETCH');
});

test('a model without weights: vectors from elsewhere, recorded by name, never mixed', async () => {
  const v = (...x: number[]) => new Float32Array(x);
  const engine = await createEngine({ model: { id: 'ext-model', dims: 4 } });
  try {
    await engine.add([
      { id: 'a', vector: v(1, 0, 0, 0) }, // no title or body: found by its vector
      { id: 'b', vector: v(0, 1, 0, 0) },
      { id: 'c', title: 'words only', body: 'a document without a vector' },
    ]);
    const info = await engine.info();
    assert.deepEqual([info.model, info.documents, info.vectors], ['ext-model', 3, 2]);
    const near = await engine.search('', { mode: 'vector', vector: v(0.2, 0.9, 0, 0) });
    assert.deepEqual(
      near.map((h) => h.id),
      ['b', 'a'],
    );
    // A text query without a vector is full-text (nothing to embed it with).
    assert.deepEqual(
      (await engine.search('words')).map((h) => h.id),
      ['c'],
    );
    assert.equal((await engine.search('words', { vector: v(1, 0, 0, 0) }))[0]?.id, 'a');
    assert.equal(await codeOf(engine.search('words', { mode: 'vector' })), 'INVALID_QUERY');
    assert.equal(await codeOf(engine.add([{ id: 'd', vector: v(1, 0, 0) }])), 'INVALID_DOCUMENT');
    // Without a vector a document still needs text.
    assert.equal(await codeOf(engine.add([{ id: 'e' } as Document])), 'INVALID_DOCUMENT');
    assert.equal((await engine.info()).documents, 3);
  } finally {
    await engine.dispose();
  }
  // Stored, the index keeps the model's name: another model's vectors are refused.
  const dir = mkdtempSync(join(tmpdir(), 'scry-external-'));
  try {
    const first = await createEngine({
      storage: 'file',
      path: dir,
      model: { id: 'model-a', dims: 4 },
    });
    await first.add([{ id: 'a', vector: v(1, 0, 0, 0) }]);
    await first.dispose();
    // Another model's name: refused at the start, the index untouched.
    assert.equal(
      await codeOf(createEngine({ storage: 'file', path: dir, model: { id: 'model-b', dims: 4 } })),
      'MODEL_MISMATCH',
    );
    // The same name with another dimension: its vectors are refused, its queries too.
    const other = await createEngine({
      storage: 'file',
      path: dir,
      model: { id: 'model-a', dims: 8 },
    });
    try {
      const vector = new Float32Array(8).fill(0.5);
      assert.equal(await codeOf(other.add([{ id: 'x', vector }])), 'MODEL_MISMATCH');
      assert.equal(await codeOf(other.search('', { mode: 'vector', vector })), 'INVALID_INPUT');
      assert.equal((await other.info()).documents, 1);
    } finally {
      await other.dispose();
    }
    const again = await createEngine({
      storage: 'file',
      path: dir,
      model: { id: 'model-a', dims: 4 },
    });
    try {
      const hits = await again.search('', { mode: 'vector', vector: v(1, 0, 0, 0) });
      assert.deepEqual(
        hits.map((h) => h.id),
        ['a'],
      );
    } finally {
      await again.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('embed(): the model’s vectors of texts, as onnxruntime computes them, with progress', async () => {
  const golden = JSON.parse(
    readFileSync(new URL('../../../../tests/fixtures/embed/golden.json', import.meta.url), 'utf8'),
  ) as { cases: { text: string; vector: number[] }[] };
  const cases = golden.cases.filter((c) => c.text.trim() !== '').slice(0, 12);
  const engine = await createEngine({ model: { url: MODEL_DIR } });
  try {
    const progress: EmbedProgress[] = [];
    const vectors = await engine.embed(
      cases.map((c) => c.text),
      { onProgress: (p) => progress.push(p) },
    );
    assert.equal(vectors.length, cases.length);
    for (const [i, v] of vectors.entries()) {
      assert.ok(v instanceof Float32Array && v.length === 384);
      const want = cases[i]!.vector;
      let dot = 0;
      for (let j = 0; j < 384; j++) dot += v[j]! * want[j]!;
      assert.ok(dot >= 0.999, `${JSON.stringify(cases[i]!.text)}: cosine ${dot}`);
    }
    assert.equal(progress.at(-1)?.embedded, cases.length);
    assert.ok(progress.every((p) => p.total === cases.length));
    // The same vector search finds for the text, given as a vector.
    await engine.add([{ id: 'cat', title: 'Cats', body: 'A small domesticated feline.' }]);
    const [kitten] = await engine.embed(['kitten']);
    const byVector = await engine.search('', { mode: 'vector', vector: kitten! });
    const byText = await engine.search('kitten', { mode: 'vector' });
    assert.deepEqual(
      byVector.map((h) => h.score),
      byText.map((h) => h.score),
    );
    // Bad input is typed; an abort stops it.
    assert.equal(await codeOf(engine.embed([])), 'INVALID_INPUT');
    assert.equal(await codeOf(engine.embed(['ok', ' '])), 'EMPTY_INPUT');
    assert.equal(await codeOf(engine.embed(['ok', 5 as unknown as string])), 'INVALID_INPUT');
    assert.equal(await codeOf(engine.embed('text' as unknown as string[])), 'INVALID_INPUT');
    assert.equal(await codeOf(engine.embed(['x'], { signal: AbortSignal.abort() })), 'ABORTED');
    // Aborted after the first batch: it stops there.
    const stop = new AbortController();
    const seen: number[] = [];
    const many = Array.from({ length: 40 }, (_, i) => `text number ${i}`);
    const aborted = engine.embed(many, {
      signal: stop.signal,
      onProgress: (p) => {
        seen.push(p.embedded);
        stop.abort();
      },
    });
    assert.equal(await codeOf(aborted), 'ABORTED');
    assert.deepEqual(seen, [4]);
    // Bad options are typed too.
    assert.equal(
      await codeOf(engine.embed(['x'], { onProgress: 5 } as unknown as EmbedOptions)),
      'INVALID_OPTIONS',
    );
  } finally {
    await engine.dispose();
  }
  const plain = await createEngine();
  try {
    assert.equal(await codeOf(plain.embed(['x'])), 'MODEL_UNSUPPORTED');
  } finally {
    await plain.dispose();
  }
  const external = await createEngine({ model: { id: 'ext', dims: 4 } });
  try {
    assert.equal(await codeOf(external.embed(['x'])), 'MODEL_UNSUPPORTED');
  } finally {
    await external.dispose();
  }
});
