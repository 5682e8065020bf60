// The demo, served locally, searched in headless Chromium.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { CSP, startServer } from '../../scripts/serve.mjs';
import { DEMO_ROOT, OUTPUT, launch, waitForStaticIndex, watchPage } from './browser.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ root: DEMO_ROOT, port: 0 });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function openDemo(context) {
  const page = await context.newPage();
  const { problems, foreign } = watchPage(page, context, server.url);
  const response = await page.goto(server.url);
  assert.equal(response.headers()['content-security-policy'], CSP);
  await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
  assert.equal(
    await page.getAttribute('body', 'data-ready'),
    'true',
    await page.textContent('#status'),
  );
  return { page, problems, foreign };
}

test('a search shows the expected top result with highlighted words', async () => {
  const context = await browser.newContext();
  const { page, problems, foreign } = await openDemo(context);
  assert.match(await page.textContent('#status'), /\d+ documents .* in a Web Worker/);
  await page.fill('#q', 'gzip compression');
  await page.waitForSelector('#results li');
  const first = page.locator('#results li').first();
  assert.equal(await first.getAttribute('data-id'), 'zlib#class-zlib-gzip');
  assert.equal(await first.locator('.hit-title').textContent(), 'Class: zlib.Gzip');
  // The title's matched word is marked too (`Gzip` of `zlib.Gzip`).
  assert.deepEqual(await first.locator('.hit-title mark').allTextContents(), ['Gzip']);
  const marks = await first.locator('mark').allTextContents();
  assert.ok(marks.length > 0);
  for (const m of marks) assert.match(m.toLowerCase(), /^(gzip|compress\w*)$/);
  // The prebuilt index of the whole Node.js docs, loaded as needed.
  assert.match(
    await page.textContent('#status'),
    /4035 documents .* index [\d.]+ MB, \d+\/\d+ chunks/,
  );
  assert.match(await page.textContent('#status'), /results? in [\d.]+ ms/);
  await page.screenshot({ path: `${OUTPUT}demo-search.png`, fullPage: true });
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, [], 'no request may leave the site');
  await context.close();
});

test('a query with no match empties the list and says so (full-text mode)', async () => {
  const context = await browser.newContext();
  const { page, problems } = await openDemo(context);
  // Vector and hybrid modes always have nearest neighbours; full text can have no match.
  await page.selectOption('#mode', 'text');
  await page.fill('#q', 'stream');
  await page.waitForSelector('#results li');
  await page.fill('#q', 'qwxzzyv');
  await page.waitForFunction(() => document.querySelectorAll('#results li').length === 0);
  assert.match(await page.textContent('#status'), /^0 results in [\d.]+ ms · text ·/);
  assert.deepEqual(problems, []);
  await context.close();
});

/** The suggestion chips of the page (inside `<scry-suggestions>`'s shadow root). */
const CHIPS = '#suggestions [role="toolbar"] button';

test('suggestions appear under the box and a click runs one', async () => {
  const context = await browser.newContext();
  const { page, problems, foreign } = await openDemo(context);
  assert.match(await page.textContent('#status'), /all-MiniLM-L6-v2-int8/);
  await page.fill('#q', 'network');
  await page.waitForSelector(CHIPS);
  const chips = page.locator(CHIPS);
  const count = await chips.count();
  assert.ok(count >= 1 && count <= 4, `${count} chips`);
  const label = await chips.first().getAttribute('aria-label');
  assert.match(label, /^Search for "network \S.*", \d+ results?$/);
  const suggested = label.match(/"(.*)"/)[1];
  assert.ok(Number(await page.getAttribute('#suggestions', 'data-ms')) > 0);
  await page.screenshot({ path: `${OUTPUT}demo-suggestions.png`, fullPage: true });
  await chips.first().click();
  assert.equal(await page.inputValue('#q'), suggested);
  await page.waitForFunction(
    (q) =>
      document.querySelector('#status')?.textContent?.includes('result') &&
      document.querySelector('#q')?.value === q,
    suggested,
  );
  assert.ok((await page.locator('#results li').count()) > 0);
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, [], 'no request may leave the site');
  await context.close();
});

test('the image collection shows thumbnails and its own suggestions', async () => {
  const context = await browser.newContext();
  const { page, problems, foreign } = await openDemo(context);
  await page.selectOption('#collection', 'images');
  await page.fill('#q', 'photo');
  await page.waitForSelector('#results li.with-image img.hit-image');
  await page.waitForFunction(() =>
    [...document.querySelectorAll('#results img.hit-image')].every(
      (img) => img.complete && img.naturalWidth > 0,
    ),
  );
  const ids = await page.locator('#results li').evaluateAll((l) => l.map((li) => li.dataset.id));
  const collection = JSON.parse(
    readFileSync(new URL('../fixtures/images/collection.json', import.meta.url), 'utf8'),
  );
  const known = new Set(collection.documents.map((d) => d.id));
  assert.ok(ids.length > 0 && ids.every((id) => known.has(id)), ids.join(','));
  assert.match(
    await page.textContent('#status'),
    /^\d+ results? in [\d.]+ ms · hybrid · 30 documents/,
  );
  await page.waitForSelector(CHIPS);
  assert.ok((await page.locator(`${CHIPS} img`).count()) > 0, 'chips show thumbnails');
  await page.screenshot({ path: `${OUTPUT}demo-images.png`, fullPage: true });
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, [], 'no request may leave the site');
  await context.close();
});

test('dropped files are indexed in the browser, shown inert, and kept after a reload', async () => {
  const context = await browser.newContext();
  const { page, problems, foreign } = await openDemo(context);
  const hostile =
    '# Quokka handbook\n\nThe quokka <script>window.__pwned = 1</script> lives on ' +
    'Rottnest <img src=x onerror="window.__pwned = 2"> island and smiles.\n';
  await page.setInputFiles('#files', [
    { name: 'quokka.md', mimeType: 'text/markdown', buffer: Buffer.from(hostile) },
    { name: 'data.bin', mimeType: 'application/octet-stream', buffer: Buffer.from([0, 1, 2]) },
  ]);
  await page.waitForSelector('body[data-dropped="1"]');
  assert.match(await page.textContent('#status'), /Added 1 file .*skipped: data\.bin/);
  const check = async () => {
    await page.fill('#q', 'quokka rottnest');
    await page.waitForSelector('#results li[data-id^="dropped:quokka.md"]');
    const first = page.locator('#results li').first();
    assert.equal(await first.locator('.hit-title').textContent(), 'Quokka handbook');
    const snippet = await first.locator('.hit-snippet').textContent();
    assert.match(snippet, /<script>|<img src=x onerror=/);
    assert.equal(await page.locator('#results script, #results img').count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
  };
  await check();
  await page.screenshot({ path: `${OUTPUT}demo-dropped.png`, fullPage: true });
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  await check();
  assert.deepEqual(problems, []);
  assert.deepEqual(foreign, [], 'no request may leave the site');
  await context.close();
});

test('after the first visit the demo works offline', async () => {
  const context = await browser.newContext();
  const { page, problems, foreign } = await openDemo(context);
  await page.evaluate(() => navigator.serviceWorker.ready);
  // The whole static index arrives in the background (prefetch); the status line counts it.
  await waitForStaticIndex(page, { tries: 120 });
  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
  assert.equal(
    await page.getAttribute('body', 'data-ready'),
    'true',
    await page.textContent('#status'),
  );
  for (const [query, want] of [
    ['read a file line by line', 'readline#example-read-file-stream-line-by-line'],
    ['gzip compression', 'zlib#class-zlib-gzip'],
  ]) {
    await page.fill('#q', query);
    await page.waitForSelector(`#results li[data-id="${want}"]`);
  }
  await page.selectOption('#collection', 'images');
  await page.fill('#q', 'cat');
  await page.waitForSelector('#results li.with-image');
  await page.screenshot({ path: `${OUTPUT}demo-offline.png`, fullPage: true });
  await context.setOffline(false);
  assert.deepEqual(
    problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch/.test(p)),
    [],
  );
  assert.deepEqual(foreign, [], 'no request may leave the site');
  await context.close();
});
