// A consumer of the published package: 1,000 generated documents indexed in the engine's
// worker, then searched. Every piece of text goes into the page as text nodes.
import { createEngine, isScryError } from 'scry';
import minilm from 'scry-model-minilm';

const TOPICS = ['river', 'mountain', 'forest', 'desert', 'ocean', 'glacier', 'valley', 'island'];
const VERBS = ['mapping', 'photographing', 'measuring', 'protecting', 'crossing'];

function documents() {
  const docs = [];
  for (let i = 0; i < 1000; i++) {
    const topic = TOPICS[i % TOPICS.length];
    const verb = VERBS[Math.floor(i / TOPICS.length) % VERBS.length];
    docs.push({
      id: `doc-${i}`,
      title: `${verb} the ${topic} number ${i}`,
      body: `Field notes ${i}: a guide to ${verb} a ${topic}, with equipment lists and safety advice.`,
      tags: [topic, verb],
      metadata: { n: i },
    });
  }
  return docs;
}

// Built by esbuild or Rollup, which do not copy files addressed with `new URL(…, import.meta.url)`,
// the page names where the app copied the package's `dist/` and the model's files.
const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content');
const assets = meta('scry-assets') ?? undefined;
const modelSpec = meta('scry-model') ? { url: meta('scry-model') } : minilm;

const status = document.getElementById('status');
const results = document.getElementById('results');

async function main() {
  const engine = await createEngine({ name: 'consumer', assets });
  await engine.add(documents());
  const info = await engine.info();
  status.textContent = `${info.documents} documents, worker: ${info.worker}, wasm: ${info.wasm}`;
  window.info = () => engine.info();
  window.search = async (query, options) => {
    const hits = await engine.search(query, options);
    results.replaceChildren(
      ...hits.map((h) => {
        const li = document.createElement('li');
        li.dataset.id = h.id;
        li.textContent = h.title;
        return li;
      }),
    );
    return hits.map((h) => h.id);
  };
  // Semantic search with the model from npm (Vite copied its files, no configuration), started
  // when the test asks: until then the page has loaded only the text-only wasm module.
  window.startSemantic = async () => {
    const semantic = await createEngine({
      name: 'consumer-semantic',
      model: { ...modelSpec, threads: 2 },
      assets,
    });
    await semantic.add([
      { id: 'cat', title: 'Cats', body: 'A small domesticated feline that purrs.' },
      { id: 'car', title: 'Cars', body: 'An automobile with four wheels and an engine.' },
      { id: 'tea', title: 'Tea', body: 'A hot drink brewed from dried leaves.' },
    ]);
    window.semantic = async (query) =>
      (await semantic.search(query, { mode: 'vector', k: 3 })).map((h) => h.id);
    // Enough texts for a helper worker (the bundler must have emitted its script too). The
    // first call starts it, and these short texts are embedded before it has loaded its model;
    // once it has, the next call gives it batches.
    const texts = Array.from({ length: 64 }, (_, i) => `note ${i}`);
    let embedThreads = 0;
    for (let tries = 0; tries < 12 && embedThreads < 2; tries++) {
      await semantic.embed(texts);
      embedThreads = (await semantic.info()).embedThreads;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const { model, wasm } = await semantic.info();
    return { model, wasm, embedThreads };
  };
  document.body.dataset.ready = 'true';
}

main().catch((e) => {
  status.textContent = isScryError(e) ? `${e.code}: ${e.message}` : String(e);
  document.body.dataset.ready = 'error';
});
