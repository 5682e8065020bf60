// The installed packages in Node (the wasm nodejs build): index and search without a browser,
// full text, and semantic with the model package (its file: URLs are read from disk).
import { createEngine } from 'scry';
import minilm from 'scry-model-minilm';

const engine = await createEngine({ name: 'node-consumer' });
await engine.add([
  { id: 'a', title: 'Glacier mapping', body: 'Mapping a glacier with a drone.' },
  { id: 'b', title: 'Desert crossing', body: 'Crossing a desert on foot.' },
]);
const hits = await engine.search('glacier');
const info = await engine.info();
await engine.dispose();

const semantic = await createEngine({ model: minilm });
await semantic.add([
  { id: 'cat', title: 'Cats', body: 'A small domesticated feline that purrs.' },
  { id: 'car', title: 'Cars', body: 'An automobile with four wheels and an engine.' },
]);
const kitten = await semantic.search('kitten', { mode: 'vector', k: 1 });
await semantic.dispose();
console.log(
  JSON.stringify({
    ids: hits.map((h) => h.id),
    worker: info.worker,
    semantic: kitten.map((h) => h.id),
  }),
);
