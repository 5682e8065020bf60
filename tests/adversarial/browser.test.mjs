// The adversarial suite in headless Chromium: each case of cases.mjs runs in a page of the
// repository (served with scry's strict CSP) against the built package, its engine in a Web
// Worker and stored indexes in IndexedDB. A failed case gets a fresh page, so one engine left
// broken cannot fail the next.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startServer } from '../../scripts/serve.mjs';
import { launch } from '../e2e/browser.mjs';
import { ROOT, prepareFixtures, staticCopy } from './fixtures.mjs';

let server;
let browser;
let context;
let page;
const pageErrors = [];

async function openPage() {
  await page?.close();
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.exposeFunction('adversarialStatic', (text, options) =>
    staticCopy(() => text, options),
  );
  await page.goto(`${server.url}tests/adversarial/page.html`);
  await page.waitForSelector('body[data-ready]', { state: 'attached' });
}

before(async () => {
  prepareFixtures();
  server = await startServer({ root: ROOT, port: 0 });
  browser = await launch();
  context = await browser.newContext();
  await openPage();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// The names are listed by a page of their own (the cases module is the page's).
const names = await (async () => {
  const { CASES } = await import('./cases.mjs');
  return CASES.filter((c) => !c.env || c.env === 'browser').map((c) => `${c.category} — ${c.name}`);
})();

for (const name of names) {
  test(name, async () => {
    const result = await page.evaluate((n) => window.runCase(n), name);
    if (!result.ok) await openPage();
    assert.ok(result.ok, result.error);
    assert.deepEqual(pageErrors.splice(0), [], 'errors on the page');
  });
}
