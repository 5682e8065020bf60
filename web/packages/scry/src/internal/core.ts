/** The engine core: dispatches protocol methods to the wasm engine (in a worker or in-thread). */

import { ScryError, isErrorCode } from '../public/errors.js';
import type { CoreMethods, Method, Response } from './protocol.js';
import type { ModelProgress, StaticIndexInfo } from '../public/types.js';
import { loadModelFiles, manifestEntry } from './model.js';
import type { ResolvedModel, ResolvedStaticIndex, ResolvedStorage } from './options.js';
import { StaticIndex, withChunks } from './static.js';
import { loadWasm, type WasmEngine, type WasmStore, type WasmTextModel } from './wasm.js';

/** Runs `fn` holding the index's cross-tab lock (Web Locks), or a local queue without it. */
let localQueue: Promise<unknown> = Promise.resolve();
function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (locks) return locks.request(name, { mode: 'exclusive' }, fn) as Promise<T>;
  const run = localQueue.then(fn, fn);
  localQueue = run.catch(() => undefined);
  return run;
}

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
  #options: Record<string, unknown> = {};
  /** The index's database when `storage: 'indexeddb'`. */
  #store: WasmStore | undefined;
  #lockName = '';
  /** The prebuilt static index searched with the engine's own documents, if any. */
  #static: StaticIndex | undefined;
  #channel: BroadcastChannel | undefined;
  /** Mutations in flight (a reload waits for them). */
  #busy = 0;
  /** Receives model download progress during `init` (set by the worker or the backend). */
  onProgress: ((progress: ModelProgress) => void) | undefined;

  async init(
    options: Record<string, unknown>,
    model: ResolvedModel | undefined,
    storage: ResolvedStorage = { kind: 'memory', name: 'default', memoryFallback: false },
    staticIndex?: ResolvedStaticIndex,
  ): Promise<{ version: string; model?: string; storage: 'memory' | 'indexeddb' }> {
    const wasm = await loadWasm();
    this.dispose();
    this.#options = options;
    let engine: WasmEngine;
    if (storage.kind === 'indexeddb') {
      try {
        this.#store = await wasm.Store.open(`scry:${storage.name}`);
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        const unavailable = code === 'STORAGE_UNAVAILABLE' || code === 'STORAGE_OPEN_FAILED';
        if (!storage.memoryFallback || !unavailable) throw e;
      }
    }
    if (this.#store) {
      const db = `scry:${storage.name}`;
      this.#lockName = db;
      engine = await this.#store.openEngine(options);
      if (typeof BroadcastChannel !== 'undefined') {
        this.#channel = new BroadcastChannel(db);
        this.#channel.onmessage = () => void this.#refresh();
      }
    } else {
      engine = new wasm.Engine(options);
    }
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
      if (staticIndex) {
        const index = await StaticIndex.open(staticIndex);
        const wanted = this.#model?.modelId;
        if (index.model && wanted && index.model !== wanted) {
          throw new ScryError(
            'MODEL_MISMATCH',
            `the static index holds vectors of ${index.model}; the engine's model is ${wanted}`,
          );
        }
        await index.attach(engine);
        this.#static = index;
      }
    } catch (e) {
      engine.free();
      throw e;
    }
    this.#engine = engine;
    if (this.#static && staticIndex?.prefetch) {
      // Everything else in the background (for offline use), after a pause so that the first
      // queries do not compete with it; they load what they need meanwhile. A failure here
      // (or a disposed engine) only means those chunks load on demand later.
      const index = this.#static;
      setTimeout(() => void index.loadAll(() => this.#get()).catch(() => undefined), 2000);
    }
    return {
      version: wasm.version(),
      storage: this.#store ? 'indexeddb' : 'memory',
      ...(this.#model ? { model: this.#model.modelId } : {}),
    };
  }

  #get(): WasmEngine {
    if (!this.#engine) throw new ScryError('INTERNAL', 'engine used before init');
    return this.#engine;
  }

  add(documents: unknown[]): Promise<void> {
    return this.#mutate((engine) => {
      if (this.#model) engine.addEmbedded(documents, this.#model);
      else engine.add(documents);
    });
  }

  update(documents: unknown[]): Promise<void> {
    return this.#mutate((engine) => {
      if (this.#model) engine.updateEmbedded(documents, this.#model);
      else engine.update(documents);
    });
  }

  remove(ids: string[]): Promise<number> {
    return this.#mutate((engine) => engine.remove(ids));
  }

  /**
   * Applies a change; with IndexedDB, under the index's lock: first catch up with commits of
   * other tabs, then apply, then commit (all or nothing). A failed commit reloads the stored
   * index, so memory never runs ahead of storage, and rethrows the typed error.
   */
  async #mutate<T>(apply: (engine: WasmEngine) => T): Promise<T> {
    const store = this.#store;
    if (!store) return apply(this.#get());
    this.#busy++;
    try {
      return await withLock(this.#lockName, async () => {
        if ((await store.generation()) !== this.#get().generation) await this.#reload();
        const result = apply(this.#get());
        const batch = this.#get().prepareCommit();
        try {
          try {
            await store.write(batch);
          } catch (e) {
            await this.#reload();
            throw e;
          }
          const { generation } = this.#get().finishCommit(batch);
          this.#channel?.postMessage({ generation });
          await store.collectGarbage(batch);
        } finally {
          batch.free();
        }
        return result;
      });
    } finally {
      this.#busy--;
    }
  }

  /** Replaces the engine with the committed index. */
  async #reload(): Promise<void> {
    if (!this.#store) return;
    const fresh = await this.#store.openEngine(this.#options);
    try {
      await this.#static?.attach(fresh);
    } catch (e) {
      fresh.free();
      throw e;
    }
    this.#engine?.free();
    this.#engine = fresh;
  }

  /** Another tab committed: reload unless a change of ours is in flight (it catches up). */
  async #refresh(): Promise<void> {
    const store = this.#store;
    if (!store || this.#busy > 0) return;
    try {
      if ((await store.generation()) !== this.#get().generation && this.#busy === 0) {
        await this.#reload();
      }
    } catch {
      // The next change reloads under the lock and reports any error.
    }
  }

  search(query: string, options: Record<string, unknown>): Promise<unknown[]> {
    const model = this.#model;
    return withChunks(
      this.#static,
      () => this.#get(),
      () => {
        if (model) return this.#get().searchEmbedded(query, options, model) as unknown[];
        return this.#get().search(query, options, undefined) as unknown[];
      },
    );
  }

  suggest(query: string, options: Record<string, unknown>): Promise<unknown[]> {
    const model = this.#model;
    return withChunks(
      this.#static,
      () => this.#get(),
      () => {
        if (model) return this.#get().suggestEmbedded(query, options, model) as unknown[];
        return this.#get().suggest(query, options) as unknown[];
      },
    );
  }

  size(): number {
    return this.#get().size;
  }

  staticInfo(): StaticIndexInfo | undefined {
    return this.#static?.info(this.#get());
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
    this.#channel?.close();
    this.#channel = undefined;
    this.#store?.free();
    this.#store = undefined;
    this.#engine?.free();
    this.#engine = undefined;
    this.#model?.free();
    this.#model = undefined;
    this.#static = undefined;
  }
}
