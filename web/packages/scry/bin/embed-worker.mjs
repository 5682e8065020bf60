// One embedding thread of `scry index --model` run through npm (bin/scry.mjs): the package's own
// engine (its Node.js wasm build) loads the model folder, checked against scry's manifest, and
// embeds the batches the main thread sends.
import { parentPort, workerData } from 'node:worker_threads';

import { createEngine } from '../dist/index.js';

const engine = await createEngine({ model: { url: workerData.model } });
parentPort.on('message', (batch) => {
  engine.embed(batch.texts).then(
    (vectors) => parentPort.postMessage({ id: batch.id, vectors }),
    (e) => parentPort.postMessage({ id: batch.id, error: `${e?.code ?? 'ERROR'}: ${e?.message}` }),
  );
});
parentPort.postMessage({ ready: true });
