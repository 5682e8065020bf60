// Every public type in use, in a project with Node's types only.
import {
  createEngine,
  isScryError,
  type Document,
  type EngineOptions,
  type Hit,
  type ImageInput,
  type ModelSpec,
} from 'scry';

const model: ModelSpec = { url: new URL('file:///srv/models/all-MiniLM-L6-v2-int8/') };
const options: EngineOptions = { name: 'node-ts', storage: 'memory' };
const pixels: ImageInput = { width: 1, height: 1, data: new Uint8Array(4) };
const docs: Document[] = [{ id: 'a', title: 'A', body: 'b' }];

try {
  const engine = await createEngine(options);
  await engine.add(docs);
  const hits: Hit[] = await engine.search('a', { k: 1, signal: AbortSignal.timeout(1000) });
  console.log(hits.length, model, pixels);
} catch (e) {
  if (isScryError(e)) console.log(e.code);
}
