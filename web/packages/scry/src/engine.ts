/** `createEngine`: the one factory of the public API. */

import { InThreadBackend, WorkerBackend, type Backend } from './internal/backend.js';
import {
  checkQuery,
  checkSearchQuery,
  resolveAddOptions,
  resolveEngineOptions,
  resolveSearchOptions,
  resolveSuggestOptions,
} from './internal/options.js';
import { readDocuments, readIds, readTexts } from './internal/documents.js';
import { ScryError, isScryError } from './public/errors.js';
import type {
  AddOptions,
  AddProgress,
  EmbedOptions,
  EmbedProgress,
  ModelProgress,
  Document,
  Engine,
  EngineInfo,
  EngineOptions,
  RepairInfo,
  StorageKind,
  Hit,
  QueryOptions,
  Results,
  ImageInput,
  SearchOptions,
  Suggestion,
  SuggestOptions,
} from './public/types.js';

/**
 * Whether `v` is the whole of a plain `ArrayBuffer`, which can move to the worker: a view into
 * a larger buffer (a row of a batch) is copied instead, so the rest stays usable on the page.
 */
function ownsBuffer(v: Float32Array): boolean {
  return (
    v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength
  );
}

class EngineImpl implements Engine {
  #backend: Backend | undefined;
  readonly #version: string;
  readonly #model: string | undefined;
  readonly #storage: StorageKind;
  readonly #repaired: RepairInfo | undefined;

  readonly #workerFallback: string | undefined;

  constructor(
    backend: Backend,
    started: {
      version: string;
      model?: string;
      storage: StorageKind;
      repaired?: RepairInfo;
      workerFallback?: string;
    },
  ) {
    this.#backend = backend;
    this.#workerFallback = started.workerFallback;
    this.#version = started.version;
    this.#model = started.model;
    this.#storage = started.storage;
    this.#repaired = started.repaired;
  }

  #live(): Backend {
    if (!this.#backend) throw new ScryError('DISPOSED', 'the engine was disposed');
    return this.#backend;
  }

  async add(documents: readonly Document[], options?: AddOptions): Promise<void> {
    await this.#index('add', documents, options);
  }

  async update(documents: readonly Document[], options?: AddOptions): Promise<void> {
    await this.#index('update', documents, options);
  }

  async #index(
    method: 'add' | 'update',
    documents: readonly Document[],
    options: AddOptions | undefined,
  ): Promise<void> {
    if (!Array.isArray(documents)) {
      throw new ScryError('INVALID_DOCUMENT', `${method}() takes an array of documents`);
    }
    const { signal, onProgress } = resolveAddOptions(options);
    // Checked and copied here, so that what cannot be sent to the worker (functions, cycles,
    // values nested too deep, getters that throw) is INVALID_DOCUMENT, and fields scry does not
    // read are not copied to it. Images and vectors move to the worker instead of being copied.
    const transfer = new Set<Transferable>();
    const clean = readDocuments(documents).map(({ doc, image, vector }) => {
      if (typeof ImageBitmap !== 'undefined' && image instanceof ImageBitmap) transfer.add(image);
      if (vector instanceof Float32Array && ownsBuffer(vector)) transfer.add(vector.buffer);
      return {
        ...doc,
        ...(image !== undefined ? { image } : {}),
        ...(vector !== undefined ? { vector } : {}),
      };
    });
    await this.#live().call(method, [clean], {
      signal,
      transfer: [...transfer],
      settle: true,
      onProgress: onProgress && ((p) => onProgress(p as AddProgress)),
    });
  }

  async remove(ids: readonly string[]): Promise<number> {
    // Copied, then checked: the copy is what the core gets.
    return this.#live().call('remove', [readIds(ids)]);
  }

  async search(query: string | ImageInput, options?: SearchOptions): Promise<Hit[]> {
    return (await this.#search(query, options, 'search')) as Hit[];
  }

  async query(query: string | ImageInput, options?: QueryOptions): Promise<Results> {
    // `count` is set: the core answers `{ hits, total, facets }`.
    return (await this.#search(query, options, 'query')) as Results;
  }

  async #search(
    query: string | ImageInput,
    options: unknown,
    kind: 'search' | 'query',
  ): Promise<unknown> {
    const q = checkSearchQuery(query);
    const { core, signal, vector } = resolveSearchOptions(options, kind);
    const transfer: Transferable[] = [];
    if (typeof ImageBitmap !== 'undefined' && q instanceof ImageBitmap) transfer.push(q);
    if (vector && ownsBuffer(vector)) transfer.push(vector.buffer);
    return this.#live().call('search', [q, { ...core }, vector], { signal, transfer });
  }

  async embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]> {
    const clean = readTexts(texts);
    const { signal, onProgress } = resolveAddOptions<EmbedProgress>(options, 'embed');
    const out = await this.#live().call('embed', [clean], {
      signal,
      onProgress: onProgress && ((p) => onProgress(p as EmbedProgress)),
    });
    return out as Float32Array[];
  }

  async suggest(query: string, options?: SuggestOptions): Promise<Suggestion[]> {
    const q = checkQuery(query);
    const { core, signal } = resolveSuggestOptions(options);
    const out = await this.#live().call('suggest', [q, { ...core }], { signal });
    return out as Suggestion[];
  }

  async info(): Promise<EngineInfo> {
    const backend = this.#live();
    const staticIndex = await backend.call('staticInfo', []);
    return {
      // What was repaired at start; the core's counts tell what was repaired since.
      ...(this.#repaired ? { repaired: this.#repaired } : {}),
      ...(await backend.call('counts', [])),
      ...(staticIndex ? { staticIndex } : {}),
      gpu: await backend.call('gpuInfo', []),
      worker: backend.worker,
      ...(this.#workerFallback ? { workerFallback: this.#workerFallback } : {}),
      version: this.#version,
      storage: this.#storage,
      ...(this.#model ? { model: this.#model } : {}),
    };
  }

  async dispose(): Promise<void> {
    const backend = this.#backend;
    this.#backend = undefined;
    await backend?.terminate();
  }
}

/**
 * Creates a search engine. In browsers it runs in a Web Worker unless `worker: false`.
 *
 * @example
 * const engine = await createEngine();
 * await engine.add([{ id: 'fs', title: 'File system', body: 'Read and write files.' }]);
 * const hits = await engine.search('write files');
 */
export async function createEngine(options?: EngineOptions): Promise<Engine> {
  let resolved: ReturnType<typeof resolveEngineOptions>;
  try {
    resolved = resolveEngineOptions(options);
  } catch (e) {
    // A getter or a proxy of the caller's that throws while the options are read.
    if (isScryError(e)) throw e;
    throw new ScryError(
      'INVALID_OPTIONS',
      `the engine options could not be read: ${e instanceof Error ? e.message : typeof e}`,
      {
        cause: e,
      },
    );
  }
  if (!resolved.worker) return start(new InThreadBackend(), resolved);
  // A worker that cannot start — its script from another origin (a CDN), refused by the page's
  // Content-Security-Policy (`worker-src`), unreachable — leaves the engine on the page.
  let worker: WorkerBackend | undefined;
  let why: string;
  try {
    worker = new WorkerBackend(resolved.assets);
    return await start(worker, resolved);
  } catch (e) {
    const started = worker?.answered ?? false;
    const refused = worker === undefined || (isScryError(e) && e.code === 'WORKER_FAILED');
    if (started || !refused) throw e;
    why = e instanceof Error ? e.message : String(e);
  }
  return start(new InThreadBackend(), resolved, `the engine's worker could not start: ${why}`);
}

async function start(
  backend: Backend,
  resolved: ReturnType<typeof resolveEngineOptions>,
  workerFallback?: string,
): Promise<Engine> {
  const onModelProgress = resolved.onProgress;
  try {
    const started = await backend.call(
      'init',
      [
        { ...resolved.core },
        resolved.model,
        resolved.storage,
        resolved.staticIndex,
        resolved.gpu,
        resolved.assets,
      ],
      {
        signal: resolved.signal,
        onProgress: onModelProgress && ((p) => onModelProgress(p as ModelProgress)),
      },
    );
    return new EngineImpl(backend, { ...started, ...(workerFallback ? { workerFallback } : {}) });
  } catch (e) {
    await backend.terminate();
    throw e;
  }
}
