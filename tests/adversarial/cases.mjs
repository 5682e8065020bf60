// The adversarial suite: every public entry point of the `scry` package given hostile input, run
// in Node (node.test.mjs, the engine on the calling thread, `storage: 'file'`) and in headless
// Chromium (browser.test.mjs, the engine in its Web Worker, IndexedDB, Cache Storage). Each case
// asserts the exact outcome — a typed error with its code and the engine still answering a
// normal query afterwards, or the correct behaviour — and, where it touches storage, that no
// stored document was lost. Cases are written per category; `env` limits a case to one runtime.
//
// A case is `{ category, name, env?, run(ctx) }`; `ctx` holds `scry` (the package), `env`
// ('node' | 'browser'), `site` (the URL the repository root is served at) and, per runtime,
// `node` helpers (files) or `idb` helpers (raw IndexedDB access).

export class CaseFailure extends Error {
  constructor(message) {
    super(message);
    this.name = 'CaseFailure';
  }
}

export function check(condition, message) {
  if (!condition) throw new CaseFailure(message);
}

function describe(e) {
  return e && typeof e === 'object' ? `${e.name} ${e.code ?? ''}: ${e.message}` : String(e);
}

/** Awaits `promise` (or calls `fn`), which must reject with a ScryError of `code`. */
export async function rejects(promise, code, what = 'the call') {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    check(
      e?.name === 'ScryError' && e.code === code,
      `${what}: expected ScryError ${code}, got ${describe(e)}`,
    );
    check(typeof e.message === 'string' && e.message.length > 0, `${what}: empty message`);
    return e;
  }
  throw new CaseFailure(`${what}: expected ScryError ${code}, but it succeeded`);
}

/** The documents every engine of the suite starts with. */
export const BASE = [
  { id: 'base-0', title: 'Alpha streams', body: 'Streams move data through pipes in chunks.' },
  { id: 'base-1', title: 'Beta files', body: 'Read and write files on disk with handles.' },
  { id: 'base-2', title: 'Gamma crypto', body: 'Hashes, ciphers and random bytes.', tags: ['x'] },
];

/** The engine still answers a normal query, with every base document still there. */
export async function alive(engine, documents = BASE.length) {
  const hits = await engine.search('alpha streams', { k: 3, mode: 'text' });
  check(hits[0]?.id === 'base-0', `the engine no longer answers: ${JSON.stringify(hits)}`);
  const info = await engine.info();
  check(info.documents === documents, `expected ${documents} documents, found ${info.documents}`);
}

/** A memory engine holding {@link BASE}. */
export async function fresh(ctx, options = {}) {
  const engine = await ctx.scry.createEngine(options);
  await engine.add(BASE);
  return engine;
}

/** Runs `fn(engine)` on a fresh engine, then checks it still answers, then disposes it. */
async function withEngine(ctx, fn, { documents = BASE.length, options = {} } = {}) {
  const engine = await fresh(ctx, options);
  try {
    await fn(engine);
    await alive(engine, documents);
  } finally {
    await engine.dispose();
  }
}

let serial = 0;
/** A name no other case uses (IndexedDB databases, directories). */
export function unique(prefix) {
  serial += 1;
  return `${prefix}-${Date.now().toString(36)}-${serial}`;
}

const LONE = ['\uD800', '\uDBFF', '\uDFFF', 'a\uDC00b'];
const MiB = 1024 * 1024;

/** Builds a deeply nested filter (`{ not: { not: … } }`). */
function nested(depth) {
  let f = { lang: 'x' };
  for (let i = 0; i < depth; i++) f = { not: f };
  return f;
}

export const CASES = [];
function add(category, name, run, env) {
  CASES.push({ category, name, run, ...(env ? { env } : {}) });
}

// ---------------------------------------------------------------------------------------------
// createEngine: options
// ---------------------------------------------------------------------------------------------
for (const [name, options] of [
  ['options not an object (string)', 'fast'],
  ['options an array', [1, 2]],
  ['unknown option (typo)', { modle: {} }],
  ['storage unknown', { storage: 'localStorage' }],
  ['name empty', { name: '' }],
  ['name of 129 characters', { name: 'n'.repeat(129) }],
  ['name a number', { name: 7 }],
  ['k1 NaN', { k1: NaN }],
  ['k1 Infinity', { k1: Infinity }],
  ['k1 negative', { k1: -1 }],
  ['b above 1', { b: 1.5 }],
  ['b a string', { b: '0.5' }],
  ['boosts unknown field', { boosts: { author: 2 } }],
  ['boosts.title negative', { boosts: { title: -3 } }],
  ['snippetWords 0', { snippetWords: 0 }],
  ['snippetWords fractional', { snippetWords: 2.5 }],
  ['hnsw.m huge', { hnsw: { m: 1e9 } }],
  ['hnsw not an object', { hnsw: 5 }],
  ['gpu unknown', { gpu: 'cuda' }],
  ['repair with memory storage', { repair: true }],
  ['repair a string', { storage: 'indexeddb', repair: 'yes' }],
  ['path without file storage', { path: '/tmp/x' }],
  ['onProgress not a function', { onProgress: 'log' }],
  ['signal not an AbortSignal', { signal: { aborted: false } }],
  ['model not an object', { model: 'minilm' }],
  ['model without url', { model: {} }],
  ['model url empty', { model: { url: '' } }],
  ['model url data:', { model: { url: 'data:,x' } }],
  ['model url javascript:', { model: { url: 'javascript:alert(1)' } }],
  ['model url blob:', { model: { url: 'blob:https://example.com/1234' } }],
  ['model url about:', { model: { url: 'about:blank' } }],
  ['model manifest javascript:', { model: { url: '/m/', manifest: 'javascript:alert(1)' } }],
  ['model batchSize 0', { model: { url: '/m/', batchSize: 0 } }],
  ['model threads 0', { model: { url: '/m/', threads: 0 } }],
  ['model threads 17', { model: { url: '/m/', threads: 17 } }],
  ['model threads 1e9', { model: { url: '/m/', threads: 1e9 } }],
  ['model threads fractional', { model: { url: '/m/', threads: 1.5 } }],
  ['model threads a string', { model: { url: '/m/', threads: '2' } }],
  ['model threads NaN', { model: { url: '/m/', threads: NaN } }],
  ['model threads Infinity', { model: { url: '/m/', threads: Infinity } }],
  ['model threads without weights', { model: { id: 'ext', dims: 8, threads: 2 } }],
  ['model unknown key', { model: { url: '/m/', weights: 'x' } }],
  ['model files empty', { model: { files: {} } }],
  ['model files an array', { model: { files: ['https://x.test/model.onnx'] } }],
  ['model file name a path', { model: { files: { '../../etc/passwd': 'https://x.test/m' } } }],
  ['model file name empty', { model: { files: { '': 'https://x.test/m' } } }],
  ['model file url javascript:', { model: { files: { 'model.onnx': 'javascript:alert(1)' } } }],
  ['model file url data:', { model: { files: { 'model.onnx': 'data:,x' } } }],
  ['model file url a number', { model: { files: { 'model.onnx': 7 } } }],
  ['model dims without id', { model: { dims: 384 } }],
  ['model dims 0', { model: { id: 'ext', dims: 0 } }],
  ['model dims a billion', { model: { id: 'ext', dims: 1e9 } }],
  ['model dims fractional', { model: { id: 'ext', dims: 3.5 } }],
  ['model dims with a url', { model: { id: 'ext', dims: 4, url: '/m/' } }],
  ['model dims with files', { model: { id: 'ext', dims: 4, files: { 'model.onnx': '/m' } } }],
  ['model dims id a lone surrogate', { model: { id: 'ext\uD800', dims: 4 } }],
  ['model dims id 10,000 characters', { model: { id: 'x'.repeat(10_000), dims: 4 } }],
  ['staticIndex url javascript:', { staticIndex: { url: 'javascript:alert(1)' } }],
  ['staticIndex url data:', { staticIndex: { url: 'data:application/json,{}' } }],
  ['staticIndex url not a string', { staticIndex: { url: 42 } }],
  ['staticIndex prefetch a string', { staticIndex: { url: '/s/', prefetch: 'yes' } }],
  ['model layout unknown', { model: { url: '/m/', layout: 'onnx' } }],
  ['model layout huggingface without a url', { model: { layout: 'huggingface' } }],
  ['model layout an object', { model: { url: '/m/', layout: { huggingface: true } } }],
  ['assets javascript:', { assets: 'javascript:alert(1)' }],
  ['assets data:', { assets: 'data:text/javascript,postMessage(1)' }],
  ['assets blob:', { assets: 'blob:https://example.com/1234' }],
  ['assets an empty string', { assets: '' }],
  ['assets a number', { assets: 7 }],
  ['assets an object', { assets: { href: '/scry/' } }],
  ['analyzer language unknown', { analyzer: { language: 'klingon' } }],
  ['analyzer language capitalised', { analyzer: { language: 'German' } }],
  ['analyzer language a number', { analyzer: { language: 3 } }],
  ['analyzer a string', { analyzer: 'german' }],
  ['analyzer unknown key', { analyzer: { stemming: false } }],
  ['analyzer stopWords a string', { analyzer: { stopWords: 'the' } }],
  ['analyzer stopWords 10,001 words', { analyzer: { stopWords: new Array(10_001).fill('w') } }],
  ['analyzer stop word empty', { analyzer: { stopWords: [''] } }],
  ['analyzer stop word of spaces', { analyzer: { stopWords: ['   '] } }],
  ['analyzer stop word 1 MB', { analyzer: { stopWords: ['w'.repeat(1 << 20)] } }],
  ['analyzer stop word a lone surrogate', { analyzer: { stopWords: ['a\uD800'] } }],
  ['analyzer stop word an object', { analyzer: { stopWords: [{ toString: () => 'the' }] } }],
  ['analyzer foldDiacritics a string', { analyzer: { foldDiacritics: 'no' } }],
  [
    'analyzer stopWords a getter that throws',
    {
      analyzer: {
        get stopWords() {
          throw new Error('boom');
        },
      },
    },
  ],
  ['typos a number', { typos: 1 }],
  ['typos minChars 0', { typos: { minChars: 0 } }],
  ['typos weight NaN', { typos: { weight: NaN } }],
  ['typos unknown key', { typos: { distance: 2 } }],
  ['prefix maxTerms 1e9', { prefix: { maxTerms: 1e9 } }],
  ['prefix weight 2', { prefix: { weight: 2 } }],
  ['prefix a string', { prefix: 'yes' }],
]) {
  add('createEngine options', name, async (ctx) => {
    await rejects(ctx.scry.createEngine(options), 'INVALID_OPTIONS', name);
  });
}

add(
  'createEngine options',
  'a model without weights: hostile vectors and documents',
  async (ctx) => {
    const engine = await fresh(ctx, { model: { id: 'ext-model', dims: 4 } });
    const v = (...x) => new Float32Array(x);
    await engine.add([{ id: 'vec-0', vector: v(1, 0, 0, 0) }]);
    for (const [what, docs] of [
      ['a NaN vector', [{ id: 'n', vector: v(NaN, 0, 0, 0) }]],
      ['an Infinity vector', [{ id: 'i', vector: v(Infinity, 0, 0, 0) }]],
      ['a vector of the wrong dimension', [{ id: 'w', vector: v(1, 0, 0) }]],
      ['a vector as a plain array', [{ id: 'p', vector: [1, 0, 0, 0] }]],
      ['neither text nor a vector', [{ id: 'empty' }]],
    ]) {
      await rejects(engine.add(docs), 'INVALID_DOCUMENT', what);
    }
    // Checked by the core (cosine has no direction for it).
    await rejects(
      engine.add([{ id: 'z', vector: v(0, 0, 0, 0) }]),
      'INVALID_INPUT',
      'a zero vector',
    );
    await rejects(
      engine.search('', { mode: 'vector', vector: v(NaN, 0, 0, 0) }),
      'INVALID_QUERY',
      'a NaN query vector',
    );
    await rejects(engine.search('alpha', { mode: 'vector' }), 'INVALID_QUERY', 'no query vector');
    const near = await engine.search('', { mode: 'vector', vector: v(1, 0.1, 0, 0), k: 1 });
    check(near[0]?.id === 'vec-0', `vector search: ${JSON.stringify(near)}`);
    await alive(engine, BASE.length + 1);
    await engine.dispose();
  },
);

add('embed', 'hostile texts: typed errors, nothing embedded, the engine answers', async (ctx) => {
  // No model: refused before anything is read.
  const plain = await fresh(ctx);
  await rejects(plain.embed(['x']), 'MODEL_UNSUPPORTED', 'embed without a model');
  await alive(plain);
  await plain.dispose();
  const engine = await fresh(ctx, { model: { id: 'ext-model', dims: 4 } });
  await rejects(engine.embed(['x']), 'MODEL_UNSUPPORTED', 'embed with a model without weights');
  await alive(engine);
  await engine.dispose();
});

for (const [name, texts, code] of [
  ['not an array', 'text', 'INVALID_INPUT'],
  ['an empty array', [], 'INVALID_INPUT'],
  ['10,001 texts', Array(10_001).fill('x'), 'INVALID_INPUT'],
  [
    'a sparse array of length 2^32 − 1',
    Object.assign([], { length: 2 ** 32 - 1 }),
    'INVALID_INPUT',
  ],
  ['a hole', [, 'x'], 'INVALID_INPUT'],
  ['a number', ['x', 5], 'INVALID_INPUT'],
  ['a blank text', ['x', ' \n\t'], 'EMPTY_INPUT'],
  ['a text over 1 MiB', ['a'.repeat((1 << 20) + 1)], 'INVALID_INPUT'],
  [
    'a Proxy whose traps throw',
    new Proxy([], {
      get() {
        throw new Error('trap');
      },
    }),
    'INVALID_INPUT',
  ],
  [
    'a getter that throws',
    Object.defineProperty(['x'], 0, {
      get() {
        throw new Error('getter');
      },
    }),
    'INVALID_INPUT',
  ],
]) {
  add('embed', name, async (ctx) => {
    // Checked before the model is asked: a plain engine answers with the input's error.
    const engine = await fresh(ctx);
    await rejects(engine.embed(texts), code, name);
    await alive(engine);
    await engine.dispose();
  });
}

add('createEngine options', 'an AbortSignal already aborted', async (ctx) => {
  await rejects(ctx.scry.createEngine({ signal: AbortSignal.abort() }), 'ABORTED');
  // Nothing was left half-started: a new engine starts normally.
  const engine = await fresh(ctx);
  await alive(engine);
  await engine.dispose();
});

add(
  'createEngine options',
  'aborting the model download: ABORTED, nothing partial cached',
  async (ctx) => {
    const url = `${ctx.site}models/cache/all-MiniLM-L6-v2-int8/`;
    const controller = new AbortController();
    let events = 0;
    await rejects(
      ctx.scry.createEngine({
        model: { url },
        signal: controller.signal,
        // Aborted once the first bytes of the download arrived.
        onProgress: ({ fromCache }) => {
          events += 1;
          if (!fromCache) controller.abort();
        },
      }),
      'ABORTED',
    );
    check(events > 0, 'no progress before the abort');
    if (typeof caches !== 'undefined') {
      // Whatever is cached is whole: scry caches a file only after its size and sha256 match.
      const cache = await caches.open('scry-models-v1');
      for (const request of await cache.keys()) {
        const bytes = (await (await cache.match(request)).arrayBuffer()).byteLength;
        const name = request.url.split('/').pop();
        const expected = { 'model.onnx': 22928619, 'tokenizer.json': 466247 }[name];
        check(bytes === expected, `${name}: ${bytes} bytes cached`);
      }
    }
    // Nothing was left half-started: the same model loads in full afterwards.
    const engine = await ctx.scry.createEngine({ model: { url } });
    await engine.add(BASE);
    const [hit] = await engine.search('alpha streams');
    check(hit?.id === 'base-0', `hybrid answer ${hit?.id}`);
    await engine.dispose();
  },
);

add('createEngine options', 'a model folder that does not exist', async (ctx) => {
  await rejects(
    ctx.scry.createEngine({ model: { url: `${ctx.site}target/no-such-model/` } }),
    'MODEL_FETCH',
  );
});

add('createEngine options', 'a model folder holding the wrong files', async (ctx) => {
  // The tokenizer served as the model: refused by size and sha256 before it reaches tract.
  await rejects(
    ctx.scry.createEngine({ model: { url: `${ctx.site}target/adversarial/wrong-model/` } }),
    'MODEL_INTEGRITY',
  );
});

add('createEngine options', 'a static index folder without scry.json', async (ctx) => {
  await rejects(
    ctx.scry.createEngine({ staticIndex: { url: `${ctx.site}target/no-such-index/` } }),
    'INDEX_FETCH',
  );
});

// ---------------------------------------------------------------------------------------------
// add / update: malformed and hostile documents
// ---------------------------------------------------------------------------------------------
for (const [name, docs, code] of [
  ['not an array', { id: 'x', title: 't' }, 'INVALID_DOCUMENT'],
  ['a string', 'documents', 'INVALID_DOCUMENT'],
  ['null in the list', [null], 'INVALID_DOCUMENT'],
  ['a number in the list', [42], 'INVALID_DOCUMENT'],
  ['no id', [{ title: 'No id' }], 'INVALID_DOCUMENT'],
  ['empty id', [{ id: '', title: 'Empty id' }], 'INVALID_DOCUMENT'],
  ['id a number', [{ id: 7, title: 'Numeric id' }], 'INVALID_DOCUMENT'],
  ['id of 1025 bytes', [{ id: 'é'.repeat(513), title: 'Long id' }], 'INVALID_DOCUMENT'],
  ['no title and blank body', [{ id: 'blank', title: ' ', body: '\n\t ' }], 'INVALID_DOCUMENT'],
  ['title an object', [{ id: 'obj', title: { toString: () => 'x' } }], 'INVALID_DOCUMENT'],
  ['headings not an array', [{ id: 'h', title: 't', headings: 'one' }], 'INVALID_DOCUMENT'],
  ['tags with a number', [{ id: 't', title: 't', tags: ['a', 3] }], 'INVALID_DOCUMENT'],
  ['metadata NaN', [{ id: 'm', title: 't', metadata: { n: NaN } }], 'INVALID_DOCUMENT'],
  ['metadata -Infinity', [{ id: 'm', title: 't', metadata: { n: -Infinity } }], 'INVALID_DOCUMENT'],
  [
    'metadata nested object',
    [{ id: 'm', title: 't', metadata: { o: { a: 1 } } }],
    'INVALID_DOCUMENT',
  ],
  ['metadata null', [{ id: 'm', title: 't', metadata: { n: null } }], 'INVALID_DOCUMENT'],
  ['metadata empty key', [{ id: 'm', title: 't', metadata: { '': 'x' } }], 'INVALID_DOCUMENT'],
  [
    '257 metadata entries',
    [
      {
        id: 'm',
        title: 't',
        metadata: Object.fromEntries([...Array(257)].map((_, i) => [`k${i}`, i])),
      },
    ],
    'INVALID_DOCUMENT',
  ],
  [
    'vector without a model',
    [{ id: 'v', title: 't', vector: new Float32Array(4) }],
    'MODEL_UNSUPPORTED',
  ],
  [
    'metadata nested 100,000 deep',
    [{ id: 'deep', title: 't', metadata: { m: nested(100_000) } }],
    'INVALID_DOCUMENT',
  ],
  [
    'headings nested arrays',
    [{ id: 'deep', title: 't', headings: [['a', ['b']]] }],
    'INVALID_DOCUMENT',
  ],
  [
    'a Proxy whose traps throw',
    [
      new Proxy(
        {},
        {
          ownKeys() {
            throw new Error('trap');
          },
          get() {
            throw new Error('trap');
          },
        },
      ),
    ],
    'INVALID_DOCUMENT',
  ],
  [
    'image and vector together',
    [{ id: 'iv', title: 't', image: new Blob([]), vector: new Float32Array(2) }],
    'INVALID_DOCUMENT',
  ],
  ['image of the wrong type', [{ id: 'img', title: 't', image: 'cat.jpg' }], 'INVALID_DOCUMENT'],
  [
    'image without an image-text model',
    [{ id: 'img', title: 't', image: { width: 1, height: 1, data: new Uint8Array(4) } }],
    'MODEL_UNSUPPORTED',
  ],
  [
    'body over 8 MiB',
    [{ id: 'big', title: 't', body: 'a '.repeat(4 * MiB + 1) }],
    'INVALID_DOCUMENT',
  ],
  [
    'url over 8 MiB',
    [{ id: 'bigurl', title: 't', url: `https://x/${'a'.repeat(8 * MiB)}` }],
    'INVALID_DOCUMENT',
  ],
  [
    'metadata text over 8 MiB',
    [{ id: 'bigmeta', title: 't', metadata: { m: 'a'.repeat(8 * MiB + 1) } }],
    'INVALID_DOCUMENT',
  ],
  [
    'the same id twice in one call',
    [
      { id: 'twin', title: 'a' },
      { id: 'twin', title: 'b' },
    ],
    'DUPLICATE_ID',
  ],
  ['an id already in the index', [{ id: 'base-1', title: 'again' }], 'DUPLICATE_ID'],
  [
    'one bad among good ones',
    [
      { id: 'good-1', title: 'ok' },
      { id: '', title: 'bad' },
    ],
    'INVALID_DOCUMENT',
  ],
]) {
  add('add: malformed documents', name, async (ctx) => {
    // All or nothing: a rejected add leaves the index as it was.
    await withEngine(ctx, (engine) => rejects(engine.add(docs), code, name));
  });
}

for (const [i, lone] of LONE.entries()) {
  add('add: lone surrogates', `an id holding ${JSON.stringify(lone)} (${i})`, async (ctx) => {
    await withEngine(ctx, async (engine) => {
      await rejects(engine.add([{ id: `report${lone}`, title: 'Report' }]), 'INVALID_DOCUMENT');
    });
  });
}

add(
  'add: lone surrogates',
  'two ids differing only in lone surrogates never collide',
  async (ctx) => {
    // Issue 24, defect 3: 'report\uD800' and 'report\uDBFF' became one id (U+FFFD) and the
    // second replaced the first. Now both are refused, and nothing is overwritten or removed.
    await withEngine(
      ctx,
      async (engine) => {
        await engine.add([{ id: 'report\uFFFD', title: 'A real report with U+FFFD in its id' }]);
        await rejects(engine.update([{ id: 'report\uD800', title: 'x' }]), 'INVALID_DOCUMENT');
        await rejects(engine.update([{ id: 'report\uDBFF', title: 'y' }]), 'INVALID_DOCUMENT');
        await rejects(engine.remove(['report\uDFFF']), 'INVALID_DOCUMENT');
        const hits = await engine.search('real report', { mode: 'text' });
        check(hits[0]?.id === 'report\uFFFD', `the document was touched: ${hits[0]?.id}`);
        check(hits[0]?.title.startsWith('A real report'), 'its title changed');
      },
      { documents: BASE.length + 1 },
    );
  },
);

add('add: lone surrogates', 'a url or metadata holding a lone surrogate', async (ctx) => {
  await withEngine(ctx, async (engine) => {
    await rejects(engine.add([{ id: 'u', title: 't', url: '/x\uD800' }]), 'INVALID_DOCUMENT');
    await rejects(
      engine.add([{ id: 'm', title: 't', metadata: { 'k\uDC00': 1 } }]),
      'INVALID_DOCUMENT',
    );
    await rejects(
      engine.add([{ id: 'm', title: 't', metadata: { k: ['a', 'b\uD800'] } }]),
      'INVALID_DOCUMENT',
    );
  });
});

add('add: lone surrogates', 'lone surrogates in text fields become U+FFFD', async (ctx) => {
  await withEngine(
    ctx,
    async (engine) => {
      await engine.add([
        { id: 'lossy', title: 'Lossy \uD800 title', body: 'Body \uDFFF text zebra' },
      ]);
      const [hit] = await engine.search('zebra', { mode: 'text' });
      check(hit?.id === 'lossy', 'not found');
      check(hit.title === 'Lossy \uFFFD title', `title ${JSON.stringify(hit.title)}`);
    },
    { documents: BASE.length + 1 },
  );
});

add(
  'add: hostile content',
  'HTML, scripts and javascript: URLs are stored as text, never run',
  async (ctx) => {
    await withEngine(
      ctx,
      async (engine) => {
        globalThis.__scryPwned = false;
        const evil =
          '<img src=x onerror="globalThis.__scryPwned=true"><script>globalThis.__scryPwned=true</script>';
        await engine.add([
          {
            id: 'xss',
            title: `${evil} zebra`,
            body: `${evil} zebra body`,
            url: 'javascript:globalThis.__scryPwned=true',
          },
        ]);
        const [hit] = await engine.search('zebra', { mode: 'text' });
        check(hit?.id === 'xss', 'not found');
        check(hit.title === `${evil} zebra`, 'the title was changed');
        check(
          hit.snippet.text.includes('<script>'),
          'snippets carry the text verbatim (the UI escapes it)',
        );
        check(hit.url === 'javascript:globalThis.__scryPwned=true', 'url carried as data');
        await new Promise((r) => setTimeout(r, 50));
        check(globalThis.__scryPwned === false, 'something ran');
      },
      { documents: BASE.length + 1 },
    );
  },
);

add('add: hostile content', 'control characters, NUL bytes and odd whitespace', async (ctx) => {
  await withEngine(
    ctx,
    async (engine) => {
      const text =
        'zero\u0000width\u200b joiner\u200d bell\u0007 tab\tline\u2028para\u2029 rtl\u202e evil';
      await engine.add([{ id: 'ctrl\u0001id', title: text, body: text }]);
      const [hit] = await engine.search('bell', { mode: 'text' });
      check(hit?.id === 'ctrl\u0001id', `found ${hit?.id}`);
      check(hit.title === text, 'title changed');
    },
    { documents: BASE.length + 1 },
  );
});

add('add: hostile content', 'a 200,000-character word gives a bounded snippet', async (ctx) => {
  await withEngine(
    ctx,
    async (engine) => {
      await engine.add([
        { id: 'long', title: 'Long word', body: `${'w'.repeat(200_000)} needle after` },
      ]);
      const [hit] = await engine.search('needle', { mode: 'text' });
      check(hit?.id === 'long', 'not found');
      check(hit.snippet.text.length <= 24 * 20, `snippet of ${hit.snippet.text.length} characters`);
      check(hit.snippet.text.includes('needle'), 'the match is not in the snippet');
    },
    { documents: BASE.length + 1 },
  );
});

add('add: hostile content', 'prototype keys in metadata stay data', async (ctx) => {
  await withEngine(
    ctx,
    async (engine) => {
      const metadata = JSON.parse('{"__proto__": "polluted", "constructor": "c", "toString": "t"}');
      await engine.add([{ id: 'proto', title: 'Prototype zebra', metadata }]);
      const hits = await engine.search('zebra', { mode: 'text', filter: { toString: 't' } });
      check(hits.length === 1 && hits[0].id === 'proto', JSON.stringify(hits));
      // The key `__proto__` is kept as a key, in the document and in a filter.
      const proto = JSON.parse('{"__proto__": "polluted"}');
      const viaProto = await engine.search('zebra', { mode: 'text', filter: proto });
      check(viaProto.length === 1 && viaProto[0].id === 'proto', JSON.stringify(viaProto));
      const other = JSON.parse('{"__proto__": "other"}');
      check((await engine.search('zebra', { mode: 'text', filter: other })).length === 0, 'other');
      check({}.polluted === undefined, 'Object.prototype polluted');
    },
    { documents: BASE.length + 1 },
  );
});

add('add: hostile content', 'fields scry does not know are ignored, not stored', async (ctx) => {
  await withEngine(
    ctx,
    async (engine) => {
      await engine.add([{ id: 'extra', title: 'Extra zebra', author: 'me', date: new Date() }]);
      const [hit] = await engine.search('zebra', { mode: 'text' });
      check(hit?.id === 'extra' && !('author' in hit), JSON.stringify(hit));
    },
    { documents: BASE.length + 1 },
  );
});

add('add: hostile content', 'a document whose getter throws', async (ctx) => {
  await withEngine(ctx, async (engine) => {
    const doc = { id: 'getter' };
    Object.defineProperty(doc, 'title', {
      enumerable: true,
      get: () => {
        throw new Error('boom');
      },
    });
    // Structured clone (worker) or reading it (in thread) fails: a typed error either way.
    const e = await engine.add([doc]).then(
      () => undefined,
      (err) => err,
    );
    check(e?.name === 'ScryError' && e.code === 'INVALID_DOCUMENT', describe(e));
    // Thrown values that cannot even be printed.
    const odd = { id: 'odd' };
    Object.defineProperty(odd, 'body', {
      enumerable: true,
      get: () => {
        throw Object.create(null);
      },
    });
    await rejects(engine.add([odd]), 'INVALID_DOCUMENT');
  });
});

add('add: hostile content', '5,000 small documents in one call, then each removed', async (ctx) => {
  await withEngine(ctx, async (engine) => {
    const many = Array.from({ length: 5000 }, (_, i) => ({
      id: `many-${i}`,
      title: `Item ${i}`,
      body: `number ${i}`,
    }));
    await engine.add(many);
    check((await engine.info()).documents === BASE.length + 5000, 'not all added');
    check((await engine.remove(many.map((d) => d.id))) === 5000, 'not all removed');
  });
});

add('add: hostile content', 'an exactly 8 MiB document is accepted', async (ctx) => {
  await withEngine(
    ctx,
    async (engine) => {
      const body = 'ab '.repeat((8 * MiB - 10) / 3);
      await engine.add([{ id: 'max', title: 'Max', body }]);
    },
    { documents: BASE.length + 1 },
  );
});

add('add: options', 'bad add options', async (ctx) => {
  await withEngine(ctx, async (engine) => {
    await rejects(engine.add([{ id: 'o', title: 't' }], { signal: 'stop' }), 'INVALID_OPTIONS');
    await rejects(engine.add([{ id: 'o', title: 't' }], { onProgress: 3 }), 'INVALID_OPTIONS');
    await rejects(engine.add([{ id: 'o', title: 't' }], { batch: 2 }), 'INVALID_OPTIONS');
    await rejects(engine.add([{ id: 'o', title: 't' }], 'fast'), 'INVALID_OPTIONS');
  });
});

add('add: options', 'an add aborted before it starts adds nothing', async (ctx) => {
  await withEngine(ctx, async (engine) => {
    await rejects(
      engine.add([{ id: 'ab', title: 'Aborted' }], { signal: AbortSignal.abort() }),
      'ABORTED',
    );
    check((await engine.search('aborted', { mode: 'text' })).length === 0, 'it was added');
  });
});

// ---------------------------------------------------------------------------------------------
// update / remove
// ---------------------------------------------------------------------------------------------
add(
  'update / remove',
  'remove of ids that do not exist, empty and duplicated lists',
  async (ctx) => {
    await withEngine(ctx, async (engine) => {
      check((await engine.remove(['nope', 'nada'])) === 0, 'removed something');
      check((await engine.remove([])) === 0, 'empty list');
      await engine.add([{ id: 'dup', title: 'Dup' }]);
      check((await engine.remove(['dup', 'dup'])) === 1, 'a duplicate id counted twice');
    });
  },
);

for (const [name, ids] of [
  ['not an array', 'base-0'],
  ['numbers', [1, 2]],
  ['null', null],
  ['an object', { id: 'base-0' }],
  ['a string and an object', ['base-0', { id: 'base-1' }]],
]) {
  add('update / remove', `remove() given ${name}`, async (ctx) => {
    await withEngine(ctx, (engine) => rejects(engine.remove(ids), 'INVALID_OPTIONS', name));
  });
}

add('update / remove', 'remove() reads the array, never its iterator', async (ctx) => {
  await withEngine(ctx, async (engine) => {
    const ids = Object.assign(['nope'], {
      *[Symbol.iterator]() {
        yield {};
      },
    });
    check((await engine.remove(ids)) === 0, 'an id that is not there was removed');
  });
});

add('update / remove', 'update with an invalid document keeps the old versions', async (ctx) => {
  await withEngine(ctx, async (engine) => {
    await rejects(
      engine.update([
        { id: 'base-0', title: 'Replaced' },
        { id: 'base-1', title: '', body: '' },
      ]),
      'INVALID_DOCUMENT',
    );
    const [hit] = await engine.search('alpha', { mode: 'text' });
    check(hit?.title === 'Alpha streams', 'base-0 was replaced');
  });
});

// ---------------------------------------------------------------------------------------------
// search / suggest: hostile queries and options
// ---------------------------------------------------------------------------------------------
for (const [name, query, code] of [
  ['a number', 42, 'INVALID_QUERY'],
  ['empty', '', 'INVALID_QUERY'],
  ['only whitespace', ' \n\t ', 'INVALID_QUERY'],
  ['null', null, 'INVALID_QUERY'],
  ['an object', { q: 'x' }, 'INVALID_QUERY'],
  ['4,097 bytes', 'a'.repeat(4097), 'INVALID_QUERY'],
  ['4 KiB of 3-byte characters plus one', '語'.repeat(1366), 'INVALID_QUERY'],
  ['one million characters', 'x '.repeat(500_000), 'INVALID_QUERY'],
]) {
  add('search: hostile queries', `a query that is ${name}`, async (ctx) => {
    await withEngine(ctx, (engine) => rejects(engine.search(query), code, name));
  });
}

for (const [name, query] of [
  ['punctuation only', '!!! ??? ...'],
  ['lone surrogates', '\uD800\uDFFF\uDBFF stream'],
  ['control characters', '\u0000\u0001 stream \u0007'],
  ['regex metacharacters', '.*+?^${}()|[]\\ stream'],
  ['HTML', '<script>alert(1)</script> stream'],
  ['SQL', "' OR 1=1; DROP TABLE docs; -- stream"],
  ['exactly 4,096 bytes', 'stream '.repeat(585) + 'x'],
  ['emoji and combining marks', '👩‍👩‍👧 e\u0301 stream'],
  ['right-to-left override', '\u202estream'],
]) {
  add('search: hostile queries', `a query of ${name} answers without error`, async (ctx) => {
    await withEngine(ctx, async (engine) => {
      const hits = await engine.search(query, { mode: 'text' });
      check(Array.isArray(hits), 'not an array');
      for (const h of hits)
        check(
          BASE.some((d) => d.id === h.id),
          `unknown hit ${h.id}`,
        );
      const sugg = await engine.suggest(query);
      check(Array.isArray(sugg), 'suggest did not answer');
    });
  });
}

for (const [name, options] of [
  ['k 0', { k: 0 }],
  ['k negative', { k: -1 }],
  ['k fractional', { k: 1.5 }],
  ['k NaN', { k: NaN }],
  ['k Infinity', { k: Infinity }],
  ['k 1001', { k: 1001 }],
  ['k a string', { k: '10' }],
  ['mode unknown', { mode: 'semantic' }],
  ['unknown option', { limit: 5 }],
  ['diversify 2', { diversify: 2 }],
  ['filter an array', { filter: [1] }],
  ['filter unknown operator', { filter: { lang: { like: 'x' } } }],
  ['filter in not a list', { filter: { lang: { in: 'x' } } }],
  ['filter with NaN', { filter: { n: { gt: NaN } } }],
  ['filter nested 40 deep', { filter: nested(40) }],
  ['filter nested 100,000 deep', { filter: nested(100_000) }],
  ['vector not a Float32Array', { vector: [0.1, 0.2] }],
  ['vector without a model', { vector: new Float32Array(384), mode: 'vector' }],
  ['signal not an AbortSignal', { signal: true }],
]) {
  add('search: hostile options', name, async (ctx) => {
    const code = name.startsWith('vector without') ? 'MODEL_UNSUPPORTED' : 'INVALID_OPTIONS';
    await withEngine(ctx, (engine) => rejects(engine.search('stream', options), code, name));
  });
}

for (const [name, options] of [
  ['offset negative', { offset: -1 }],
  ['offset 10,001', { offset: 10_001 }],
  ['offset fractional', { offset: 1.5 }],
  ['offset a string', { offset: '5' }],
  ['sort a string', { sort: 'title' }],
  ['sort null', { sort: null }],
  ['sort an array', { sort: ['title'] }],
  ['sort without a field', { sort: { order: 'asc' } }],
  ['sort field empty', { sort: { field: '' } }],
  ['sort field of 257 bytes', { sort: { field: 'é'.repeat(129) } }],
  ['sort field a lone surrogate', { sort: { field: '\ud800' } }],
  ['sort order unknown', { sort: { field: 'n', order: 'up' } }],
  ['sort with an unknown key', { sort: { field: 'n', nulls: 'first' } }],
  ['sort and diversify', { sort: { field: 'n' }, diversify: 0.5 }],
  ['facets a string', { facets: 'lang' }],
  ['facets of 33 fields', { facets: Array(33).fill('lang') }],
  ['facets with a number', { facets: [1] }],
  ['facets with an empty name', { facets: [''] }],
  ['facets a billion long', { facets: new Array(1e9) }],
  ['facets an array-like', { facets: { length: 1e9 } }],
  ['metadata a string', { metadata: 'lang' }],
  ['metadata null', { metadata: null }],
  ['metadata of 33 fields', { metadata: Array(33).fill('lang') }],
  ['metadata a billion long', { metadata: new Array(1e9) }],
  ['metadata with an object', { metadata: [{ toString: () => 'lang' }] }],
]) {
  add('query: hostile options', name, async (ctx) => {
    await withEngine(ctx, (engine) =>
      rejects(engine.query('stream', options), 'INVALID_OPTIONS', name),
    );
  });
}

add('query: hostile options', 'search takes no facets', async (ctx) => {
  await withEngine(ctx, (engine) =>
    rejects(engine.search('stream', { facets: ['lang'] }), 'INVALID_OPTIONS'),
  );
});

add(
  'query: hostile options',
  'facets and sort that answer differently on a second read',
  async (ctx) => {
    await withEngine(ctx, async (engine) => {
      // Read once, checked, copied: a second read would get a billion-long array or a 1 MB name.
      let facetReads = 0;
      let sortReads = 0;
      const options = {
        get facets() {
          facetReads += 1;
          return facetReads === 1 ? ['lang'] : new Array(1e9);
        },
        get sort() {
          sortReads += 1;
          return sortReads === 1 ? { field: 'lang' } : { field: 'x'.repeat(1 << 20) };
        },
      };
      const r = await engine.query('stream', options);
      check(facetReads === 1 && sortReads === 1, `read ${facetReads} and ${sortReads} times`);
      check(r.total === 1 && r.hits[0]?.id === 'base-0', JSON.stringify(r));
      check(r.facets.length === 1 && r.facets[0].field === 'lang', JSON.stringify(r.facets));
    });
  },
);

add('query: hostile data', 'facets over 2,000 distinct values and 100 KB ones', async (ctx) => {
  const many = Array.from({ length: 2000 }, (_, i) => ({
    id: `m-${i}`,
    title: `stream ${i}`,
    body: 'streams',
    metadata: {
      v: i % 2 ? `value ${i}` : i,
      list: ['a', 'a', `b${i % 3}`],
      ...(i < 3 ? { big: 'x'.repeat(100_000) } : {}),
    },
  }));
  await withEngine(
    ctx,
    async (engine) => {
      await engine.add(many);
      const r = await engine.query('stream', {
        mode: 'text',
        k: 3,
        offset: 1500,
        facets: ['v', 'big', 'list', 'absent'],
        sort: { field: 'v', order: 'desc' },
      });
      check(r.total === 2001, `total ${r.total}`);
      check(r.hits.length === 3, `${r.hits.length} hits`);
      const [v, big, list, absent] = r.facets;
      // Metadata with the hits, 100 KB values included.
      const withMeta = await engine.search('stream', { mode: 'text', k: 5, metadata: true });
      check(
        withMeta.every(
          (h) => h.id === 'base-0' || JSON.stringify(h.metadata.list).startsWith('["a"'),
        ),
        JSON.stringify(withMeta.map((h) => h.metadata)).slice(0, 300),
      );
      const bigHits = await engine.search('stream', {
        mode: 'text',
        filter: { big: { exists: true } },
        metadata: ['big'],
      });
      check(
        bigHits.filter((h) => h.metadata?.big?.length === 100_000).length === 3,
        'the three 100 KB values',
      );
      check(v.values.length === 100 && v.distinct === 2000, `v: ${v.values.length}/${v.distinct}`);
      check(big.values.length === 1 && big.values[0].count === 3, 'big');
      const counts = JSON.stringify(list.values.map((x) => [x.value, x.count]));
      check(counts === '[["a",2000],["b0",667],["b1",667],["b2",666]]', counts);
      check(absent.values.length === 0 && absent.distinct === 0, 'absent');
      // Numbers sort before strings, so descending the 1,000 strings come first: places 1,500
      // on hold numbers (the even documents).
      check(
        r.hits.every((h) => h.id.startsWith('m-') && Number(h.id.slice(2)) % 2 === 0),
        JSON.stringify(r.hits.map((h) => h.id)),
      );
    },
    { documents: BASE.length + many.length },
  );
});

add(
  'search: hostile options',
  'a filter that answers differently on a second read',
  async (ctx) => {
    await withEngine(ctx, async (engine) => {
      // The first read is checked; a second read (wasm reading the caller's object) would get
      // 100,000 levels. What wasm reads is the copy made by the one checked read.
      let reads = 0;
      const filter = {
        get lang() {
          reads += 1;
          return reads === 1 ? 'x' : nested(100_000);
        },
      };
      const hits = await engine.search('stream', { mode: 'text', filter });
      check(hits.length === 0, 'nothing has lang x');
      check(reads === 1, `the filter was read ${reads} times`);
    });
  },
);

add('search: hostile options', 'a filter whose getter throws', async (ctx) => {
  await withEngine(ctx, async (engine) => {
    const filter = {
      get lang() {
        throw Object.create(null); // not even printable
      },
    };
    await rejects(engine.search('stream', { filter }), 'INVALID_OPTIONS');
  });
});

add('search: hostile options', 'a filter that is a cycle', async (ctx) => {
  await withEngine(ctx, async (engine) => {
    const f = { or: [] };
    f.or.push(f);
    await rejects(engine.search('stream', { filter: f }), 'INVALID_OPTIONS');
  });
});

add('search: hostile options', 'an image query without an image-text model', async (ctx) => {
  await withEngine(ctx, async (engine) => {
    const e = await engine.search({ width: 2, height: 2, data: new Uint8Array(16) }).then(
      () => undefined,
      (err) => err,
    );
    check(
      e?.name === 'ScryError' && ['MODEL_UNSUPPORTED', 'INVALID_QUERY'].includes(e.code),
      describe(e),
    );
  });
});

for (const [name, options] of [
  ['max 0', { max: 0 }],
  ['max 13', { max: 13 }],
  ['topN 3', { topN: 3 }],
  ['maxClusters 1', { maxClusters: 1 }],
  ['unknown option', { clusters: 3 }],
  ['options a number', 5],
]) {
  add('suggest: hostile options', name, async (ctx) => {
    await withEngine(ctx, (engine) =>
      rejects(engine.suggest('stream', options), 'INVALID_OPTIONS', name),
    );
  });
}

add(
  'suggest: hostile queries',
  'suggest with a query that is not a string or too long',
  async (ctx) => {
    await withEngine(ctx, async (engine) => {
      await rejects(engine.suggest(7), 'INVALID_QUERY');
      await rejects(engine.suggest('s'.repeat(5000)), 'INVALID_QUERY');
    });
  },
);

// ---------------------------------------------------------------------------------------------
// Concurrency, aborts and the engine's life cycle
// ---------------------------------------------------------------------------------------------
add('concurrency', '50 searches and 10 adds at once', async (ctx) => {
  await withEngine(
    ctx,
    async (engine) => {
      const adds = Array.from({ length: 10 }, (_, i) =>
        engine.add([{ id: `c-${i}`, title: `Concurrent ${i}`, body: 'stream' }]),
      );
      const searches = Array.from({ length: 50 }, () => engine.search('stream', { mode: 'text' }));
      const results = await Promise.all([...adds, ...searches]);
      check(results.slice(10).every(Array.isArray), 'a search failed');
    },
    { documents: BASE.length + 10 },
  );
});

add('concurrency', 'the same id added by two calls at once: exactly one wins', async (ctx) => {
  await withEngine(
    ctx,
    async (engine) => {
      const outcomes = await Promise.allSettled([
        engine.add([{ id: 'race', title: 'First zebra' }]),
        engine.add([{ id: 'race', title: 'Second zebra' }]),
      ]);
      const failed = outcomes.filter((o) => o.status === 'rejected');
      check(
        failed.length === 1 && failed[0].reason.code === 'DUPLICATE_ID',
        JSON.stringify(outcomes),
      );
    },
    { documents: BASE.length + 1 },
  );
});

add(
  'concurrency',
  'a search aborted while it runs rejects ABORTED; the next answers',
  async (ctx) => {
    await withEngine(ctx, async (engine) => {
      const controller = new AbortController();
      const p = engine.search('stream', { signal: controller.signal });
      controller.abort();
      const e = await p.then(
        () => undefined,
        (err) => err,
      );
      // Either it finished first or it reports the abort; never anything else.
      check(e === undefined || e.code === 'ABORTED', describe(e));
      await rejects(engine.search('stream', { signal: AbortSignal.abort() }), 'ABORTED');
    });
  },
);

add(
  'life cycle',
  'every call after dispose rejects DISPOSED; dispose twice is fine',
  async (ctx) => {
    const engine = await fresh(ctx);
    await engine.dispose();
    await engine.dispose();
    await rejects(engine.search('x'), 'DISPOSED');
    await rejects(engine.add([{ id: 'late', title: 'Late' }]), 'DISPOSED');
    await rejects(engine.update([{ id: 'late', title: 'Late' }]), 'DISPOSED');
    await rejects(engine.remove(['base-0']), 'DISPOSED');
    await rejects(engine.suggest('x'), 'DISPOSED');
    await rejects(engine.info(), 'DISPOSED');
  },
);

add('life cycle', 'dispose while calls are in flight', async (ctx) => {
  const engine = await fresh(ctx);
  const pending = [
    engine.search('stream'),
    engine.add([{ id: 'inflight', title: 'In flight' }]),
    engine.info(),
  ];
  await engine.dispose();
  for (const o of await Promise.allSettled(pending)) {
    check(o.status === 'fulfilled' || o.reason?.code === 'DISPOSED', describe(o.reason));
  }
  // Other engines are not affected.
  const other = await fresh(ctx);
  await alive(other);
  await other.dispose();
});

// ---------------------------------------------------------------------------------------------
// Static indexes (served from the repository by the runner: target/adversarial/…)
// ---------------------------------------------------------------------------------------------
for (const [name, entry, code] of [
  ['documents 1e308', { documents: 1e308 }, 'CORRUPT_DATA'],
  ['documents -5', { documents: -5 }, 'CORRUPT_DATA'],
  ['documents one more than stored', { documents: 'plus-one' }, 'CORRUPT_DATA'],
  ['documents a string', { documents: '5' }, 'CORRUPT_DATA'],
  ['vectors fractional', { vectors: 0.5 }, 'CORRUPT_DATA'],
  ['bytes negative', { bytes: -1 }, 'CORRUPT_DATA'],
  ['bytes null', { bytes: null }, 'CORRUPT_DATA'],
  ['meta a path outside', { meta: '../../../etc/passwd' }, 'CORRUPT_DATA'],
  ['meta another file', { meta: 'meta/00000000000000000000000000000000.bin' }, 'INDEX_FETCH'],
  ['format 99', { format: 99 }, 'UNSUPPORTED_VERSION'],
  ['format missing', { format: undefined }, 'CORRUPT_DATA'],
  ['model a number', { model: 5 }, 'CORRUPT_DATA'],
  ['model named where the meta file has none', { model: 'all-MiniLM-L6-v2-int8' }, 'CORRUPT_DATA'],
  ['dims where the meta file has no model', { dims: 384 }, 'CORRUPT_DATA'],
  ['bytes 1e15', { bytes: 1e15 }, 'CORRUPT_DATA'],
  ['chunks listing two meta files', { chunks: { meta: { files: 2, bytes: 10 } } }, 'CORRUPT_DATA'],
]) {
  add('static index: tampered scry.json', name, async (ctx) => {
    const url = await ctx.staticIndex((e) => {
      const out = { ...e, ...entry };
      if (entry.documents === 'plus-one') out.documents = e.documents + 1;
      return out;
    });
    await rejects(ctx.scry.createEngine({ staticIndex: { url, cache: false } }), code, name);
  });
}

add('static index: tampered scry.json', 'not JSON at all', async (ctx) => {
  const url = await ctx.staticIndex(() => '{"format": 1, "meta": ');
  await rejects(ctx.scry.createEngine({ staticIndex: { url, cache: false } }), 'CORRUPT_DATA');
});

add('static index: intact', 'the untampered copy opens and reports true counts', async (ctx) => {
  const url = await ctx.staticIndex((e) => e);
  const engine = await ctx.scry.createEngine({ staticIndex: { url, cache: false } });
  const info = await engine.info();
  check(info.staticIndex.documents === info.documents, JSON.stringify(info.staticIndex));
  const [hit] = await engine.search('zebra stripes', { mode: 'text' });
  check(hit?.id.startsWith('static-zebra#') === true, `no answer: ${JSON.stringify(hit)}`);
  await engine.dispose();
});

add(
  'static index: damaged chunks',
  'a damaged or missing chunk: typed error, other queries still work',
  async (ctx) => {
    const url = await ctx.staticIndex((e) => e, { damage: 'docs' });
    const engine = await ctx.scry.createEngine({ staticIndex: { url, cache: false } });
    try {
      // The query reads the damaged stored text: refused, never served.
      await rejects(engine.search('zebra', { mode: 'text' }), 'CORRUPT_DATA');
      // The engine goes on: local documents are added and found, and queries that need no
      // damaged chunk answer.
      await engine.add(BASE);
      const [hit] = await engine.search('ciphers hashes', { mode: 'text' });
      check(hit?.id === 'base-2', `found ${hit?.id}`);
      await rejects(engine.search('zebra', { mode: 'text' }), 'CORRUPT_DATA');
    } finally {
      await engine.dispose();
    }
  },
);

// ---------------------------------------------------------------------------------------------
// Stored indexes: damaged and missing records, foreign records, repair — IndexedDB (browser)
// and files (Node) through the same cases: `ctx.stored` gives the storage options and raw access.
// ---------------------------------------------------------------------------------------------
const STORED = Array.from({ length: 50 }, (_, i) => ({
  id: `doc-${i}`,
  title: `Stored document ${i}`,
  body: `kept body ${i} `.repeat(8),
}));

/** An index holding {@link STORED}, disposed; returns its options and raw access. */
async function storedIndex(ctx) {
  const store = await ctx.stored(unique('adv'));
  const engine = await ctx.scry.createEngine(store.options);
  await engine.add(STORED.slice(0, 30));
  await engine.add(STORED.slice(30));
  await engine.dispose();
  return store;
}

async function storedAnswers(ctx, options, expected = STORED.length) {
  const engine = await ctx.scry.createEngine(options);
  try {
    const info = await engine.info();
    check(info.documents === expected, `${info.documents} documents, expected ${expected}`);
    const [hit] = await engine.search('kept body 37', { k: 1, mode: 'text' });
    check(hit?.id === 'doc-37', `top hit ${hit?.id}`);
    return info;
  } finally {
    await engine.dispose();
  }
}

add(
  'stored index: damage',
  'a missing manifest: CORRUPT_DATA, nothing deleted, repair restores all',
  async (ctx) => {
    // Issue 24, defect 2: the engine opened with 0 documents and its next add deleted the rest.
    const store = await storedIndex(ctx);
    await store.remove('manifest');
    const before = await store.snapshot();
    await rejects(ctx.scry.createEngine(store.options), 'CORRUPT_DATA');
    check(
      JSON.stringify(await store.snapshot()) === JSON.stringify(before),
      'opening changed records',
    );
    const info = await storedAnswers(ctx, { ...store.options, repair: true });
    check(info.repaired?.manifest === 'backup', JSON.stringify(info.repaired));
    await storedAnswers(ctx, store.options);
  },
);

add(
  'stored index: damage',
  'manifest and its backup both gone: rebuilt from the documents store',
  async (ctx) => {
    const store = await storedIndex(ctx);
    await store.remove('manifest');
    await store.remove('manifest.bak');
    await rejects(ctx.scry.createEngine(store.options), 'CORRUPT_DATA');
    const info = await storedAnswers(ctx, { ...store.options, repair: true });
    check(info.repaired?.manifest === 'rebuilt', JSON.stringify(info.repaired));
  },
);

add(
  'stored index: damage',
  'a manifest that is garbage (wrong type, empty, random)',
  async (ctx) => {
    const store = await storedIndex(ctx);
    for (const value of [new Uint8Array(0), new Uint8Array([1, 2, 3]), 'a string', 12]) {
      await store.put('manifest', value);
      const e = await ctx.scry.createEngine(store.options).then(
        (engine) => engine.dispose().then(() => undefined),
        (err) => err,
      );
      check(e?.code === 'CORRUPT_DATA', describe(e));
    }
    const info = await storedAnswers(ctx, { ...store.options, repair: true });
    check(info.repaired?.manifest === 'backup', JSON.stringify(info.repaired));
  },
);

add(
  'stored index: damage',
  'a missing segment record: CORRUPT_DATA; repair rebuilds it',
  async (ctx) => {
    const store = await storedIndex(ctx);
    const seg = (await store.keys()).find((k) => k.startsWith('seg/'));
    await store.remove(seg);
    await rejects(ctx.scry.createEngine(store.options), 'CORRUPT_DATA');
    const info = await storedAnswers(ctx, { ...store.options, repair: true });
    check(info.repaired?.segments >= 1, JSON.stringify(info.repaired));
  },
);

add(
  'stored index: damage',
  'every chunk flipped: queries refuse them; repair brings all back',
  async (ctx) => {
    const store = await storedIndex(ctx);
    for (const k of (await store.keys()).filter((k) => k.startsWith('chunk/'))) {
      const b = new Uint8Array(await store.get(k));
      b[b.length >> 1] ^= 0x20;
      await store.put(k, b);
    }
    const engine = await ctx.scry.createEngine(store.options);
    await rejects(engine.search('kept body 37', { mode: 'text' }), 'CORRUPT_DATA');
    await engine.dispose();
    await storedAnswers(ctx, { ...store.options, repair: true });
  },
);

add(
  'stored index: damage',
  'a damaged documents-store record: opening does not see it (info says so); repair does',
  async (ctx) => {
    const store = await storedIndex(ctx);
    const keys = await store.keys();
    const record = keys.find((k) => k.startsWith('docstore/'));
    await store.put(record, new Uint8Array([9, 9, 9]));
    const engine = await ctx.scry.createEngine(store.options);
    const { integrity } = await engine.info();
    check(integrity?.documentsStoreChecked === false, JSON.stringify(integrity));
    check(
      integrity.checkedAtOpen.join() === 'manifest,segment-meta-files',
      JSON.stringify(integrity),
    );
    check(integrity.chunksUnchecked > 0, 'chunks are read after opening, not at it');
    // Every query still answers from the intact segments.
    check((await engine.search('kept body 37', { mode: 'text' }))[0]?.id === 'doc-37', 'query');
    await engine.dispose();
    // The damage shows when a repair needs that record: its segment damaged too.
    const seg = `seg/${record.slice('docstore/'.length)}`;
    await store.remove(seg);
    const before = await store.snapshot();
    const e = await rejects(
      ctx.scry.createEngine({ ...store.options, repair: true }),
      'CORRUPT_DATA',
    );
    check(/stored documents of segment/.test(e.message), e.message);
    check(JSON.stringify(await store.snapshot()) === JSON.stringify(before), 'repair wrote');
  },
);

add(
  'stored index: foreign records',
  'records scry did not write survive commits and merges',
  async (ctx) => {
    const store = await storedIndex(ctx);
    const foreign = [
      `seg/${'f'.repeat(32)}`,
      'docstore/mine',
      'chunk/post/notes.bin',
      'user-notes',
    ];
    for (const k of foreign) await store.put(k, new Uint8Array([1, 2, 3]));
    const engine = await ctx.scry.createEngine(store.options);
    await engine.add([
      { id: 'more-a', title: 'More', body: 'kept' },
      { id: 'more-b', title: 'More', body: 'kept' },
    ]);
    const ours = (await store.keys()).filter((k) => !foreign.includes(k));
    // That segment emptied: it is merged away in the background, its records retired.
    await engine.remove(['more-a', 'more-b', 'doc-1', 'doc-2']);
    await engine.update([{ id: 'doc-3', title: 'Updated', body: 'kept body 3' }]);
    // Merges run a moment after the last change (and after the stored segments are read in
    // the background): wait until one has been committed and its old records collected.
    let keys = await store.keys();
    for (
      let i = 0;
      i < 60 && ours.every((k) => keys.includes(k) || k.startsWith('manifest'));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 250));
      keys = await store.keys();
    }
    await engine.dispose();
    keys = await store.keys();
    for (const k of foreign) check(keys.includes(k), `${k} was deleted`);
    // Garbage collection did run: records of segments the changes replaced are gone.
    const collected = ours.filter((k) => !keys.includes(k) && !k.startsWith('manifest'));
    check(collected.length > 0, 'nothing was collected: the case proves nothing');
    await storedAnswers(ctx, store.options, STORED.length - 2);
  },
);

add(
  'stored index: links',
  'links planted in or as the journal of a file index are never followed',
  async (ctx) => {
    const store = await storedIndex(ctx);
    const precious = { precious: 'mine', 0: 'also mine', ops: 'also mine', COMMITTED: 'mine too' };
    const outside = await ctx.outside(precious);
    // A link named like a journal file: removed itself; its target is never written.
    await store.link('.journal/0', `${outside}/precious`);
    const engine = await ctx.scry.createEngine(store.options);
    await engine.add([{ id: 'linked', title: 'After the link' }]);
    await engine.dispose();
    // The journal itself a link to another folder: refused, nothing there touched.
    await store.remove('.journal');
    await store.link('.journal', outside);
    await rejects(ctx.scry.createEngine(store.options), 'STORAGE_FAILED');
    for (const [name, text] of Object.entries(precious)) {
      check((await ctx.read(`${outside}/${name}`)) === text, `${name} was changed`);
    }
    await store.remove('.journal');
    await storedAnswers(ctx, store.options, STORED.length + 1);
  },
  'node',
);

add('stored index: concurrency', 'two engines on one index: no document lost', async (ctx) => {
  const store = await storedIndex(ctx);
  const a = await ctx.scry.createEngine(store.options);
  const b = await ctx.scry.createEngine(store.options).catch((e) => e);
  if (b?.code === 'STORAGE_LOCKED') {
    // A directory has one writer: the second is refused, the first goes on.
    await a.add([{ id: 'from-a', title: 'From A' }]);
    await a.dispose();
    await storedAnswers(ctx, store.options, STORED.length + 1);
    return;
  }
  check(typeof b?.add === 'function', describe(b));
  await Promise.all([
    a.add([{ id: 'from-a', title: 'From A' }]),
    b.add([{ id: 'from-b', title: 'From B' }]),
  ]);
  await a.dispose();
  await b.dispose();
  await storedAnswers(ctx, store.options, STORED.length + 2);
});
