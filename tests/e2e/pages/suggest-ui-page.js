// Shared set-up of the suggest-ui test pages: the real built package (engine in a worker, the
// all-MiniLM-L6-v2 model from models/cache) and the built UI; records the widget's events in
// window.__events for tests/e2e/suggest-ui.test.mjs.
import { createEngine } from '/web/packages/scry/dist/index.js';
import '/web/packages/suggest-ui/dist/index.js';

/** What each event keeps (plain data, so page.evaluate can return it). */
const SUMMARY = {
  'scry-search': (d) => ({ query: d.query, ids: d.hits.map((h) => h.id), ms: d.ms }),
  'scry-suggest': (d) => ({
    query: d.query,
    ms: d.ms,
    suggestions: d.suggestions.map((s) => ({
      query: s.query,
      added: s.added,
      items: s.items.map((i) => ({ id: i.id, title: i.title, image: i.image ?? null })),
    })),
  }),
  'scry-select': (d) => ({ id: d.hit.id }),
  'scry-suggestion': (d) => ({ query: d.suggestion.query }),
  'scry-error': (d) => ({ phase: d.phase, code: d.error?.code ?? null, message: String(d.error) }),
};

/**
 * Loads `collectionUrl` (`{ documents }`) plus `extra` documents into a new engine and gives it
 * to the page's `<scry-search>`; sets `body[data-ready]` (or `body[data-error]`).
 */
export async function start({ name, collectionUrl, extra = [] }) {
  const widget = document.querySelector('scry-search');
  window.__events = [];
  for (const [type, summary] of Object.entries(SUMMARY)) {
    widget.addEventListener(type, (e) => window.__events.push({ type, ...summary(e.detail) }));
  }
  try {
    const collection = await (await fetch(collectionUrl)).json();
    const engine = await createEngine({
      name,
      model: { url: '/models/cache/all-MiniLM-L6-v2-int8/' },
    });
    await engine.add([...collection.documents, ...extra]);
    window.engine = engine;
    window.documents = [...collection.documents, ...extra];
    widget.engine = engine;
    document.body.dataset.ready = 'true';
  } catch (e) {
    document.body.dataset.error = `${e?.code ?? ''} ${e?.message ?? e}`;
    throw e;
  }
}
