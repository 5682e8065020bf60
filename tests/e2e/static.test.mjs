// A prebuilt static index over HTTP, through the built npm package in Chromium: the Node.js docs
// as `scry index` wrote them for the demo (target/site/node, built by scripts/build.py). Only
// what a query needs is fetched; fetched chunks are kept in Cache Storage; local documents live
// beside the index and persist in IndexedDB; damaged chunks are refused with typed errors.
// Serves the repository root (the package, the model, the index).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { startServer } from '../../scripts/serve.mjs';
import { launch, watchPage } from './browser.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const INDEX = 'target/site/node/';
const MODEL = '/models/cache/all-MiniLM-L6-v2-int8/';
const entry = JSON.parse(readFileSync(`${ROOT}${INDEX}scry.json`, 'utf8'));
const totalChunks = Object.entries(entry.chunks)
  .filter(([kind]) => kind !== 'meta')
  .reduce((n, [, c]) => n + c.files, 0);

let server;
let browser;

before(async () => {
  server = await startServer({ root: ROOT, port: 0 });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens the package test page; records the requests for index files. */
async function openPage(context) {
  const page = await context.newPage();
  const { problems } = watchPage(page, context);
  const fetched = [];
  context.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith(`/${INDEX}`)) fetched.push(path.slice(INDEX.length + 1));
  });
  await page.goto(`${server.url}tests/e2e/pages/model.html`);
  await page.waitForSelector('body[data-ready]', { state: 'attached' });
  return { page, fetched, problems };
}

/** Creates `window.engine` in the page; resolves to its info, or the error's code and message. */
function create(page, options) {
  return page.evaluate(async (options) => {
    try {
      window.engine = await window.scry.createEngine(options);
      return { info: await window.engine.info() };
    } catch (e) {
      return { code: e.code, message: e.message };
    }
  }, options);
}

function search(page, query, options) {
  return page.evaluate(
    async ([q, o]) => {
      try {
        return { hits: await window.engine.search(q, o) };
      } catch (e) {
        return { code: e.code, message: e.message };
      }
    },
    [query, options],
  );
}

const spec = (extra = {}) => ({
  name: 'static-test',
  model: { url: MODEL },
  staticIndex: { url: `/${INDEX}` },
  ...extra,
});

test('a query fetches only the chunks it needs, and a second visit takes them from the cache', async () => {
  const context = await browser.newContext();
  const { page, fetched, problems } = await openPage(context);
  const { info, message } = await create(page, spec());
  assert.ok(info, message);
  assert.deepEqual(fetched.sort(), [entry.meta, 'scry.json'].sort(), 'start: entry + meta only');
  assert.equal(info.documents, entry.documents);
  assert.equal(info.staticIndex.documents, entry.documents);
  assert.equal(info.staticIndex.chunks, totalChunks);
  assert.equal(info.staticIndex.chunksLoaded, 0);

  // Full text: postings of the query's words and the text of the hits; no vectors.
  const text = await search(page, 'gzip deflate', { mode: 'text', k: 5 });
  assert.ok(text.hits, text.message);
  assert.ok(
    text.hits.some((h) => h.id.startsWith('zlib#')),
    JSON.stringify(text.hits),
  );
  assert.ok(text.hits[0].snippet.highlights.length > 0);
  const afterText = fetched.length - 2;
  assert.ok(afterText > 0 && afterText <= 4 * 2 + 5, `${afterText} chunks for two words`);
  assert.ok(!fetched.some((f) => f.startsWith('vec/')));

  // The browser's query embedding of a passage's exact text meets the vector `scry index`
  // computed natively for it (int8 with residuals, re-scored): cosine ≥ 0.999.
  const gzip = (await search(page, 'gzip', { mode: 'text', k: 20 })).hits.find(
    (h) => h.id === 'zlib#class-zlib-gzip',
  );
  assert.ok(gzip && !gzip.snippet.truncatedStart && !gzip.snippet.truncatedEnd);
  const title = gzip.title.trim();
  const head = [title, ...gzip.headings.map((h) => h.trim()).filter((h) => h && h !== title)];
  const passage = `${head.join(' > ')}\n${gzip.snippet.text}`;
  const same = await search(page, passage, { mode: 'vector', k: 1 });
  assert.equal(same.hits?.[0]?.id, gzip.id, same.message);
  assert.ok(same.hits[0].vectorScore >= 0.999, `cosine ${same.hits[0].vectorScore}`);

  // Hybrid: the vectors too, once.
  const hybrid = await search(page, 'how do I compress an HTTP response', { k: 10 });
  assert.ok(hybrid.hits, hybrid.message);
  assert.ok(
    hybrid.hits.some((h) => h.id.startsWith('zlib')),
    JSON.stringify(hybrid.hits),
  );
  assert.equal(fetched.filter((f) => f.startsWith('vec/')).length, 1);
  const { staticIndex: s } = await page.evaluate(() => window.engine.info());
  assert.ok(s.chunksLoaded < totalChunks / 4, `${s.chunksLoaded} of ${totalChunks} chunks`);
  assert.equal(s.requests, fetched.length - 1, 'every download but scry.json is counted');
  assert.deepEqual(problems, []);

  // Another page of the same origin: every chunk it needs again is in Cache Storage, and files
  // of an earlier deploy of the index (no longer listed) are dropped from it.
  const stale = `${server.url}${INDEX}post/00000000000000000000000000000000.bin`;
  await page.evaluate(async (url) => {
    const cache = await caches.open('scry-static-v1');
    await cache.put(url, new Response('old deploy'));
  }, stale);
  const second = await openPage(context);
  assert.ok((await create(second.page, spec())).info);
  const again = await search(second.page, 'gzip deflate', { mode: 'text', k: 5 });
  assert.deepEqual(again.hits, text.hits);
  assert.deepEqual(second.fetched, ['scry.json'], 'only the entry is asked for again');
  const warm = await second.page.evaluate(() => window.engine.info());
  assert.ok(warm.staticIndex.fromCache >= afterText + 1);
  const cached = await second.page.evaluate(async () =>
    (await (await caches.open('scry-static-v1')).keys()).map((r) => r.url),
  );
  assert.ok(!cached.includes(stale), 'the stale file was pruned');
  assert.ok(
    cached.some((u) => u.includes('/post/')),
    'live chunks stay',
  );
  await context.close();
});

test('local documents are searched with the static index and persist in IndexedDB', async () => {
  const context = await browser.newContext();
  const { page, problems } = await openPage(context);
  const options = spec({ storage: 'indexeddb', name: 'static-local' });
  assert.ok((await create(page, options)).info);
  const mine = {
    id: 'my-notes',
    title: 'My gzip notes',
    body: 'Notes on compressing HTTP responses with gzip and brotli in my own server.',
  };
  await page.evaluate((d) => window.engine.add([d]), mine);
  const dup = await page.evaluate(async () => {
    const hits = await window.engine.search('zlib', { mode: 'text', k: 1 });
    try {
      await window.engine.add([{ id: hits[0].id, title: 'copy', body: 'copy' }]);
      return 'added';
    } catch (e) {
      return e.code;
    }
  });
  assert.equal(dup, 'DUPLICATE_ID');
  // Replacing a document of the static index: the local version wins, also after a reload.
  await page.evaluate(() =>
    window.engine.update([{ id: 'zlib#zlib', title: 'Zlib (annotated)', body: 'Wombat notes.' }]),
  );
  const before = await search(page, 'gzip brotli compression', { k: 10 });
  const ids = before.hits.map((h) => h.id);
  assert.ok(ids.includes('my-notes') && ids.some((id) => id.startsWith('zlib')), ids.join());
  await page.reload();
  await page.waitForSelector('body[data-ready]', { state: 'attached' });
  const { info, message } = await create(page, options);
  assert.ok(info, message);
  assert.equal(info.documents, entry.documents + 1);
  const wombat = await search(page, 'wombat', { mode: 'text', k: 3 });
  assert.deepEqual(
    wombat.hits.map((h) => [h.id, h.title]),
    [['zlib#zlib', 'Zlib (annotated)']],
  );
  const after = await search(page, 'gzip brotli compression', { k: 10 });
  assert.deepEqual(
    after.hits.map((h) => h.id),
    ids,
  );
  assert.deepEqual(problems, []);
  await context.close();
});

test('a damaged chunk or a missing index is a typed error, and the engine recovers', async () => {
  const context = await browser.newContext();
  const { page } = await openPage(context);
  // Every postings chunk arrives with one byte flipped.
  await context.route(`**/${INDEX}post/**`, async (route) => {
    const response = await route.fetch();
    const body = Buffer.from(await response.body());
    body[body.length >> 1] ^= 0x20;
    await route.fulfill({ response, body });
  });
  assert.ok((await create(page, spec({ staticIndex: { url: `/${INDEX}`, cache: false } }))).info);
  const bad = await search(page, 'gzip', { mode: 'text' });
  assert.equal(bad.code, 'CORRUPT_DATA', bad.message);
  assert.match(bad.message, /post\/[0-9a-f]{32}\.bin/);
  // Chunks fetched in parallel may still be in the handler: let it finish them (a plain
  // unroute let them fall through, and the handler's late fulfill then failed the run).
  await context.unrouteAll({ behavior: 'wait' });
  const good = await search(page, 'gzip', { mode: 'text' });
  assert.ok(good.hits?.length > 0, good.message);

  const missing = await create(page, spec({ staticIndex: { url: '/target/no-such-index/' } }));
  assert.equal(missing.code, 'INDEX_FETCH', missing.message);
  const invalid = await create(page, spec({ staticIndex: { url: `/${INDEX}`, prefetch: 1 } }));
  assert.equal(invalid.code, 'INVALID_OPTIONS');
  await context.close();
});
