/** The engine core: dispatches protocol methods to the wasm engine (in a worker or in-thread). */

import { ScryError, isErrorCode } from '../public/errors.js';
import type { CoreMethods, Method, Response } from './protocol.js';
import type {
  GpuInfo,
  IntegrityInfo,
  ImageInput,
  ModelProgress,
  StaticIndexInfo,
  RepairInfo,
  StorageKind,
} from '../public/types.js';
import { EmbedPool, canStartHelpers, defaultThreads } from './embed-pool.js';
import { fetchManifest, loadModelFiles, manifestEntry } from './model.js';
import { imagePixels } from './image.js';
import type {
  CoreEngineOptions,
  GpuChoice,
  ResolvedModel,
  ResolvedStaticIndex,
  ResolvedStorage,
} from './options.js';
import { StaticIndex, withChunks } from './static.js';
// Static, not a dynamic import: a worker that splits into chunks needs module-format workers in
// Vite; the Node built-ins it uses are imported by variable names only when a directory opens.
import { FileBackend } from './file-store.js';
import { errorCode } from './error-code.js';
import { readDocuments, readIds, readTexts } from './documents.js';
import { BUILT_IN_MODELS, analyzerMismatch, checkFilter, isImageInput } from './options.js';
import {
  loadWasm,
  wasmBuild,
  type WasmBuild,
  type WasmClipModel,
  type WasmEmbedder,
  type WasmEngine,
  type WasmGpuScan,
  type WasmModule,
  type WasmStore,
  type WasmTextModel,
} from './wasm.js';

/** Runs `fn` holding the index's cross-tab lock (Web Locks), or a local queue without it. */
let localQueue: Promise<unknown> = Promise.resolve();
function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (locks) return locks.request(name, { mode: 'exclusive' }, fn) as Promise<T>;
  const run = localQueue.then(fn, fn);
  localQueue = run.catch(() => undefined);
  return run;
}

/** Whether an error says the browser took the database away. */
function isEvicted(e: unknown): boolean {
  return errorCode(e) === 'STORAGE_EVICTED';
}

/** Converts anything thrown by wasm or JS into a protocol error. */
export function toWireError(e: unknown): { code: ScryError['code']; message: string } {
  if (typeof e === 'object' && e !== null) {
    const code = errorCode(e);
    const message = String((e as { message?: unknown }).message ?? e);
    if (isErrorCode(code)) return { code, message };
    return { code: 'INTERNAL', message };
  }
  return { code: 'INTERNAL', message: String(e) };
}

/** What a running call can do besides returning: report progress, learn it was aborted. */
export interface CallContext {
  progress(progress: unknown): void;
  cancelled(): boolean;
  /** Aborts when the caller aborts (downloads stop at once). */
  signal?: AbortSignal;
}

const NO_CONTEXT: CallContext = { progress: () => undefined, cancelled: () => false };

/**
 * Passages embedded per model run, between two checks for an abort. Small: tract gains nothing
 * from large batches in wasm, and their activations slowed embedding down (300 sections: 56 s
 * in batches of 4, 64 s of 8, 130 s of 32; `scripts/bench-browser.mjs package`).
 */
const EMBED_BATCH = 4;

/**
 * Quiet time after a change before merges and graph builds run (one per turn of the event
 * loop, between searches): a burst of adds is merged once, not after every call.
 */
const MAINTENANCE_DELAY_MS = 500;
/**
 * Quiet time after opening a stored index before the parts of its segments that no query
 * asked for yet are read in the background (the first queries load what they need first).
 */
const STORED_LOAD_DELAY_MS = 300;
/** Stored chunks read at a time (per step of the background load, and in parallel). */
const STORED_LOAD_BATCH = 32;
const STORED_PARALLEL = 8;
/** Storage keys of the chunks of stored segments (scry-core's `STORED_CHUNK_PREFIX`). */
const STORED_CHUNK_PREFIX = 'chunk/';

function abortedError(): ScryError {
  return new ScryError('ABORTED', 'the operation was aborted; nothing was added');
}

/** One engine instance behind the protocol. */
export class Core {
  #engine: WasmEngine | undefined;
  /** The embedding model: a text model, or an image-text (CLIP-style) one. */
  #model: WasmEmbedder | undefined;
  /** The same model when it embeds images. */
  #clip: WasmClipModel | undefined;
  /** Whether the model has no weights: vectors come with the documents and queries. */
  #external = false;
  /** Helper workers embedding beside this thread (`model.threads`), for a text model. */
  #pool: EmbedPool | undefined;
  /** Threads the last embedding used (`info().embedThreads`). */
  #embedThreads = 0;
  /** Which wasm module the engine runs on. */
  #build: WasmBuild = 'full';
  #options: Record<string, unknown> = {};
  /** The index's database when `storage: 'indexeddb'`. */
  #store: WasmStore | undefined;
  /** The IndexedDB database's name (`scry:<name>`). */
  #dbName = '';
  /** Times the browser took the database away while this engine held it (and it recovered). */
  #evictions = 0;
  /** The database was taken away and is not restored yet (see `#restore`). */
  #restorePending = false;
  /** What `repair` rebuilt (at start, or when a damaged part was read later). */
  #repaired: RepairInfo | undefined;
  /** `repair: true`: damaged segments are rebuilt when found, not reported. */
  #repair = false;
  /** The index's directory when `storage: 'file'` (behind `#store`). */
  #files: FileBackend | undefined;
  #lockName = '';
  /** The prebuilt static index searched with the engine's own documents, if any. */
  #static: StaticIndex | undefined;
  /** The pending start of its background prefetch. */
  #prefetch: ReturnType<typeof setTimeout> | undefined;
  #channel: BroadcastChannel | undefined;
  /** The engine's flat segments on the GPU, when `gpu` allows it and WebGPU works. */
  #gpu: WasmGpuScan | undefined;
  /** Why there is no GPU scan (or the reason it is not used), for `info()`. */
  #gpuReason: string | undefined;
  /** GPU searches run one at a time (the scan is exclusive while the GPU works). */
  #gpuQueue: Promise<unknown> = Promise.resolve();
  /** The pending start of background maintenance (merges, graph builds). */
  #maintenance: ReturnType<typeof setTimeout> | undefined;
  /** The pending start of the background load of stored segments. */
  #storedLoad: ReturnType<typeof setTimeout> | undefined;
  /** Set when a maintenance step failed: none runs again before the next change. */
  #maintenanceHeld = false;
  /** Mutations in flight (a reload waits for them). */
  #busy = 0;
  /** Where the package's files are served (`EngineOptions.assets`); default: beside this module. */
  #assets: string | undefined;
  /** Receives model download progress during `init` (set by the worker or the backend). */
  onProgress: ((progress: ModelProgress) => void) | undefined;

  async init(
    options: Record<string, unknown>,
    model: ResolvedModel | undefined,
    storage: ResolvedStorage = {
      kind: 'memory',
      name: 'default',
      memoryFallback: false,
      repair: false,
    },
    staticIndex?: ResolvedStaticIndex,
    gpu: GpuChoice = 'auto',
    assets?: string,
    ctx: CallContext = NO_CONTEXT,
  ): Promise<{ version: string; model?: string; storage: StorageKind; repaired?: RepairInfo }> {
    // The text-only module unless the model has weights (or WebGPU is insisted on): a page
    // that only searches words, or vectors computed elsewhere, never downloads the embedders.
    const build = wasmBuild(
      model && (model.dims === undefined || gpu === 'webgpu') ? 'full' : 'text',
    );
    const wasm = await loadWasm(build, assets);
    if (ctx.cancelled()) throw abortedError();
    this.#assets = assets;
    this.dispose();
    this.#options = options;
    this.#build = build;
    let engine: WasmEngine;
    if (storage.kind === 'indexeddb') {
      try {
        this.#store = await wasm.Store.open(`scry:${storage.name}`);
      } catch (e) {
        const code = errorCode(e);
        const unavailable = code === 'STORAGE_UNAVAILABLE' || code === 'STORAGE_OPEN_FAILED';
        if (!storage.memoryFallback || !unavailable) throw e;
      }
    }
    if (storage.kind === 'file') {
      // Validated at the boundary: file storage has a path.
      this.#files = await FileBackend.open(storage.path ?? '');
      this.#store = wasm.Store.withBackend(this.#files);
    }
    if (this.#store) {
      const db = `scry:${storage.name}`;
      this.#dbName = db;
      // A directory is locked by its path (names are IndexedDB's).
      this.#lockName = this.#files ? `scry-file:${this.#files.root}` : db;
      // On failure the caller closes the core (and so releases a directory's lock).
      this.#repair = storage.repair;
      engine = await this.#openStored(this.#store, options, storage.repair);
      // Other tabs of IndexedDB; a directory has one writer (its lock).
      if (!this.#files && typeof BroadcastChannel !== 'undefined') {
        this.#channel = new BroadcastChannel(db);
        this.#channel.onmessage = () => void this.#refresh();
      }
    } else {
      engine = new wasm.Engine(options);
    }
    try {
      // A stored index keeps the analyzer it was made with: asking for another would analyse
      // queries unlike its documents. Checked before anything is downloaded.
      checkAnalyzer(options, engine);
      if (model) await this.#loadModel(wasm, model, ctx.signal);
      if (ctx.cancelled()) throw abortedError();
      // A stored index keeps the vectors of one model: queries of another would be compared
      // with them as if they were alike.
      const stored = engine.modelId;
      if (stored !== undefined && this.#model && stored !== this.#model.modelId) {
        throw new ScryError(
          'MODEL_MISMATCH',
          `the index holds vectors of ${stored}; the engine's model is ${this.#model.modelId}`,
        );
      }
      if (staticIndex) {
        const index = await StaticIndex.open(staticIndex, ctx.signal);
        const wanted = this.#model?.modelId;
        if (index.model && wanted && index.model !== wanted) {
          throw new ScryError(
            'MODEL_MISMATCH',
            `the static index holds vectors of ${index.model}; the engine's model is ${wanted}`,
          );
        }
        // Attaching checks scry.json against the meta file, whose model then decides.
        await index.attach(engine);
        const [held] = engine.staticModel() ?? [];
        if (held !== undefined && wanted !== undefined && held !== wanted) {
          throw new ScryError(
            'MODEL_MISMATCH',
            `the static index holds vectors of ${held}; the engine's model is ${wanted}`,
          );
        }
        this.#static = index;
      }
      // …and a static index's (attaching it to an empty engine adopts it).
      checkAnalyzer(options, engine);
      await this.#openGpu(wasm, gpu, engine);
      if (ctx.cancelled()) throw abortedError();
    } catch (e) {
      engine.free();
      throw e;
    }
    this.#engine = engine;
    this.#scheduleStoredLoad();
    if (this.#static && staticIndex?.prefetch) {
      // Everything else in the background (for offline use), after a pause so that the first
      // queries do not compete with it; they load what they need meanwhile. A failure here
      // (or a disposed engine) only means those chunks load on demand later.
      const index = this.#static;
      this.#prefetch = setTimeout(
        () => void index.loadAll(() => this.#get()).catch(() => undefined),
        2000,
      );
    }
    return {
      version: wasm.version(),
      storage: this.#files ? 'file' : this.#store ? 'indexeddb' : 'memory',
      ...(this.#repaired ? { repaired: this.#repaired } : {}),
      ...(this.#model ? { model: this.#model.modelId } : {}),
    };
  }

  /**
   * Opens the stored index; with `repair`, a `CORRUPT_DATA` failure rebuilds the damaged
   * segments from the documents store (under the index's lock, like a commit) and opens again.
   */
  async #openStored(
    store: WasmStore,
    options: Record<string, unknown>,
    repair: boolean,
  ): Promise<WasmEngine> {
    try {
      return await store.openEngine(options);
    } catch (e) {
      if (!repair || errorCode(e) !== 'CORRUPT_DATA') throw e;
    }
    await this.#repairStored(store);
    return store.openEngine(options);
  }

  /** Rebuilds the damaged segments of the stored index (under its lock, like a commit). */
  async #repairStored(store: WasmStore): Promise<void> {
    const report = await withLock(this.#lockName, () => store.repair(this.#options));
    if (report.segments > 0 || report.manifest !== 'intact') {
      this.#repaired = {
        segments: (this.#repaired?.segments ?? 0) + report.segments,
        documents: (this.#repaired?.documents ?? 0) + report.documents,
        ...(report.manifest !== 'intact' ? { manifest: report.manifest } : {}),
      };
    }
  }

  /**
   * Loads the model: one of the built-in manifest, or an image-text model with its own
   * manifest (files checked against it here and again in wasm).
   */
  async #loadModel(
    wasm: WasmModule,
    model: ResolvedModel,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (model.dims !== undefined && model.id !== undefined) {
      this.#model = externalModel(model.id, model.dims);
      this.#external = true;
      return;
    }
    const manifest = model.manifest
      ? await fetchManifest(model.manifest, model.cache, signal)
      : wasm.modelManifest();
    const entry = manifestEntry(manifest, model.id);
    const files = await loadModelFiles(entry, model, {
      cache: model.cache,
      ...(signal ? { signal } : {}),
      ...(this.onProgress ? { onProgress: this.onProgress } : {}),
    });
    const byRole = (role: string, name: string) =>
      files.get(entry.files.find((f) => f.role === role)?.name ?? name);
    if (entry.task === 'image-text') {
      const [vision, text, tokenizer] = [
        byRole('vision', 'vision.onnx'),
        byRole('text', 'text.onnx'),
        byRole('tokenizer', 'tokenizer.json'),
      ];
      if (!vision || !text || !tokenizer) {
        throw new ScryError(
          'MODEL_UNSUPPORTED',
          `image-text model ${entry.id} needs vision, text and tokenizer files`,
        );
      }
      const clip = wasm.ClipModel.load(manifest, entry.id, vision, text, tokenizer);
      this.#clip = clip;
      this.#model = clip;
      return;
    }
    // A text model of the user's own manifest must not take the id of one of scry's: the id is
    // what a stored index records of the model whose vectors it holds.
    if (model.manifest && BUILT_IN_MODELS.includes(entry.id)) {
      throw new ScryError(
        'MODEL_UNSUPPORTED',
        `model ${entry.id} of your manifest has the id of one of scry's own models: give it an id of its own`,
      );
    }
    const onnx = files.get('model.onnx');
    const tokenizer = files.get('tokenizer.json');
    if (!onnx || !tokenizer) {
      throw new ScryError(
        'MODEL_UNSUPPORTED',
        `model ${entry.id} needs model.onnx and tokenizer.json`,
      );
    }
    // The built-in manifest or the user's: the same entry point.
    this.#model = wasm.TextModel.loadWithManifest(
      manifest,
      entry.id,
      onnx,
      tokenizer,
      model.batchSize,
    );
    const threads = model.threads ?? defaultThreads();
    if (threads > 1 && canStartHelpers()) {
      this.#pool = new EmbedPool(
        { manifest, id: entry.id, onnx, tokenizer, batchSize: model.batchSize },
        threads,
        this.#assets,
      );
    }
  }

  /** The text model, when the model is one (it remembers recent queries in wasm). */
  #textModel(): WasmTextModel | undefined {
    return this.#clip || this.#external ? undefined : (this.#model as WasmTextModel | undefined);
  }

  /**
   * Opens the GPU scan for the model's vectors: `webgpu` insists (a typed error where WebGPU
   * does not work), `auto` settles for the CPU.
   */
  async #openGpu(wasm: WasmModule, gpu: GpuChoice, engine: WasmEngine): Promise<void> {
    const model = this.#model;
    if (gpu === 'cpu') {
      this.#gpuReason = "gpu: 'cpu'";
      return;
    }
    if (!model) {
      this.#gpuReason = 'no model: nothing to compare on the GPU';
      return;
    }
    const webgpu = (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
    if (webgpu === undefined || !wasm.GpuScan) {
      this.#gpuReason =
        webgpu === undefined
          ? 'WebGPU is not available here'
          : 'the text-only module has no GPU scans (the model has no weights)';
      if (gpu === 'webgpu') {
        throw new ScryError('GPU_UNAVAILABLE', "gpu: 'webgpu' needs WebGPU (navigator.gpu)");
      }
      return;
    }
    let scan: WasmGpuScan;
    try {
      scan = await wasm.GpuScan.open(gpu, model.dims, engine.vectorMetric);
    } catch (e) {
      if (gpu === 'webgpu') throw e;
      this.#gpuReason = `WebGPU failed: ${String((e as { message?: unknown }).message ?? e)}`;
      return;
    }
    const { software, adapter } = scan.info();
    if (gpu === 'auto' && software) {
      // A software adapter never beats the CPU scan: do not keep a second copy for it.
      scan.dispose();
      scan.free();
      this.#gpuReason = `a software adapter (${adapter ?? 'unknown'}): 'auto' scans on the CPU`;
      return;
    }
    this.#gpu = scan;
  }

  /** Gives the GPU scan up (after a failure); searches scan on the CPU from now on. */
  #dropGpu(reason: string): void {
    const gpu = this.#gpu;
    this.#gpu = undefined;
    this.#gpuReason = reason;
    try {
      gpu?.dispose();
      gpu?.free();
    } catch {
      // Still in use by a search: it is collected with its wrapper.
    }
  }

  #get(): WasmEngine {
    // Calls reach the core only after init resolved: without an engine, it was disposed (an
    // in-flight call whose engine went away meanwhile).
    if (!this.#engine) throw new ScryError('DISPOSED', 'the engine was disposed');
    return this.#engine;
  }

  add(documents: unknown[], ctx: CallContext = NO_CONTEXT): Promise<void> {
    return this.#index(documents, ctx, false);
  }

  update(documents: unknown[], ctx: CallContext = NO_CONTEXT): Promise<void> {
    return this.#index(documents, ctx, true);
  }

  /**
   * Adds (or replaces) documents. With a model, their passages are embedded first, in batches,
   * with a progress report after each and a check for an abort between them (yielding to the
   * event loop so that the abort message can arrive); then all are indexed in one step, so an
   * aborted or failed call adds nothing.
   */
  async #index(input: unknown[], ctx: CallContext, replace: boolean): Promise<void> {
    const model = this.#model;
    if (ctx.cancelled()) throw abortedError();
    this.#maintenanceHeld = false;
    // Images are embedded here and vectors checked; the documents go to the core without them.
    const images: (ImageInput | undefined)[] = [];
    const given = new Map<number, Float32Array>();
    const documents = readDocuments(input).map(({ doc, image, vector }, i) => {
      if (image !== undefined && vector !== undefined) {
        throw new ScryError('INVALID_DOCUMENT', 'a document has an image or a vector, not both');
      }
      if (vector !== undefined) {
        given.set(i, this.#checkVector(vector, `document ${i}'s vector`, 'INVALID_DOCUMENT'));
      }
      if (image !== undefined && !isImageInput(image)) {
        throw new ScryError(
          'INVALID_DOCUMENT',
          'a document image must be an ImageBitmap, a Blob, an ImageData or RGBA pixels',
        );
      }
      images.push(image as ImageInput | undefined);
      return doc;
    });
    const imageCount = images.filter((i) => i !== undefined).length;
    if (imageCount > 0 && !this.#clip) {
      throw new ScryError(
        'MODEL_UNSUPPORTED',
        'documents with images need an image-text (CLIP-style) model',
      );
    }
    if (!model) {
      await this.#mutate((engine) => (replace ? engine.update(documents) : engine.add(documents)));
      return;
    }
    // A document with an image or a vector has that one vector (and needs no text: the core
    // checks it when indexing); the others, their passages' (none without the model's weights:
    // those are found by their words only).
    const embedded = documents
      .map((_, i) => i)
      .filter((i) => images[i] === undefined && !given.has(i) && !this.#external);
    const listed = this.#get().passages(
      embedded.map((i) => documents[i]),
      !replace,
    ) as string[][];
    const passages: string[][] = documents.map(() => []);
    embedded.forEach((i, k) => (passages[i] = listed[k] ?? []));
    const texts = passages.flat();
    const dims = model.dims;
    const imageVectors = new Map<number, Float32Array>(given);
    for (const [i, image] of images.entries()) {
      if (image === undefined || !this.#clip) continue;
      const { data, width, height } = await imagePixels(image);
      imageVectors.set(i, this.#clip.embedImage(data, width, height));
      ctx.progress({
        documents: documents.length,
        passages: texts.length + imageCount,
        embedded: imageVectors.size - given.size,
      });
      if (ctx.cancelled()) throw abortedError();
    }
    const vectors = new Float32Array(texts.length * dims);
    await this.#embedAll(
      model,
      texts,
      (j, vector) => vectors.set(vector, j * dims),
      (done) =>
        ctx.progress({
          documents: documents.length,
          passages: texts.length + imageCount,
          embedded: imageCount + done,
        }),
      ctx,
    );
    // Every document's vectors in document order: its image's, or its passages'.
    const counts = Uint32Array.from(passages, (p, i) => (imageVectors.has(i) ? 1 : p.length));
    const all = new Float32Array((texts.length + imageVectors.size) * dims);
    let at = 0;
    let passage = 0;
    for (const [i, p] of passages.entries()) {
      const image = imageVectors.get(i);
      if (image) {
        all.set(image, at);
        at += dims;
        continue;
      }
      all.set(vectors.subarray(passage * dims, (passage + p.length) * dims), at);
      at += p.length * dims;
      passage += p.length;
    }
    await this.#mutate((engine) =>
      engine.indexWithVectors(
        documents,
        all,
        counts,
        model.modelId,
        model.dims,
        model.fingerprint,
        replace,
      ),
    );
  }

  remove(input: string[]): Promise<number> {
    const ids = readIds(input);
    this.#maintenanceHeld = false;
    return this.#mutate((engine) => engine.remove(ids));
  }

  /**
   * Applies a change; with IndexedDB, under the index's lock: first catch up with commits of
   * other tabs, then apply, then commit (all or nothing). A failed commit reloads the stored
   * index, so memory never runs ahead of storage, and rethrows the typed error.
   */
  async #mutate<T>(
    apply: (engine: WasmEngine) => T,
    changed: (result: T) => boolean = () => true,
  ): Promise<T> {
    if (!this.#store) {
      const result = apply(this.#get());
      this.#scheduleMaintenance();
      return result;
    }
    this.#busy++;
    try {
      return await withLock(this.#lockName, async () => {
        if (this.#lost()) await this.#restore();
        let store = this.#storeOrThrow();
        try {
          if ((await store.generation()) !== this.#get().generation) await this.#reload();
        } catch (e) {
          if (!isEvicted(e)) throw e;
          // Taken away since the last call (its `close` event may still be on its way).
          await this.#restore();
          store = this.#storeOrThrow();
        }
        const result = apply(this.#get());
        if (!changed(result)) return result;
        try {
          await this.#commit(store);
        } catch (e) {
          if (!(store.lost || isEvicted(e))) {
            await this.#reload().catch((r: unknown) => {
              if (!isEvicted(r)) throw r;
            });
            if (!store.lost) throw e;
          }
          // Taken away during the write: the restore writes back everything this engine
          // holds, this change included; or it takes another tab's write-back, and the change
          // is applied to that and committed again.
          if ((await this.#restore()) === 'adopted') {
            apply(this.#get());
            await this.#commit(this.#storeOrThrow());
          }
        }
        return result;
      });
    } finally {
      this.#busy--;
      this.#scheduleMaintenance();
    }
  }

  /** Commits the engine's changes to `store` and tells the other tabs. */
  async #commit(store: WasmStore): Promise<void> {
    const engine = this.#get();
    const batch = engine.prepareCommit();
    try {
      await store.write(batch);
      const { generation } = engine.finishCommit(batch);
      this.#channel?.postMessage({ generation });
      // The change is committed: blobs left behind by a failed collection are collected by a
      // later commit, and the caller is not told of a failure that lost nothing.
      // Only what the new manifest retired is deleted; once it is, later manifests stop
      // listing it.
      const collected = await store.collectGarbage(batch).then(
        () => true,
        () => false,
      );
      if (collected) engine.garbageCollected(batch);
    } finally {
      batch.free();
    }
  }

  /**
   * Merges segments and builds HNSW graphs in the background, one task per turn (searches
   * wait at most for one), each committed like any change when the index is stored.
   */
  #scheduleMaintenance(): void {
    // Quiet time restarts with every change; after a failed maintenance commit (quota, say)
    // nothing is retried until the caller changes something.
    clearTimeout(this.#maintenance);
    this.#maintenance = undefined;
    if (this.#maintenanceHeld || !this.#engine?.needsMaintenance) return;
    const timer = setTimeout(() => {
      this.#maintenance = undefined;
      if (!this.#engine?.needsMaintenance) return;
      this.#mutate(
        (engine) => engine.maintainStep(),
        (ran) => ran,
      ).catch(() => {
        this.#maintenanceHeld = true;
      });
    }, MAINTENANCE_DELAY_MS);
    // In Node, pending maintenance does not keep the process alive.
    (timer as { unref?: () => void }).unref?.();
    this.#maintenance = timer;
  }

  #storeOrThrow(): WasmStore {
    if (!this.#store) throw new ScryError('DISPOSED', 'the engine was disposed');
    return this.#store;
  }

  /** Whether the database was taken away and not yet restored. */
  #lost(): boolean {
    return this.#restorePending || this.#store?.lost === true;
  }

  /**
   * The browser took the index's database away while this engine held it (eviction under
   * storage pressure, site data cleared, another page deleting it). Under the index's lock:
   * opens it again, then
   * - finds it empty: writes back everything this engine holds (`'written'`);
   * - finds a newer index, another tab's write-back: takes it (`'adopted'`);
   * - finds an older or unrelated one (a page that started afresh meanwhile): overwrites
   *   nothing and rejects with `STORAGE_EVICTED` (this engine's documents are only in memory).
   * Until one of the first two succeeds, every change retries it and no other tab's commit
   * is taken, so a failed write-back (quota) never empties this engine.
   */
  async #restore(): Promise<'written' | 'adopted'> {
    this.#restorePending = true;
    if (!this.#store || this.#store.lost) {
      const wasm = await loadWasm(this.#build, this.#assets);
      const fresh = await wasm.Store.open(this.#dbName);
      if (!this.#engine) {
        fresh.free();
        throw new ScryError('DISPOSED', 'the engine was disposed');
      }
      this.#store?.free();
      this.#store = fresh;
    }
    const store = this.#store;
    const engine = this.#get();
    const stored = await store.generation();
    let how: 'written' | 'adopted';
    if (stored === 0) {
      const unread = engine.storedChunksMissing().length;
      if (unread > 0) {
        throw new ScryError(
          'STORAGE_EVICTED',
          `the browser cleared the database of index ${this.#dbName} before this engine had ` +
            `read all of it (${unread} parts were only on disk); the index must be rebuilt`,
        );
      }
      engine.forgetStored();
      await this.#commit(store);
      how = 'written';
    } else if (stored > engine.generation) {
      await this.#reload();
      how = 'adopted';
    } else {
      throw new ScryError(
        'STORAGE_EVICTED',
        `the browser cleared the database of index ${this.#dbName} and another page has ` +
          `started a new index in it; this engine's ${engine.size} documents are only in ` +
          `memory and were not written over it`,
      );
    }
    this.#restorePending = false;
    this.#evictions++;
    return how;
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
    this.#scheduleStoredLoad();
  }

  /**
   * Reads the parts of stored segments that no query has needed yet, a batch per turn, after a
   * quiet time: memory then holds the whole index again (merges need it, and a database the
   * browser takes away can be written back). A damaged part stops it; the query that needs
   * that part reports it.
   */
  #scheduleStoredLoad(): void {
    clearTimeout(this.#storedLoad);
    this.#storedLoad = undefined;
    if (!this.#store || !this.#engine) return;
    const engine = this.#engine;
    let missing = engine.storedChunksMissing();
    if (missing.length === 0) return;
    const timer = setTimeout(() => {
      this.#storedLoad = undefined;
      void (async () => {
        // The list is taken once per pass (chunks queries load meanwhile are skipped by the
        // core); a second pass picks up anything a failed read left.
        while (missing.length > 0) {
          for (let i = 0; i < missing.length; i += STORED_LOAD_BATCH) {
            // Replaced (a reload schedules its own load) or disposed.
            if (this.#engine !== engine) return;
            await this.#loadStoredOrRepair(missing.slice(i, i + STORED_LOAD_BATCH));
          }
          if (this.#engine !== engine) return;
          missing = engine.storedChunksMissing();
        }
        this.#scheduleMaintenance();
      })().catch(() => undefined);
    }, STORED_LOAD_DELAY_MS);
    (timer as { unref?: () => void }).unref?.();
    this.#storedLoad = timer;
  }

  /**
   * Reads chunks of stored segments (`chunk/…` keys) into the engine. A chunk missing from
   * storage while another tab has committed means that commit replaced its segment (and
   * collected the chunks): the engine is reloaded and the caller asks again. Missing while
   * the index is unchanged, it is damage (`CORRUPT_DATA`; `repair` rebuilds the segment).
   */
  async #loadStored(keys: readonly string[]): Promise<void> {
    const store = this.#storeOrThrow();
    const engine = this.#get();
    const queue = [...new Set(keys)];
    let missing: string | undefined;
    const worker = async (): Promise<void> => {
      for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
        const bytes = await store.read(key);
        // Reloaded meanwhile: the caller asks the new engine again.
        if (this.#engine !== engine || missing !== undefined) return;
        if (!bytes) {
          missing = key;
          return;
        }
        engine.loadChunk(key, bytes);
      }
    };
    await Promise.all(Array.from({ length: Math.min(STORED_PARALLEL, queue.length) }, worker));
    if (missing === undefined || this.#engine !== engine) return;
    if ((await store.generation()) !== engine.generation) {
      if (this.#engine === engine) await this.#reload();
      return;
    }
    throw new ScryError(
      'CORRUPT_DATA',
      `${missing} of index ${this.#dbName} is listed by a stored segment but missing from ` +
        `storage (repair rebuilds the segment)`,
    );
  }

  /** Loads the chunks a query asked for; `false` if some cannot be loaded here. */
  async #loadChunks(names: string[]): Promise<boolean> {
    const stored = names.filter((n) => n.startsWith(STORED_CHUNK_PREFIX));
    const other = names.filter((n) => !n.startsWith(STORED_CHUNK_PREFIX));
    const index = this.#static;
    if ((other.length > 0 && !index) || (stored.length > 0 && !this.#store)) return false;
    await Promise.all([
      other.length > 0 && index ? index.load(() => this.#get(), other) : undefined,
      stored.length > 0 ? this.#loadStoredOrRepair(stored) : undefined,
    ]);
    return true;
  }

  /**
   * {@link Core.#loadStored}; with `repair: true`, a damaged part rebuilds its segments from
   * the documents store and reloads the index (the caller asks the new engine again).
   */
  async #loadStoredOrRepair(keys: readonly string[]): Promise<void> {
    try {
      await this.#loadStored(keys);
    } catch (e) {
      const store = this.#store;
      if (!this.#repair || !store || errorCode(e) !== 'CORRUPT_DATA') throw e;
      await this.#repairStored(store);
      await this.#reload();
    }
  }

  /** Another tab committed: reload unless a change of ours is in flight (it catches up). */
  async #refresh(): Promise<void> {
    const store = this.#store;
    // A database taken away is restored by the next change, under the lock.
    if (!store || this.#busy > 0 || this.#lost()) return;
    try {
      if ((await store.generation()) !== this.#get().generation && this.#busy === 0) {
        await this.#reload();
      }
    } catch {
      // The next change reloads under the lock and reports any error.
    }
  }

  async search(
    query: string | ImageInput,
    options: Record<string, unknown>,
    given?: Float32Array,
  ): Promise<unknown> {
    // Checked again here: what reaches wasm is this call's own copy.
    if (options['filter'] !== undefined) {
      options = { ...options, filter: checkFilter(options['filter']) };
    }
    if (given !== undefined) {
      if (typeof query !== 'string') {
        throw new ScryError('INVALID_QUERY', 'a query is an image or a vector, not both');
      }
      const vector = this.#checkVector(given, 'the query vector', 'INVALID_QUERY');
      return this.#read((engine) => this.#searchVector(engine, query, options, vector));
    }
    if (typeof query !== 'string') return this.#searchImage(query, options);
    const model = this.#model;
    const text = this.#textModel();
    const wantsVector =
      model !== undefined && !this.#external && options['mode'] !== 'text' && query.trim() !== '';
    // Embedded once, up front, unless the text model embeds it in wasm (remembering it).
    let vector: Float32Array | undefined;
    return this.#read((engine) => {
      const rows = this.#gpuRows(engine, options, wantsVector);
      if (rows === 0 && text) return engine.searchEmbedded(query, options, text);
      if (wantsVector && model) vector ??= model.embed([query]);
      return this.#searchVector(engine, query, options, vector, rows);
    });
  }

  /** A vector from the page: of the model's dimension, finite. */
  #checkVector(v: unknown, what: string, code: 'INVALID_QUERY' | 'INVALID_DOCUMENT'): Float32Array {
    const model = this.#model;
    if (!model) {
      throw new ScryError('MODEL_UNSUPPORTED', `${what}: vectors need the engine's model`);
    }
    if (!(v instanceof Float32Array)) throw new ScryError(code, `${what} must be a Float32Array`);
    if (v.length !== model.dims) {
      throw new ScryError(
        code,
        `${what} has ${v.length} values; ${model.modelId} gives ${model.dims}`,
      );
    }
    if (!v.every(Number.isFinite)) throw new ScryError(code, `${what} has non-finite values`);
    return v;
  }

  /** A search by image: its embedding against the documents' vectors. */
  async #searchImage(image: ImageInput, options: Record<string, unknown>): Promise<unknown> {
    const clip = this.#clip;
    if (!clip) {
      throw new ScryError(
        'MODEL_UNSUPPORTED',
        'image queries need an image-text (CLIP-style) model',
      );
    }
    if (options['mode'] === 'text') {
      throw new ScryError('INVALID_QUERY', "an image query needs mode 'vector' or 'hybrid'");
    }
    const { data, width, height } = await imagePixels(image);
    const vector = clip.embedImage(data, width, height);
    return this.#read((engine) => this.#searchVector(engine, '', options, vector));
  }

  /** Candidate rows the GPU scan should give a search (0: it cannot help, the CPU scans). */
  #gpuRows(engine: WasmEngine, options: Record<string, unknown>, hasVector: boolean): number {
    return this.#gpu && hasVector ? engine.flatCandidateRows(options) : 0;
  }

  /** A search with the query's vector (if any), its flat segments on the GPU when it helps. */
  #searchVector(
    engine: WasmEngine,
    query: string,
    options: Record<string, unknown>,
    vector: Float32Array | undefined,
    rows = this.#gpuRows(engine, options, vector !== undefined),
  ): unknown {
    const gpu = this.#gpu;
    if (!gpu || !vector || rows === 0) return engine.search(query, options, vector);
    return this.#searchGpu(gpu, vector, query, options, rows);
  }

  /**
   * A search whose flat segments are scanned on the GPU: the query is embedded once, the scan
   * catches up with the engine and picks candidates (queued: one GPU search at a time), and
   * the engine (whichever is current once the GPU answers) re-scores them exactly. Without
   * candidates (`auto` below the crossover, a lost device) the engine scans on the CPU.
   */
  #searchGpu(
    gpu: WasmGpuScan,
    vector: Float32Array,
    query: string,
    options: Record<string, unknown>,
    rows: number,
  ): Promise<unknown> {
    const run = this.#gpuQueue.then(async () => {
      // The scan may have been given up while this search waited its turn.
      if (this.#gpu !== gpu) return this.#get().search(query, options, vector);
      gpu.sync(this.#get());
      const candidates = await gpu.search(vector, rows);
      try {
        const engine = this.#get();
        if (candidates) {
          return engine.searchWithCandidates(query, options, vector, candidates);
        }
        // No candidates: below the crossover, or the device was lost (then it is given up).
        const failure = this.#gpu === gpu ? gpu.info().failure : undefined;
        if (failure !== undefined) this.#dropGpu(`the GPU failed: ${failure}`);
        return engine.search(query, options, vector);
      } finally {
        candidates?.free();
      }
    });
    this.#gpuQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * The model's vectors of `input` (checked again: this is the core's own copy), in batches of
   * texts of similar length, with a progress report after each and a check for an abort between
   * them (yielding to the event loop so that the abort message can arrive).
   */
  async embed(input: unknown, ctx: CallContext = NO_CONTEXT): Promise<Float32Array[]> {
    const texts = readTexts(input);
    const model = this.#model;
    if (!model || this.#external) {
      throw new ScryError(
        'MODEL_UNSUPPORTED',
        model
          ? `model ${model.modelId} has no weights here: embed() needs a model with its files`
          : "embed() needs the engine's model",
      );
    }
    if (ctx.cancelled()) throw abortedError();
    const out = new Array<Float32Array>(texts.length);
    await this.#embedAll(
      model,
      texts,
      (j, vector) => (out[j] = vector.slice()),
      (done) => ctx.progress({ embedded: done, total: texts.length }),
      ctx,
    );
    return out;
  }

  /**
   * Embeds `texts` with `model` in batches of texts of similar length (a batch is padded to its
   * longest text), on this thread and the pool's helpers (`model.threads`): text `j`'s vector
   * goes to `store(j, vector)` (a view, valid during the call), the count done so far to
   * `report` after each batch. Checks for an abort between batches (yielding to the event loop
   * so that the abort message can arrive), and that the engine was not disposed meanwhile.
   */
  async #embedAll(
    model: WasmEmbedder,
    texts: string[],
    store: (j: number, vector: Float32Array) => void,
    report: (done: number) => void,
    ctx: CallContext,
  ): Promise<void> {
    const dims = model.dims;
    const order = texts.map((_, i) => i).sort((a, b) => texts[a]!.length - texts[b]!.length);
    const batches: number[][] = [];
    for (let i = 0; i < order.length; i += EMBED_BATCH)
      batches.push(order.slice(i, i + EMBED_BATCH));
    let done = 0;
    const finish = (b: number, vectors: Float32Array) => {
      batches[b]!.forEach((j, k) => store(j, vectors.subarray(k * dims, (k + 1) * dims)));
      done += batches[b]!.length;
      report(done);
    };
    const local = (slots: string[]) => {
      // Disposed meanwhile: the model is freed.
      if (this.#model !== model) throw new ScryError('DISPOSED', 'the engine was disposed');
      return model.embed(slots);
    };
    // The pool is the current model's (a text model's); `model` may be one disposed since.
    const pool = model === this.#model ? this.#pool : undefined;
    if (pool) {
      await pool.run(
        batches.map((slots) => slots.map((j) => texts[j]!)),
        local,
        finish,
        () => ctx.cancelled(),
      );
      this.#embedThreads = pool.lastThreads;
    } else {
      for (const [b, slots] of batches.entries()) {
        finish(b, local(slots.map((j) => texts[j]!)));
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (ctx.cancelled()) break;
      }
      this.#embedThreads = 1;
    }
    if (ctx.cancelled()) throw abortedError();
    if (this.#model !== model) throw new ScryError('DISPOSED', 'the engine was disposed');
  }

  suggest(query: string, options: Record<string, unknown>): Promise<unknown[]> {
    const text = this.#textModel();
    // Suggestions compare texts: with an image-text model, they are full-text ones.
    return this.#read((engine) =>
      text ? engine.suggestEmbedded(query, options, text) : engine.suggest(query, options),
    );
  }

  /**
   * Runs a query on the current engine, loading the chunks it asks for (of the static index,
   * of stored segments not read yet).
   */
  #read(run: (engine: WasmEngine) => unknown): Promise<unknown[]> {
    return withChunks(
      (names) => this.#loadChunks(names),
      () => run(this.#get()) as unknown[] | Promise<unknown[]>,
    );
  }

  counts(): {
    documents: number;
    segments: number;
    graphSegments: number;
    vectors: number;
    evictions: number;
    embedThreads?: number;
    repaired?: RepairInfo;
    integrity?: IntegrityInfo;
    wasm: WasmBuild;
  } {
    const e = this.#get();
    return {
      wasm: this.#build,
      documents: e.size,
      segments: e.segmentCount,
      graphSegments: e.graphSegmentCount,
      vectors: e.vectorCount,
      evictions: this.#evictions,
      ...(this.#textModel() ? { embedThreads: this.#embedThreads } : {}),
      ...(this.#repaired ? { repaired: this.#repaired } : {}),
      ...(this.#store
        ? {
            integrity: {
              checkedAtOpen: ['manifest', 'segment-meta-files'],
              chunksUnchecked: e.storedChunksMissing().length,
              documentsStoreChecked: false,
            },
          }
        : {}),
    };
  }

  staticInfo(): StaticIndexInfo | undefined {
    return this.#static?.info(this.#get());
  }

  async gpuInfo(): Promise<GpuInfo> {
    const gpu = this.#gpu;
    if (!gpu) return { backend: 'cpu', vectors: 0, searches: 0, reason: this.#gpuReason ?? '' };
    // After any GPU search in flight (the scan is exclusive meanwhile).
    await this.#gpuQueue;
    if (this.#gpu !== gpu) return this.gpuInfo();
    const i = gpu.info();
    const reason =
      i.failure ??
      (i.backend === 'cpu' ? "below the size where 'auto' gains from the GPU" : undefined);
    return {
      backend: i.backend,
      ...(i.adapter !== undefined ? { adapter: i.adapter } : {}),
      software: i.software,
      vectors: i.liveRows,
      searches: i.gpuSearches,
      ...(reason !== undefined ? { reason } : {}),
    };
  }

  /** Runs one method and wraps its outcome as a response. */
  async handle<M extends Method>(
    id: number,
    method: M,
    args: CoreMethods[M]['args'],
    ctx: CallContext = NO_CONTEXT,
  ): Promise<Response> {
    try {
      const fn = this[method] as (...a: unknown[]) => unknown;
      if (typeof fn !== 'function') throw new ScryError('INTERNAL', `unknown method ${method}`);
      // Adds, updates and embeds take the call context after their one argument, init after
      // its six.
      const full =
        method === 'add' || method === 'update' || method === 'embed'
          ? [args[0], ctx]
          : method === 'init'
            ? [args[0], args[1], args[2], args[3], args[4], args[5], ctx]
            : args;
      const value = await fn.apply(this, full as unknown[]);
      return { id, ok: true, value };
    } catch (e) {
      return { id, ok: false, error: toWireError(e) };
    }
  }

  /**
   * Disposes after the commit in flight, if any, then releases the directory's lock
   * (`storage: 'file'`).
   */
  async close(): Promise<void> {
    const files = this.#files;
    this.#files = undefined;
    if (files) await withLock(this.#lockName, () => Promise.resolve()).catch(() => undefined);
    this.dispose();
    await files?.close();
  }

  dispose(): void {
    void this.#files?.close();
    this.#files = undefined;
    this.#repaired = undefined;
    this.#evictions = 0;
    this.#restorePending = false;
    this.#channel?.close();
    this.#channel = undefined;
    this.#store?.free();
    this.#store = undefined;
    this.#engine?.free();
    this.#engine = undefined;
    this.#model?.free();
    this.#model = undefined;
    this.#pool?.terminate();
    this.#pool = undefined;
    this.#embedThreads = 0;
    this.#clip = undefined;
    this.#external = false;
    this.#dropGpu('the engine was disposed');
    this.#gpuQueue = Promise.resolve();
    this.#maintenanceHeld = false;
    clearTimeout(this.#prefetch);
    clearTimeout(this.#storedLoad);
    this.#storedLoad = undefined;
    clearTimeout(this.#maintenance);
    this.#maintenance = undefined;
    this.#static?.close();
    this.#static = undefined;
  }
}

/**
 * A model without weights (`model: { id, dims }`): vectors computed elsewhere are indexed and
 * searched under its id, which the index records, so vectors of different models never mix.
 */
function externalModel(id: string, dims: number): WasmEmbedder {
  return {
    dims,
    modelId: id,
    // What the index records beside the id: the same id and dimension are the same model.
    fingerprint: `external:${dims}:${id}`,
    embed(): Float32Array {
      throw new ScryError(
        'MODEL_UNSUPPORTED',
        `model ${id} has no weights here: give documents and queries their vectors`,
      );
    },
    free(): void {},
  };
}

/**
 * Refuses an engine whose index (stored or static) was made with another analyzer than
 * `options.analyzer` asks for (`INVALID_OPTIONS`); compared by the core as the terms they make.
 */
function checkAnalyzer(options: Record<string, unknown>, engine: WasmEngine): void {
  const wanted = (options as CoreEngineOptions).analyzer;
  if (!wanted || engine.sameAnalyzer(wanted)) return;
  throw new ScryError(
    'INVALID_OPTIONS',
    analyzerMismatch(wanted, engine.analyzer) ??
      'the index was built with another analyzer (leave analyzer out to use it)',
  );
}
