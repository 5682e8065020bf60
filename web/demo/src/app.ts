// The demo page: loads the built-in collection into a scry engine (in a worker) and searches it.
// Every piece of document text is inserted as a text node: nothing user-provided becomes HTML.

import { createEngine, isScryError, type Document, type Hit } from './scry/index.js';

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

const input = byId<HTMLInputElement>('q');
const statusLine = byId<HTMLParagraphElement>('status');
const results = byId<HTMLOListElement>('results');

function setStatus(text: string): void {
  statusLine.textContent = text;
}

/** The snippet as text nodes with `<mark>` around each highlight range. */
function snippetNodes(hit: Hit): Node[] {
  const { text, highlights, truncatedStart, truncatedEnd } = hit.snippet;
  const nodes: Node[] = [];
  let at = 0;
  if (truncatedStart) nodes.push(document.createTextNode('… '));
  for (const [start, end] of highlights) {
    if (start < at || end > text.length) continue;
    nodes.push(document.createTextNode(text.slice(at, start)));
    const mark = document.createElement('mark');
    mark.textContent = text.slice(start, end);
    nodes.push(mark);
    at = end;
  }
  nodes.push(document.createTextNode(text.slice(at) + (truncatedEnd ? ' …' : '')));
  return nodes;
}

function render(hits: Hit[]): void {
  results.replaceChildren(
    ...hits.map((hit) => {
      const li = document.createElement('li');
      li.dataset['id'] = hit.id;
      const title = document.createElement('div');
      title.className = 'hit-title';
      title.textContent = hit.title || hit.id;
      const meta = document.createElement('div');
      meta.className = 'hit-meta';
      meta.textContent = `${hit.url ?? hit.id} · score ${hit.score.toFixed(2)}`;
      const snippet = document.createElement('p');
      snippet.className = 'hit-snippet';
      snippet.append(...snippetNodes(hit));
      li.append(title, meta, snippet);
      return li;
    }),
  );
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const engine = await createEngine({ name: 'demo' });
  const response = await fetch('collections/node-docs-sample.json');
  if (!response.ok) throw new Error(`collection: HTTP ${response.status}`);
  const collection = (await response.json()) as { documents: Document[] };
  await engine.add(collection.documents);
  const info = await engine.info();
  const ready = `${info.documents} documents · BM25 on the CPU · ${info.worker ? 'in a Web Worker' : 'on the page thread'}`;
  setStatus(`${ready} · ready in ${Math.round(performance.now() - t0)} ms`);
  input.disabled = false;
  input.focus();
  document.body.dataset['ready'] = 'true';

  let current: AbortController | undefined;
  const run = async (): Promise<void> => {
    const query = input.value;
    current?.abort();
    if (!query.trim()) {
      results.replaceChildren();
      setStatus(ready);
      return;
    }
    const ctl = new AbortController();
    current = ctl;
    const start = performance.now();
    try {
      const hits = await engine.search(query, { k: 10, signal: ctl.signal });
      render(hits);
      const ms = (performance.now() - start).toFixed(1);
      setStatus(`${hits.length} result${hits.length === 1 ? '' : 's'} in ${ms} ms · ${ready}`);
    } catch (e) {
      if (isScryError(e) && e.code === 'ABORTED') return;
      setStatus(isScryError(e) ? `${e.code}: ${e.message}` : String(e));
    }
  };
  input.addEventListener('input', () => void run());
  byId<HTMLFormElement>('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void run();
  });
}

main().catch((e: unknown) => {
  setStatus(`Could not start: ${isScryError(e) ? `${e.code}: ${e.message}` : String(e)}`);
  document.body.dataset['ready'] = 'error';
});
