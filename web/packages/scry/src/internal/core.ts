/** The engine core: dispatches protocol methods to the wasm engine (in a worker or in-thread). */

import { ScryError, isErrorCode } from '../public/errors.js';
import type { CoreMethods, Method, Response } from './protocol.js';
import type { ModelProgress } from '../public/types.js';
import { loadModelFiles, manifestEntry } from './model.js';
import type { ResolvedModel } from './options.js';
import { loadWasm, type WasmEngine, type WasmTextModel } from './wasm.js';

/** Converts anything thrown by wasm or JS into a protocol error. */
export function toWireError(e: unknown): { code: ScryError['code']; message: string } {
  if (typeof e === 'object' && e !== null) {
    const code = (e as { code?: unknown }).code;
    const message = String((e as { message?: unknown }).message ?? e);
    if (isErrorCode(code)) return { code, message };
    return { code: 'INTERNAL', message };
  }
  return { code: 'INTERNAL', message: String(e) };
}

/** One engine instance behind the protocol. */
export class Core {
  #engine: WasmEngine | undefined;
  #model: WasmTextModel | undefined;
  /** Receives model download progress during `init` (set by the worker or the backend). */
  onProgress: ((progress: ModelProgress) => void) | undefined;

  async init(
    options: Record<string, unknown>,
    model: ResolvedModel | undefined,
  ): Promise<{ version: string; model?: string }> {
    const wasm = await loadWasm();
    this.dispose();
    const engine = new wasm.Engine(options);
    try {
      if (model) {
        const entry = manifestEntry(wasm.modelManifest(), model.id);
        const files = await loadModelFiles(entry, model.url, {
          cache: model.cache,
          ...(this.onProgress ? { onProgress: this.onProgress } : {}),
        });
        const onnx = files.get('model.onnx');
        const tokenizer = files.get('tokenizer.json');
        if (!onnx || !tokenizer) {
          throw new ScryError(
            'MODEL_UNSUPPORTED',
            `model ${model.id} needs model.onnx and tokenizer.json`,
          );
        }
        this.#model = wasm.TextModel.load(model.id, onnx, tokenizer, model.batchSize);
      }
    } catch (e) {
      engine.free();
      throw e;
    }
    this.#engine = engine;
    return { version: wasm.version(), ...(this.#model ? { model: this.#model.modelId } : {}) };
  }

  #get(): WasmEngine {
    if (!this.#engine) throw new ScryError('INTERNAL', 'engine used before init');
    return this.#engine;
  }

  add(documents: unknown[]): void {
    if (this.#model) this.#get().addEmbedded(documents, this.#model);
    else this.#get().add(documents);
  }

  remove(ids: string[]): number {
    return this.#get().remove(ids);
  }

  search(query: string, options: Record<string, unknown>): unknown[] {
    if (this.#model) return this.#get().searchEmbedded(query, options, this.#model) as unknown[];
    return this.#get().search(query, options, undefined) as unknown[];
  }

  size(): number {
    return this.#get().size;
  }

  /** Runs one method and wraps its outcome as a response. */
  async handle<M extends Method>(
    id: number,
    method: M,
    args: CoreMethods[M]['args'],
  ): Promise<Response> {
    try {
      const fn = this[method] as (...a: unknown[]) => unknown;
      if (typeof fn !== 'function') throw new ScryError('INTERNAL', `unknown method ${method}`);
      const value = await fn.apply(this, args as unknown[]);
      return { id, ok: true, value };
    } catch (e) {
      return { id, ok: false, error: toWireError(e) };
    }
  }

  dispose(): void {
    this.#engine?.free();
    this.#engine = undefined;
    this.#model?.free();
    this.#model = undefined;
  }
}
