// The installed package in Node (the wasm nodejs build): index and search without a browser.
import { createEngine } from 'scry';

const engine = await createEngine({ name: 'node-consumer' });
await engine.add([
  { id: 'a', title: 'Glacier mapping', body: 'Mapping a glacier with a drone.' },
  { id: 'b', title: 'Desert crossing', body: 'Crossing a desert on foot.' },
]);
const hits = await engine.search('glacier');
const info = await engine.info();
await engine.dispose();
console.log(JSON.stringify({ ids: hits.map((h) => h.id), worker: info.worker }));
