// The demo page: two built-in collections, each in its own scry engine (in a Web Worker, with
// the all-MiniLM-L6-v2 model for hybrid search), searched as you type, with "Maybe you are
// looking for…" suggestions under the box:
// - the Node.js API docs: a static index prebuilt by `scry index` (scripts/build.py), loaded
//   chunk by chunk as queries need them (and all of it in the background, for offline use);
// - captioned images, embedded in the tab when first shown.
// Files dropped on the page are indexed in the browser into the current collection and kept in
// IndexedDB. A service worker (sw.js) keeps the app for offline visits.
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

/** The built-in collections: a static index to attach, or documents to add. */
const COLLECTIONS: Record<
  'node' | 'images',
  { staticIndex?: string; documents?: string; placeholder: string }
> = {
  node: {
    staticIndex: 'collections/node/',
    placeholder: 'Search the Node.js API docs…',
  },
  images: {
    documents: 'collections/images/collection.json',
    placeholder: 'Search the images by what they show…',
  },
};
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

function kilobytes(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.round(bytes / 1e3)} kB`;
}

/** The status line of a ready engine: size, model, backend, and what the static index cost. */
async function describeEngine(engine: Engine): Promise<string> {
  const info = await engine.info();
  const where = info.worker ? 'in a Web Worker' : 'on the page thread';
  const gpu = info.gpu;
  const scored =
    gpu.backend === 'webgpu'
      ? `new documents scored on the GPU (${gpu.adapter ?? 'WebGPU'}), the rest on the CPU`
      : 'scored on the CPU (wasm SIMD)';
  document.body.dataset['gpu'] = gpu.backend;
  const parts = [`${info.documents} documents`, info.model ?? 'no model', `${scored} ${where}`];
  const s = info.staticIndex;
  if (s) {
    document.body.dataset['chunks'] = `${s.chunksLoaded}/${s.chunks}`;
    parts.push(
      `index ${kilobytes(s.bytes)}, ${s.chunksLoaded}/${s.chunks} chunks loaded ` +
        `(${kilobytes(s.bytesFetched)} fetched, ${s.fromCache} from cache)`,
    );
  }
  return parts.join(' · ');
}

/**
 * The collection's engine, created on first use: the model loaded, then the static index
 * attached or the built-in documents embedded. The user's dropped files live in IndexedDB.
 */
function engineFor(name: CollectionName): Promise<Loaded> {
  let loaded = engines.get(name);
  if (!loaded) {
    loaded = (async () => {
      const t0 = performance.now();
      const spec = COLLECTIONS[name];
      const engine = await createEngine({
        name: `demo-${name}`,
        storage: 'indexeddb',
        memoryFallback: true,
        model: { url: MODEL_URL },
        ...(spec.staticIndex ? { staticIndex: { url: spec.staticIndex, prefetch: true } } : {}),
        onProgress: ({ loaded: got, total, fromCache }) => {
          if (fromCache) return;
          setStatus(`Loading the model: ${Math.round((100 * got) / Math.max(total, 1))} %`);
        },
      });
      if (spec.documents) {
        const response = await fetch(spec.documents);
        if (!response.ok) throw new Error(`collection: HTTP ${response.status}`);
        const collection = (await response.json()) as { documents: Document[] };
        setStatus(`Indexing ${collection.documents.length} documents…`);
        try {
          await engine.add(collection.documents);
        } catch (e) {
          // Stored by an earlier visit (adds are all or nothing).
          if (!isScryError(e) || e.code !== 'DUPLICATE_ID') throw e;
        }
      }
      const ms = Math.round(performance.now() - t0);
      return { engine, ready: `ready in ${ms} ms` };
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
      title.append(
        ...(hit.title
          ? snippetNodes({
              text: hit.title,
              highlights: hit.titleHighlights,
              truncatedStart: false,
              truncatedEnd: false,
            })
          : [document.createTextNode(hit.id)]),
      );
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
    const about = await describeEngine(engine);
    if (current === ctl) setStatus(`${about} · ${ready}`);
    return;
  }
  const mode = currentMode();
  const start = performance.now();
  try {
    const hits = await engine.search(query, { k: 10, mode, signal: ctl.signal });
    const ms = (performance.now() - start).toFixed(1);
    const about = await describeEngine(engine);
    // A newer query may have answered meanwhile: show only the latest.
    if (current !== ctl) return;
    render(hits);
    setStatus(
      `${hits.length} result${hits.length === 1 ? '' : 's'} in ${ms} ms · ${mode} · ${about}`,
    );
    suggestions.busy = true;
    const t = performance.now();
    const found = await engine.suggest(query, { max: 4, signal: ctl.signal });
    if (current !== ctl) return;
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

/** Words of a file name, as a title: `my_cat-photo.jpg` → `my cat photo`. */
function titleOf(file: File): string {
  return (
    file.name
      .replace(/\.[^.]*$/, '')
      .replace(/[_\-.]+/g, ' ')
      .trim() || file.name
  );
}

/** A small JPEG data URL of an image file (what an image result shows, kept in IndexedDB). */
async function thumbnailOf(file: File): Promise<string> {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, 160 / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return canvas.toDataURL('image/jpeg', 0.8);
}

/**
 * One document per dropped file. Text (Markdown, plain text, HTML as text) goes in as written;
 * an image is indexed by its file name (this demo has no image encoder with trained weights),
 * with a thumbnail. Files that cannot be read are reported, the others still indexed.
 */
async function documentsOf(
  files: readonly File[],
): Promise<{ docs: Document[]; failed: string[] }> {
  const docs: Document[] = [];
  const failed: string[] = [];
  for (const file of files) {
    const id = `dropped:${file.name}:${file.size}:${file.lastModified}`;
    try {
      if (file.type.startsWith('image/')) {
        docs.push({
          id,
          title: titleOf(file),
          body: `Image ${file.name}, dropped on this page.`,
          tags: ['dropped'],
          metadata: { image: await thumbnailOf(file), dropped: true },
        });
      } else if (
        /\.(md|markdown|txt|text|html?)$/i.test(file.name) ||
        file.type.startsWith('text/')
      ) {
        const text = await file.text();
        const heading = /^#\s+(.+)$/m.exec(text)?.[1]?.trim();
        docs.push({
          id,
          title: heading || titleOf(file),
          body: text,
          tags: ['dropped'],
          metadata: { dropped: true },
        });
      } else {
        failed.push(`${file.name} (not a text or image file)`);
      }
    } catch (e) {
      failed.push(`${file.name} (${String(e)})`);
    }
  }
  return { docs, failed };
}

async function addFiles(files: readonly File[]): Promise<void> {
  if (files.length === 0) return;
  const name = currentCollection();
  const { docs, failed } = await documentsOf(files);
  try {
    const { engine } = await engineFor(name);
    if (docs.length > 0) {
      setStatus(`Indexing ${docs.length} dropped file${docs.length === 1 ? '' : 's'}…`);
      // The same file dropped again replaces its earlier version (all or nothing).
      await engine.update(docs);
    }
    const note = failed.length > 0 ? ` · skipped: ${failed.join(', ')}` : '';
    setStatus(`Added ${docs.length} file${docs.length === 1 ? '' : 's'} to this collection${note}`);
    document.body.dataset['dropped'] = String(docs.length);
  } catch (e) {
    setStatus(`Could not add the files: ${describe(e)}`);
  }
}

function setUpDropZone(): void {
  const zone = byId<HTMLElement>('drop');
  const picker = byId<HTMLInputElement>('files');
  picker.addEventListener('change', () => {
    void addFiles(Array.from(picker.files ?? []));
    picker.value = '';
  });
  for (const target of [document.body, zone]) {
    target.addEventListener('dragover', (e) => {
      e.preventDefault();
      zone.classList.add('dragging');
    });
  }
  document.body.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  document.body.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragging');
    void addFiles(Array.from(e.dataTransfer?.files ?? []));
  });
}

async function main(): Promise<void> {
  setStatus('Loading the model and the Node.js docs…');
  const { engine, ready } = await engineFor('node');
  if ('serviceWorker' in navigator) {
    // Offline after the first visit; registered once the page is up, so that its install
    // (fetching the app shell) does not compete with the first load. Works the same without.
    navigator.serviceWorker.register('sw.js').catch(() => undefined);
  }
  setStatus(`${await describeEngine(engine)} · ${ready}`);
  setUpDropZone();
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
