/**
 * Entry point of a helper Web Worker of the embedding pool (`internal/embed-pool.ts`): loads the
 * full wasm build and its own copy of the text model from the bytes the engine sends (checked
 * against the manifest again here), then embeds the batches it is sent.
 */

import { loadWasm } from './internal/wasm.js';
import type { WasmTextModel } from './internal/wasm.js';

/** What the pool sends: the model once, then batches. */
export type EmbedRequest =
  | {
      load: {
        /** The manifest (JSON) the model is described by. */
        manifest: string;
        id: string;
        onnx: Uint8Array;
        tokenizer: Uint8Array;
        batchSize: number | undefined;
        assets?: string;
      };
    }
  | { id: number; texts: string[] };

/** What a helper answers: whether the model loaded, then each batch's vectors (or why not). */
export type EmbedResponse =
  | { ready: boolean; error?: string }
  | { id: number; vectors: Float32Array }
  | { id: number; error: string };

const scope = self as unknown as DedicatedWorkerGlobalScope;
let model: WasmTextModel | undefined;

scope.addEventListener('message', (event: MessageEvent<EmbedRequest>) => {
  const data = event.data;
  if ('load' in data) {
    const { id, manifest, onnx, tokenizer, batchSize, assets } = data.load;
    loadWasm('full', assets)
      .then((wasm) => {
        model = wasm.TextModel.loadWithManifest(manifest, id, onnx, tokenizer, batchSize);
        scope.postMessage({ ready: true } satisfies EmbedResponse);
      })
      .catch((e: unknown) =>
        scope.postMessage({ ready: false, error: String(e) } satisfies EmbedResponse),
      );
    return;
  }
  try {
    if (!model) throw new Error('no model loaded');
    const vectors = model.embed(data.texts);
    scope.postMessage({ id: data.id, vectors } satisfies EmbedResponse, [vectors.buffer]);
  } catch (e) {
    scope.postMessage({ id: data.id, error: String(e) } satisfies EmbedResponse);
  }
});
