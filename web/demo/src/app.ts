// The demo page: two built-in collections (the Node.js API docs and captioned images), each in
// its own scry engine (in a Web Worker, with the all-MiniLM-L6-v2 model for hybrid search),
// searched as you type, with "Maybe you are looking for…" suggestions under the box.
// Every piece of document text is inserted as a text node: nothing user-provided becomes HTML.

import {
  createEngine,
  isScryError,
  type Engine,
  type Hit,
  type SearchMode,
  type Document,
} from './scry/index.js';
import {
  safeImage,
  snippetNodes,
  type ScrySuggestionsElement,
  type SuggestionEventDetail,
} from './suggest-ui/index.js';

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

const input = byId<HTMLInputElement>('q');
const statusLine = byId<HTMLParagraphElement>('status');
const results = byId<HTMLOListElement>('results');
const collectionSelect = byId<HTMLSelectElement>('collection');
const modeSelect = byId<HTMLSelectElement>('mode');
const suggestions = byId<ScrySuggestionsElement>('suggestions');

/** The built-in collections. */
const COLLECTIONS = {
  node: {
    url: 'collections/node-docs-sample.json',
    placeholder: 'Search the Node.js API docs…',
  },
  images: {
    url: 'collections/images/collection.json',
    placeholder: 'Search the images by what they show…',
  },
} as const;
type CollectionName = keyof typeof COLLECTIONS;

const MODEL_URL = 'models/all-MiniLM-L6-v2-int8/';

interface Loaded {
  engine: Engine;
  ready: string;
}

const engines = new Map<CollectionName, Promise<Loaded>>();

function setStatus(text: string): void {
  statusLine.textContent = text;
}

function describe(e: unknown): string {
  return isScryError(e) ? `${e.code}: ${e.message}` : String(e);
}

/** The collection's engine, created (model loaded, documents embedded) on first use. */
function engineFor(name: CollectionName): Promise<Loaded> {
  let loaded = engines.get(name);
  if (!loaded) {
    loaded = (async () => {
      const t0 = performance.now();
      const engine = await createEngine({
        name: `demo-${name}`,
        model: { url: MODEL_URL },
        onProgress: ({ loaded: got, total, fromCache }) => {
          if (fromCache) return;
          setStatus(`Loading the model: ${Math.round((100 * got) / Math.max(total, 1))} %`);
        },
      });
      const response = await fetch(COLLECTIONS[name].url);
      if (!response.ok) throw new Error(`collection: HTTP ${response.status}`);
      const collection = (await response.json()) as { documents: Document[] };
      setStatus(`Indexing ${collection.documents.length} documents…`);
      await engine.add(collection.documents);
      const info = await engine.info();
      const where = info.worker ? 'in a Web Worker' : 'on the page thread';
      const ready =
        `${info.documents} documents · ${info.model ?? 'no model'} · ` +
        `scored on the CPU (wasm SIMD) ${where}`;
      return { engine, ready: `${ready} · ready in ${Math.round(performance.now() - t0)} ms` };
    })();
    engines.set(name, loaded);
    loaded.catch(() => engines.delete(name));
  }
  return loaded;
}

function render(hits: Hit[]): void {
  results.replaceChildren(
    ...hits.map((hit) => {
      const li = document.createElement('li');
      li.dataset['id'] = hit.id;
      const image = safeImage(hit.image);
      if (image) {
        const img = document.createElement('img');
        img.className = 'hit-image';
        img.src = image;
        img.alt = '';
        img.loading = 'lazy';
        li.append(img);
        li.classList.add('with-image');
      }
      const text = document.createElement('div');
      const title = document.createElement('div');
      title.className = 'hit-title';
      title.textContent = hit.title || hit.id;
      const meta = document.createElement('div');
      meta.className = 'hit-meta';
      meta.textContent = `${hit.url ?? hit.id} · score ${hit.score.toFixed(3)}`;
      const snippet = document.createElement('p');
      snippet.className = 'hit-snippet';
      snippet.append(...snippetNodes(hit.snippet));
      text.append(title, meta, snippet);
      li.append(text);
      return li;
    }),
  );
}

function currentCollection(): CollectionName {
  return collectionSelect.value === 'images' ? 'images' : 'node';
}

function currentMode(): SearchMode {
  const m = modeSelect.value;
  return m === 'text' || m === 'vector' ? m : 'hybrid';
}

let current: AbortController | undefined;

async function run(): Promise<void> {
  const query = input.value;
  current?.abort();
  const ctl = new AbortController();
  current = ctl;
  let loaded: Loaded;
  try {
    loaded = await engineFor(currentCollection());
  } catch (e) {
    setStatus(`Could not start: ${describe(e)}`);
    return;
  }
  if (ctl.signal.aborted) return;
  const { engine, ready } = loaded;
  if (!query.trim()) {
    results.replaceChildren();
    suggestions.suggestions = [];
    setStatus(ready);
    return;
  }
  const mode = currentMode();
  const start = performance.now();
  try {
    const hits = await engine.search(query, { k: 10, mode, signal: ctl.signal });
    render(hits);
    const ms = (performance.now() - start).toFixed(1);
    setStatus(
      `${hits.length} result${hits.length === 1 ? '' : 's'} in ${ms} ms · ${mode} · ${ready}`,
    );
    suggestions.busy = true;
    const t = performance.now();
    const found = await engine.suggest(query, { max: 4, signal: ctl.signal });
    suggestions.dataset['ms'] = (performance.now() - t).toFixed(1);
    suggestions.suggestions = found;
  } catch (e) {
    if (isScryError(e) && e.code === 'ABORTED') return;
    setStatus(describe(e));
  } finally {
    if (current === ctl) suggestions.busy = false;
  }
}

function showCollection(): void {
  const name = currentCollection();
  input.placeholder = COLLECTIONS[name].placeholder;
  document.body.dataset['collection'] = name;
  void run();
}

async function main(): Promise<void> {
  setStatus('Loading the model and the Node.js docs…');
  const { ready } = await engineFor('node');
  setStatus(ready);
  for (const el of [input, collectionSelect, modeSelect]) el.disabled = false;
  input.focus();
  document.body.dataset['ready'] = 'true';

  input.addEventListener('input', () => void run());
  modeSelect.addEventListener('change', () => void run());
  collectionSelect.addEventListener('change', showCollection);
  suggestions.addEventListener('scry-suggestion', (e) => {
    input.value = (e as CustomEvent<SuggestionEventDetail>).detail.suggestion.query;
    input.focus();
    void run();
  });
  byId<HTMLFormElement>('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void run();
  });
}

main().catch((e: unknown) => {
  setStatus(`Could not start: ${describe(e)}`);
  document.body.dataset['ready'] = 'error';
});
