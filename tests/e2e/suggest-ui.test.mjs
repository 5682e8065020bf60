// The suggestion UI (scry-ui) against the real built package in a real browser, under
// the strict CSP of scripts/serve.mjs: search as you type, highlighted snippets, escaping of
// hostile documents, "Maybe you are looking for…" chips (mouse and keyboard), stale answers,
// themeing, and an image collection with thumbnails. Serves the repository root: the packages
// from web/packages/*/dist, the model from models/cache, the collections from tests/fixtures.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { startServer } from '../../scripts/serve.mjs';
import { OUTPUT, launch, watchPage } from './browser.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
/** Queries tried in turn until one gets suggestions (which ones do depends on the engine). */
const TEXT_QUERIES = ['network', 'stream', 'data', 'process', 'module'];
const IMAGE_QUERIES = ['photo', 'space', 'animal', 'texture', 'a close-up picture'];
const IMAGES = JSON.parse(
  readFileSync(new URL('../fixtures/images/collection.json', import.meta.url), 'utf8'),
).documents;

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

/**
 * Opens a test page with CSP violations, console errors and page errors recorded; resolves
 * once its engine holds the collection.
 */
async function openPage(name) {
  const context = await browser.newContext({ viewport: { width: 900, height: 1100 } });
  const page = await context.newPage();
  const { problems } = watchPage(page, context);
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  await page.goto(`${server.url}tests/e2e/pages/${name}.html`);
  await page.waitForSelector('body[data-ready], body[data-error]', {
    state: 'attached',
    timeout: 180_000,
  });
  const error = await page.evaluate(() => document.body.dataset.error);
  assert.equal(error, undefined, `the page failed to start: ${error}`);
  return { context, page, problems };
}

/** No CSP violation, console error or uncaught exception so far. */
async function assertClean(page, problems) {
  assert.deepEqual(await page.evaluate(() => window.__csp), [], 'CSP violations');
  assert.deepEqual(problems, [], 'console errors / page errors');
}

/** Events of `type` recorded by the page (tests/e2e/pages/suggest-ui-page.js). */
function events(page, type) {
  return page.evaluate((type) => window.__events.filter((e) => e.type === type), type);
}

/** Waits for the `type` event for `query` after event number `from`; returns it. */
async function waitForEvent(page, type, query, from = 0, timeout = 60_000) {
  const handle = await page.waitForFunction(
    ([type, query, from]) =>
      window.__events
        .slice(from)
        .find((e) => (e.type === type && e.query === query) || e.type === 'scry-error'),
    [type, query, from],
    { timeout },
  );
  const event = await handle.jsonValue();
  assert.notEqual(event.type, 'scry-error', `scry-error: ${JSON.stringify(event)}`);
  return event;
}

/** Types `query` into the box (replacing its text); resolves to its `scry-search` event. */
async function typeQuery(page, query) {
  const from = await page.evaluate(() => window.__events.length);
  const box = page.getByRole('searchbox', { name: 'Search' });
  await box.fill('');
  await box.pressSequentially(query, { delay: 10 });
  return waitForEvent(page, 'scry-search', query, from);
}

/** Types the candidate queries in turn until one gets suggestions; returns that event. */
async function findSuggestions(page, queries) {
  const tried = [];
  for (const query of queries) {
    const from = await page.evaluate(() => window.__events.length);
    await typeQuery(page, query);
    const event = await waitForEvent(page, 'scry-suggest', query, from);
    if (event.suggestions.length > 0) return event;
    tried.push(query);
  }
  assert.fail(`no suggestions for any of ${JSON.stringify(tried)}`);
}

/** A description of the focused element, through shadow roots. */
function focused(page) {
  return page.evaluate(() => {
    let a = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
    return {
      part: a?.getAttribute('part') ?? null,
      label: a?.getAttribute('aria-label') ?? null,
      index: a?.dataset?.index ?? null,
    };
  });
}

/** The chips' tabindex values, in order. */
function tabIndexes(page) {
  return page
    .locator('scry-search')
    .locator('[part~="chip"]')
    .evaluateAll((chips) => chips.map((c) => c.tabIndex));
}

const chipName = (query, n) => `Search for "${query}", ${n} ${n === 1 ? 'result' : 'results'}`;

describe('text collection', () => {
  let page;
  let problems;
  let context;

  before(async () => {
    ({ page, problems, context } = await openPage('suggest-ui-text'));
  });

  after(async () => {
    await context?.close();
  });

  test('searches as you type, renders highlighted snippets, styles apply under the CSP', async () => {
    const widget = page.locator('scry-search');
    // Accessible structure.
    await page.getByRole('search').waitFor();
    const box = page.getByRole('searchbox', { name: 'Search' });
    assert.equal(await box.getAttribute('placeholder'), 'Search the Node.js docs…');
    const status = widget.locator('[part~="status"]');
    assert.equal(await status.getAttribute('role'), 'status');
    assert.equal(await status.getAttribute('aria-live'), 'polite');

    const event = await typeQuery(page, 'stream');
    assert.ok(event.ids.length > 0 && event.ids.length <= 10, JSON.stringify(event));
    assert.equal(event.ids[0], 'stream', JSON.stringify(event.ids));
    const hits = page.getByRole('list', { name: 'Results' }).getByRole('listitem');
    assert.equal(await hits.count(), event.ids.length);
    assert.equal(await hits.first().getAttribute('data-id'), 'stream');
    assert.match(await status.textContent(), /^\d+ results?$/);
    // The status counts every result (engine.query's total); "Show more results" appends the
    // next page and moves focus to its first result, and goes away once all are shown.
    const total = Number((await status.textContent()).match(/^\d+/)[0]);
    assert.ok(total > event.ids.length, `total ${total}, shown ${event.ids.length}`);
    const more = page.getByRole('button', { name: 'Show more results' });
    await more.click();
    await page.waitForFunction((n) => document.querySelector('scry-search').hits.length > n, 10);
    assert.equal(await hits.count(), Math.min(20, total));
    assert.deepEqual(await focused(page), { part: 'hit-title', label: null, index: '10' });
    for (let n = await hits.count(); n < total; n = await hits.count()) {
      await more.click();
      await page.waitForFunction((n) => document.querySelector('scry-search').hits.length > n, n);
    }
    assert.equal(await hits.count(), total);
    assert.equal(await more.isVisible(), false);
    const shown = await hits.evaluateAll((items) => items.map((i) => i.dataset.id));
    assert.equal(new Set(shown).size, total, 'no result twice');
    assert.deepEqual(shown.slice(0, event.ids.length), event.ids);
    // Highlights are <mark> elements around the query's word.
    const marks = await widget.locator('[part~="hit"] mark').allTextContents();
    assert.ok(marks.length > 0, 'highlighted words');
    assert.ok(
      marks.every((m) => /stream/i.test(m)),
      `marks: ${JSON.stringify(marks)}`,
    );
    // In titles too: the first hit's title is the matched word itself.
    assert.deepEqual(await hits.first().locator('[part~="hit-title"] mark').allTextContents(), [
      (await hits.first().locator('[part~="hit-title"]').textContent()).trim(),
    ]);

    // The constructable stylesheets apply (no <style> element, no style attribute).
    const style = await widget.evaluate((el) => {
      const input = el.shadowRoot.querySelector('[part~="input"]');
      const title = el.shadowRoot.querySelector('[part~="hit-title"]');
      return {
        sheets: el.shadowRoot.adoptedStyleSheets.length,
        styleElements: el.shadowRoot.querySelectorAll('style, [style]').length,
        radius: getComputedStyle(input).borderTopLeftRadius,
        titleColor: getComputedStyle(title).color,
        markBg: getComputedStyle(el.shadowRoot.querySelector('mark')).backgroundColor,
        listStyle: getComputedStyle(el.shadowRoot.querySelector('[part~="results"]')).listStyleType,
      };
    });
    assert.equal(style.sheets, 1);
    assert.equal(style.styleElements, 0);
    assert.equal(style.radius, '10px');
    assert.equal(style.titleColor, 'rgb(79, 70, 229)');
    assert.equal(style.markBg, 'rgb(255, 241, 168)');
    assert.equal(style.listStyle, 'none');

    // Themeable through custom properties and ::part().
    await widget.evaluate((el) => el.classList.add('themed'));
    const themed = await widget.evaluate((el) => ({
      titleColor: getComputedStyle(el.shadowRoot.querySelector('[part~="hit-title"]')).color,
      transform: getComputedStyle(el.shadowRoot.querySelector('[part~="status"]')).textTransform,
    }));
    await widget.evaluate((el) => el.classList.remove('themed'));
    assert.deepEqual(themed, { titleColor: 'rgb(200, 0, 0)', transform: 'uppercase' });

    // Activating a result dispatches scry-select (cancelable: the page may take over).
    await widget.evaluate((el) =>
      el.addEventListener('scry-select', (e) => e.preventDefault(), { once: true }),
    );
    await widget.locator('[part~="hit-title"]').first().click();
    assert.deepEqual((await events(page, 'scry-select')).at(-1), {
      type: 'scry-select',
      id: 'stream',
    });
    assert.equal(new URL(page.url()).pathname, '/tests/e2e/pages/suggest-ui-text.html');

    await page.screenshot({ path: `${OUTPUT}suggest-ui-text-results.png`, fullPage: true });
    await assertClean(page, problems);
  });

  test('hostile document text renders as literal text', async () => {
    const widget = page.locator('scry-search');
    const remote = [];
    context.on('request', (r) => r.url().includes('tracker.example') && remote.push(r.url()));
    const event = await typeQuery(page, 'hostile markup escaping probe');
    assert.equal(event.ids[0], 'hostile-probe', JSON.stringify(event.ids));
    const hit = widget.locator('[part~="hit"][data-id="hostile-probe"]');
    const rendered = await hit.evaluate((li) => ({
      title: li.querySelector('[part~="hit-title"]').textContent,
      tag: li.querySelector('[part~="hit-title"]').localName,
      href: li.querySelector('[part~="hit-title"]').getAttribute('href'),
      snippet: li.querySelector('[part~="hit-snippet"]').textContent,
      elements: [...li.querySelectorAll('*')].map((e) => e.localName),
    }));
    assert.equal(rendered.title, 'Escaping probe <img src=x onerror="window.__pwned=1">');
    assert.match(rendered.snippet, /<script>window\.__pwned=1<\/script>/);
    assert.match(rendered.snippet, /<b>not bold<\/b> &amp; <i>not italic/);
    // No element came from the data; the javascript: URL did not become a link.
    assert.deepEqual(
      rendered.elements.filter((t) => !['div', 'button', 'p', 'mark'].includes(t)),
      [],
    );
    assert.equal(rendered.tag, 'button');
    assert.equal(rendered.href, null);
    await hit.locator('[part~="hit-title"]').click();
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    assert.equal(
      await widget.evaluate((el) => el.shadowRoot.querySelectorAll('img, script, b, i').length),
      0,
    );
    assert.deepEqual(remote, [], 'no request for a remote thumbnail');
    await page.screenshot({ path: `${OUTPUT}suggest-ui-text-escaping.png`, fullPage: true });
    await assertClean(page, problems);
  });

  test('stale answers are ignored and typing is debounced', async () => {
    const widget = page.locator('scry-search');
    // Two searches back to back: the first is aborted, only the second is shown.
    const from = await page.evaluate(() => window.__events.length);
    await widget.evaluate((el) => Promise.all([el.search('http'), el.search('zlib')]));
    const later = (await page.evaluate(() => window.__events)).slice(from);
    const searches = later.filter((e) => e.type === 'scry-search');
    assert.deepEqual(
      searches.map((e) => e.query),
      ['zlib'],
    );
    assert.equal(searches[0].ids[0], 'zlib');
    assert.ok(!later.some((e) => e.type === 'scry-error'), JSON.stringify(later));
    assert.equal(await widget.locator('[part~="hit"]').first().getAttribute('data-id'), 'zlib');
    assert.equal(await page.getByRole('searchbox').inputValue(), 'zlib');

    // Typing calls the engine once after the pause (a pass-through spy around the real engine).
    await widget.evaluate((el) => {
      el.clear();
      el.debounce = 400;
      window.__calls = [];
      const engine = window.engine;
      el.engine = {
        search: (q, o) => (window.__calls.push(q), engine.search(q, o)),
        suggest: engine.suggest ? (q, o) => engine.suggest(q, o) : undefined,
      };
    });
    const typed = await typeQuery(page, 'buffer');
    assert.equal(typed.ids[0], 'buffer');
    const calls = await page.evaluate(() => window.__calls);
    assert.deepEqual(calls, ['buffer'], `engine calls: ${JSON.stringify(calls)}`);
    await widget.evaluate((el) => {
      el.debounce = 150;
      el.engine = window.engine;
    });
    await assertClean(page, problems);
  });

  test('suggestion chips: names, previews, mouse and keyboard', async () => {
    assert.equal(
      await page.evaluate(() => typeof window.engine.suggest),
      'function',
      'web/packages/scry/dist has no Engine.suggest yet: rebuild the package',
    );
    const widget = page.locator('scry-search');
    const event = await findSuggestions(page, TEXT_QUERIES);
    const toolbar = page.getByRole('toolbar', { name: 'Maybe you are looking for' });
    await toolbar.waitFor();
    assert.equal(
      await widget.locator('[part~="label"]').textContent(),
      'Maybe you are looking for…',
    );
    const chips = toolbar.getByRole('button');
    assert.equal(await chips.count(), event.suggestions.length);
    assert.ok(event.suggestions.length <= 4, 'max-suggestions defaults to 4');
    const titles = new Map(await page.evaluate(() => window.documents.map((d) => [d.id, d.title])));
    for (const [i, s] of event.suggestions.entries()) {
      const chip = chips.nth(i);
      assert.ok(s.query.startsWith(event.query), `${s.query} refines ${event.query}`);
      assert.equal(await chip.getAttribute('aria-label'), chipName(s.query, s.items.length));
      // The accessible name as the browser computes it.
      await page
        .getByRole('button', { name: chipName(s.query, s.items.length), exact: true })
        .waitFor();
      // The added words are emphasised, the rest of the query muted.
      assert.deepEqual(
        await chip.locator('[part~="chip-added"]').allTextContents(),
        s.added.flatMap((a) => a.split(/\s+/)),
      );
      assert.equal((await chip.locator('[part~="chip-query"]').textContent()).trim(), s.query);
      // Two or three titles of the group preview it (text collection: no thumbnails).
      const previews = await chip.locator('[part~="chip-title"]').allTextContents();
      assert.deepEqual(
        previews,
        s.items.slice(0, 3).map((item) => item.title),
      );
      for (const item of s.items) assert.equal(item.title, titles.get(item.id));
      assert.equal(await chip.locator('img').count(), 0);
      assert.equal(
        await chip.locator('[part~="chip-count"]').textContent(),
        String(s.items.length),
      );
      assert.match(
        await chip.evaluate(
          (c) => c.getRootNode().getElementById(c.getAttribute('aria-describedby')).textContent,
        ),
        /^Includes /,
      );
    }
    // Pills.
    assert.equal(
      await chips.first().evaluate((c) => getComputedStyle(c).borderTopLeftRadius),
      '999px',
    );
    await page.screenshot({ path: `${OUTPUT}suggest-ui-text.png`, fullPage: true });

    // Mouse: the chip's query goes into the box and is searched.
    const first = event.suggestions[0];
    let from = await page.evaluate(() => window.__events.length);
    await chips.first().click();
    await waitForEvent(page, 'scry-search', first.query, from);
    assert.equal(await page.getByRole('searchbox').inputValue(), first.query);
    assert.deepEqual((await events(page, 'scry-suggestion')).at(-1), {
      type: 'scry-suggestion',
      query: first.query,
    });
    assert.ok((await widget.locator('[part~="hit"]').count()) > 0);

    // Keyboard: ↓ from the box to the chips, ←/→/Home/End between them (roving tabindex),
    // Escape back to the box, Enter runs the focused chip.
    const again = await findSuggestions(page, [event.query]);
    const n = again.suggestions.length;
    const box = page.getByRole('searchbox', { name: 'Search' });
    await box.focus();
    await page.keyboard.press('ArrowDown');
    assert.deepEqual(await focused(page), {
      part: 'chip',
      label: chipName(again.suggestions[0].query, again.suggestions[0].items.length),
      index: '0',
    });
    assert.deepEqual(await tabIndexes(page), [0, ...Array(n - 1).fill(-1)]);
    await page.keyboard.press('ArrowRight');
    assert.equal((await focused(page)).index, String(1 % n));
    await page.keyboard.press('ArrowLeft');
    assert.equal((await focused(page)).index, '0');
    await page.keyboard.press('End');
    const last = n - 1;
    assert.equal((await focused(page)).index, String(last));
    assert.deepEqual(
      await tabIndexes(page),
      Array.from({ length: n }, (_, i) => (i === last ? 0 : -1)),
    );
    await page.keyboard.press('Escape');
    assert.equal((await focused(page)).part, 'input');
    await page.keyboard.press('ArrowDown');
    assert.equal((await focused(page)).index, String(last), 'the chip row remembers its chip');
    from = await page.evaluate(() => window.__events.length);
    await page.keyboard.press('Enter');
    const chosen = again.suggestions[last];
    await waitForEvent(page, 'scry-search', chosen.query, from);
    assert.equal(await box.inputValue(), chosen.query);
    await waitForEvent(page, 'scry-suggest', chosen.query, from);
    assert.equal((await focused(page)).part, 'input');
    // ↓ from the chips (or the box, without chips) reaches the results.
    await page.keyboard.press('ArrowDown');
    if ((await focused(page)).part === 'chip') await page.keyboard.press('ArrowDown');
    assert.equal((await focused(page)).part, 'hit-title');
    await assertClean(page, problems);
  });

  test('every label in the language of lang, and translations with plural forms', async () => {
    const widget = page.locator('scry-search');
    const status = widget.locator('[part~="status"]');
    const search = (q) => widget.evaluate((w, q) => w.search(q), q);
    // French, built in: the element's lang (or an ancestor's; the page's is English).
    await widget.evaluate((w) => w.setAttribute('lang', 'fr'));
    await search('stream');
    assert.match(await status.textContent(), /^\d+ résultats?$/);
    await page.getByRole('searchbox', { name: 'Rechercher' }).waitFor();
    await page.getByRole('list', { name: 'Résultats' }).waitFor();
    await page.getByRole('button', { name: 'Afficher plus de résultats' }).waitFor();
    // The placeholder attribute wins over the translation.
    assert.equal(
      await page.getByRole('searchbox').getAttribute('placeholder'),
      'Search the Node.js docs…',
    );
    // `search()` resolves once results and suggestions are shown.
    let shown = [];
    for (const q of TEXT_QUERIES) {
      await search(q);
      shown = await widget.evaluate((w) => w.suggestions);
      if (shown.length > 0) break;
    }
    assert.ok(shown.length > 0, 'suggestions for one of the queries');
    assert.equal(await widget.locator('[part~="label"]').textContent(), 'Vous cherchez peut-être…');
    const s = shown[0];
    const n = s.items.length;
    assert.equal(
      await widget.locator('[part~="chip"]').first().getAttribute('aria-label'),
      `Rechercher « ${s.query} », ${n} ${n === 1 ? 'résultat' : 'résultats'}`,
    );
    await page.screenshot({ path: `${OUTPUT}suggest-ui-fr.png` });
    // Words only: a vector search always finds something.
    await widget.evaluate((w) => w.setAttribute('mode', 'text'));
    await search('zzqqxxnothing');
    assert.equal(await status.textContent(), 'Aucun résultat pour « zzqqxxnothing »');
    // An app's own strings, here Polish, whose counts have three forms; through an engine
    // with `search` only, whose one page the status counts (and no "more" button).
    await widget.evaluate((w) => {
      const full = w.engine;
      w.__full = full;
      w.engine = { search: (q, o) => full.search(q, o), suggest: (q, o) => full.suggest(q, o) };
      w.setAttribute('lang', 'pl');
      w.translations = {
        results: { one: '{count} wynik', few: '{count} wyniki', many: '{count} wyników' },
      };
    });
    for (const [k, text] of [
      [1, '1 wynik'],
      [2, '2 wyniki'],
      [5, '5 wyników'],
    ]) {
      await widget.evaluate((w, k) => w.setAttribute('k', String(k)), k);
      await search('stream');
      assert.equal(await status.textContent(), text);
      assert.equal(await widget.locator('[part~="more"]').isVisible(), false);
    }
    // Back to English.
    await widget.evaluate((w) => {
      w.engine = w.__full;
      w.removeAttribute('lang');
      w.removeAttribute('k');
      w.removeAttribute('mode');
      w.translations = null;
    });
    await search('stream');
    assert.match(await status.textContent(), /^\d+ results?$/);
    await page.getByRole('searchbox', { name: 'Search' }).waitFor();
    await page.screenshot({ path: `${OUTPUT}suggest-ui-en.png` });
    await assertClean(page, problems);
  });
});

describe('image collection', () => {
  let page;
  let problems;
  let context;

  before(async () => {
    ({ page, problems, context } = await openPage('suggest-ui-image'));
  });

  after(async () => {
    await context?.close();
  });

  test('results show thumbnails of the images', async () => {
    const widget = page.locator('scry-search');
    const event = await typeQuery(page, 'animal');
    const animals = ['cat', 'cat-eyes', 'horse'];
    assert.ok(
      animals.every((id) => event.ids.slice(0, 5).includes(id)),
      `animals first: ${JSON.stringify(event.ids)}`,
    );
    const images = new Map(IMAGES.map((d) => [d.id, d.metadata.image]));
    // Thumbnails come from the hits' `image` (the documents' metadata.image) and load.
    assert.deepEqual(
      await widget.evaluate((el) => el.hits.map((h) => h.image)),
      event.ids.map((id) => images.get(id)),
      "the hits' image is their document's metadata.image (web/packages/scry/dist may predate it)",
    );
    await page.waitForFunction(
      () => {
        const root = document.querySelector('scry-search').shadowRoot;
        const imgs = [...root.querySelectorAll('[part~="hit-image"]')].slice(0, 4);
        return imgs.length === 4 && imgs.every((i) => i.complete && i.naturalWidth > 0);
      },
      null,
      { timeout: 20_000 },
    );
    const shown = await widget
      .locator('[part~="hit"]')
      .evaluateAll((lis) =>
        lis.map((li) => [li.dataset.id, new URL(li.querySelector('img').src).pathname]),
      );
    for (const [id, src] of shown) assert.equal(src, images.get(id));
    assert.equal(await widget.locator('[part~="hit-image"]').first().getAttribute('alt'), '');
    await page.screenshot({ path: `${OUTPUT}suggest-ui-image-results.png`, fullPage: true });
    await assertClean(page, problems);
  });

  test('suggestion chips show a stack of thumbnails', async () => {
    assert.equal(
      await page.evaluate(() => typeof window.engine.suggest),
      'function',
      'web/packages/scry/dist has no Engine.suggest yet: rebuild the package',
    );
    const widget = page.locator('scry-search');
    const event = await findSuggestions(page, IMAGE_QUERIES);
    const chips = page
      .getByRole('toolbar', { name: 'Maybe you are looking for' })
      .getByRole('button');
    assert.equal(await chips.count(), event.suggestions.length);
    const images = new Map(IMAGES.map((d) => [d.id, d.metadata.image]));
    await page.waitForFunction(
      () => {
        const row = document
          .querySelector('scry-search')
          .shadowRoot.querySelector('scry-suggestions');
        const imgs = [...row.shadowRoot.querySelectorAll('img')];
        return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
      },
      null,
      { timeout: 20_000 },
    );
    for (const [i, s] of event.suggestions.entries()) {
      const chip = chips.nth(i);
      assert.equal(await chip.getAttribute('aria-label'), chipName(s.query, s.items.length));
      const thumbs = await chip
        .locator('[part~="chip-thumb"]')
        .evaluateAll((imgs) => imgs.map((img) => new URL(img.src).pathname));
      assert.deepEqual(
        thumbs,
        s.items.slice(0, 3).map((item) => images.get(item.id)),
      );
      for (const item of s.items) assert.equal(item.image, images.get(item.id));
      // With thumbnails the titles are not repeated in the chip.
      assert.equal(await chip.locator('[part~="chip-title"]').count(), 0);
    }
    await page.screenshot({ path: `${OUTPUT}suggest-ui-image.png`, fullPage: true });

    const from = await page.evaluate(() => window.__events.length);
    await chips.first().click();
    await waitForEvent(page, 'scry-search', event.suggestions[0].query, from);
    assert.equal(await page.getByRole('searchbox').inputValue(), event.suggestions[0].query);
    await assertClean(page, problems);
  });
});
