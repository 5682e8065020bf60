/**
 * A static index built by `scry index`, loaded over HTTP chunk by chunk (Pagefind's model).
 * `scry.json` names the meta file; every other file is named by its content hash, so it is
 * immutable: fetched once, kept in Cache Storage, and checked by the wasm core against its name
 * before use. A query that needs chunks not loaded yet fails inside the core with
 * `CHUNKS_NEEDED`; {@link StaticIndex.load} fetches them and the query runs again.
 */

import { ScryError } from '../public/errors.js';
import type { StaticIndexInfo } from '../public/types.js';
import type { ResolvedStaticIndex } from './options.js';
import type { WasmEngine } from './wasm.js';
import { errorCode } from './error-code.js';

/** Name of the Cache Storage cache holding static index files (versioned with the layout). */
export const STATIC_CACHE = 'scry-static-v1';
/** The newest `scry.json` format this build reads. */
const FORMAT = 1;
/** Requests in flight at once. */
const PARALLEL = 6;

/** A fetched file and where it came from. */
interface Fetched {
  bytes: Uint8Array;
  cached: boolean;
}

/** What `scry.json` says. */
interface Entry {
  format: number;
  meta: string;
  documents: number;
  vectors: number;
  model: string | null;
  dims?: number | null;
  bytes: number;
  chunks?: Record<string, { files: number; bytes: number }>;
}

/** The largest chunk a build writes, for the plausibility bound on `bytes` (a site's whole
 * vector set is one chunk: about 675 B per passage, so 256 MiB is ~400,000 passages). */
const MAX_CHUNK_BYTES = 256 * 1024 * 1024;

async function openCache(enabled: boolean): Promise<Cache | undefined> {
  if (!enabled || typeof caches === 'undefined') return undefined;
  try {
    return await caches.open(STATIC_CACHE);
  } catch {
    return undefined;
  }
}

function fetchError(url: string, why: unknown): ScryError {
  const reason = why instanceof Error ? why.message : String(why);
  return new ScryError('INDEX_FETCH', `cannot load ${url}: ${reason}`, { cause: why });
}

function aborted(): ScryError {
  return new ScryError('ABORTED', 'loading the static index was aborted');
}

async function download(url: string, signal?: AbortSignal): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, signal ? { signal } : {});
  } catch (e) {
    if (signal?.aborted) throw aborted();
    throw fetchError(url, e);
  }
  if (!res.ok) throw fetchError(url, `HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The static index attached to one engine. */
export class StaticIndex {
  readonly #base: string;
  readonly #cache: Cache | undefined;
  readonly #entry: Entry;
  #meta: Uint8Array = new Uint8Array();
  /** Whether the meta file came from Cache Storage (a damaged copy is fetched again). */
  #metaCached = false;
  /** Set when the engine is disposed: background loads stop. */
  #closed = false;
  /** Chunks being fetched, by name (a chunk two queries need is fetched once). */
  readonly #pending = new Map<string, Promise<Fetched>>();
  #requests = 0;
  #bytes = 0;
  #fromCache = 0;

  private constructor(base: string, cache: Cache | undefined, entry: Entry) {
    this.#base = base;
    this.#cache = cache;
    this.#entry = entry;
  }

  /** Fetches `scry.json` (fresh when online, the cached copy offline) and the meta file. */
  static async open(spec: ResolvedStaticIndex, signal?: AbortSignal): Promise<StaticIndex> {
    const cache = await openCache(spec.cache);
    const entryUrl = new URL('scry.json', spec.url).href;
    let text: string;
    try {
      const res = await fetch(entryUrl, { cache: 'no-cache', ...(signal ? { signal } : {}) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
      await cache?.put(entryUrl, new Response(text)).catch(() => undefined);
    } catch (e) {
      if (signal?.aborted) throw aborted();
      const cached = await cache?.match(entryUrl);
      if (!cached) throw fetchError(entryUrl, e);
      text = await cached.text();
    }
    let entry: Entry;
    try {
      entry = JSON.parse(text) as Entry;
    } catch (e) {
      throw new ScryError('CORRUPT_DATA', `${entryUrl} is not JSON: ${String(e)}`);
    }
    if (typeof entry !== 'object' || entry === null || typeof entry.format !== 'number') {
      throw new ScryError('CORRUPT_DATA', `${entryUrl} is not a scry index entry`);
    }
    if (entry.format !== FORMAT) {
      throw new ScryError(
        'UNSUPPORTED_VERSION',
        `${entryUrl} has format ${entry.format}; this build reads format ${FORMAT}`,
      );
    }
    if (typeof entry.meta !== 'string' || !/^meta\/[0-9a-f]{32}\.bin$/.test(entry.meta)) {
      throw new ScryError('CORRUPT_DATA', `${entryUrl} names no valid meta file`);
    }
    // Numbers are checked here for their shape, and against the meta file once it is read.
    for (const key of ['documents', 'vectors', 'bytes'] as const) {
      const v: unknown = entry[key];
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
        throw new ScryError(
          'CORRUPT_DATA',
          `${entryUrl}: "${key}" must be a whole number of at least 0, not ${JSON.stringify(v)}`,
        );
      }
    }
    if (entry.model !== null && entry.model !== undefined && typeof entry.model !== 'string') {
      throw new ScryError('CORRUPT_DATA', `${entryUrl}: "model" must be a string or null`);
    }
    const index = new StaticIndex(spec.url, cache, entry);
    const meta = await index.#fetch(entry.meta, false, signal);
    index.#meta = meta.bytes;
    index.#metaCached = meta.cached;
    return index;
  }

  /** The index's model id (its vectors'), if it has vectors. */
  get model(): string | undefined {
    return this.#entry.vectors > 0 && this.#entry.model ? this.#entry.model : undefined;
  }

  /** Adds the index to `engine` (again after the engine was reloaded). */
  async attach(engine: WasmEngine): Promise<void> {
    try {
      engine.attachStatic(this.#entry.meta, this.#meta);
    } catch (e) {
      if (!this.#metaCached || !isCorrupt(e)) throw e;
      // A damaged cached copy: drop it and download the file again.
      await this.#cache?.delete(new URL(this.#entry.meta, this.#base).href).catch(() => false);
      this.#meta = (await this.#fetch(this.#entry.meta, true)).bytes;
      this.#metaCached = false;
      engine.attachStatic(this.#entry.meta, this.#meta);
    }
    this.#checkCounts(engine);
    if (!this.#metaCached) await this.#keep(this.#entry.meta, this.#meta);
    await this.#prune(engine);
  }

  /**
   * Every number and name of `scry.json` must be what the meta file holds (they are shown in
   * `info()` and decide the model check): counts, model and dimension, files per kind; the
   * total size must be at least the meta file and at most what its chunks can hold.
   */
  #checkCounts(engine: WasmEngine): void {
    const [documents, vectors] = engine.staticCounts();
    const [model, dims] = engine.staticModel() ?? [null, null];
    const entry = this.#entry;
    const chunks = engine.staticChunks();
    const perKind = new Map<string, number>([['meta', 1]]);
    for (const c of chunks) {
      const kind = c.name.split('/')[0] ?? '';
      perKind.set(kind, (perKind.get(kind) ?? 0) + 1);
    }
    const listed = entry.chunks;
    const listedWrong =
      listed === undefined
        ? undefined
        : typeof listed !== 'object' || listed === null
          ? '"chunks" is not an object'
          : [...new Set([...Object.keys(listed), ...perKind.keys()])].find((kind) => {
              const l = listed[kind];
              return (
                l === undefined ||
                l.files !== (perKind.get(kind) ?? 0) ||
                !Number.isSafeInteger(l.bytes) ||
                l.bytes < 0
              );
            });
    const wrong =
      entry.documents !== documents
        ? `"documents" says ${entry.documents}; the meta file holds ${documents}`
        : entry.vectors !== vectors
          ? `"vectors" says ${entry.vectors}; the meta file holds ${vectors}`
          : (entry.model ?? null) !== model
            ? `"model" says ${JSON.stringify(entry.model)}; the meta file names ${JSON.stringify(model)}`
            : entry.dims !== undefined && entry.dims !== dims
              ? `"dims" says ${JSON.stringify(entry.dims)}; the meta file holds ${String(dims)}`
              : entry.bytes < this.#meta.byteLength
                ? `"bytes" says ${entry.bytes}, less than the meta file alone`
                : entry.bytes > this.#meta.byteLength + chunks.length * MAX_CHUNK_BYTES
                  ? `"bytes" says ${entry.bytes}, more than its ${chunks.length} chunks can hold`
                  : listedWrong !== undefined
                    ? `"chunks" does not list the meta file's chunks (${listedWrong})`
                    : undefined;
    if (wrong !== undefined) {
      throw new ScryError('CORRUPT_DATA', `${new URL('scry.json', this.#base).href}: ${wrong}`);
    }
  }

  /**
   * Drops cached files of this index's folder that the current version no longer lists (an
   * earlier deploy's chunks): Cache Storage keeps only what can still be used.
   */
  async #prune(engine: WasmEngine): Promise<void> {
    const cache = this.#cache;
    if (!cache) return;
    const live = new Set(
      ['scry.json', this.#entry.meta, ...engine.staticChunks().map((c) => c.name)].map(
        (name) => new URL(name, this.#base).href,
      ),
    );
    try {
      for (const request of await cache.keys()) {
        if (request.url.startsWith(this.#base) && !live.has(request.url)) {
          await cache.delete(request);
        }
      }
    } catch {
      // Pruning only saves space.
    }
  }

  /** Stops background loading (the engine was disposed). */
  close(): void {
    this.#closed = true;
  }

  /** Puts a downloaded file the core accepted into Cache Storage. */
  async #keep(name: string, bytes: Uint8Array): Promise<void> {
    const cache = this.#cache;
    if (!cache) return;
    const url = new URL(name, this.#base).href;
    try {
      const body = new Uint8Array(bytes.byteLength);
      body.set(bytes);
      await cache.put(url, new Response(body.buffer));
    } catch {
      // A full or refused cache only costs a later download.
    }
  }

  /** Fetches one file: Cache Storage first (names are content hashes), then the network. */
  async #fetch(name: string, network = false, signal?: AbortSignal): Promise<Fetched> {
    const url = new URL(name, this.#base).href;
    const hit = network ? undefined : await this.#cache?.match(url).catch(() => undefined);
    if (hit) {
      this.#fromCache++;
      return { bytes: new Uint8Array(await hit.arrayBuffer()), cached: true };
    }
    this.#requests++;
    const bytes = await download(url, signal);
    this.#bytes += bytes.byteLength;
    return { bytes, cached: false };
  }

  /** Fetches `names` (at most {@link PARALLEL} at a time) and hands them to the core. */
  async load(engine: () => WasmEngine, names: readonly string[]): Promise<void> {
    const queue = [...new Set(names)];
    const worker = async (): Promise<void> => {
      for (let name = queue.shift(); name !== undefined && !this.#closed; name = queue.shift()) {
        let pending = this.#pending.get(name);
        if (!pending) {
          pending = this.#fetch(name);
          this.#pending.set(name, pending);
        }
        let got: Fetched;
        try {
          got = await pending;
        } finally {
          this.#pending.delete(name);
        }
        // The core checks the bytes against the name; only then are they worth caching.
        try {
          engine().loadChunk(name, got.bytes);
        } catch (e) {
          if (!got.cached || !isCorrupt(e)) throw e;
          // A damaged cached copy: drop it and download the file again.
          await this.#cache?.delete(new URL(name, this.#base).href).catch(() => undefined);
          got = await this.#fetch(name, true);
          engine().loadChunk(name, got.bytes);
        }
        if (!got.cached) await this.#keep(name, got.bytes);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, worker));
  }

  /** Loads every chunk not loaded yet (for offline use). */
  async loadAll(engine: () => WasmEngine): Promise<void> {
    const missing = engine()
      .staticChunks()
      .filter((c) => !c.loaded)
      .map((c) => c.name);
    await this.load(engine, missing);
  }

  /** Counters for {@link EngineInfo}. */
  info(engine: WasmEngine): StaticIndexInfo {
    const chunks = engine.staticChunks();
    return {
      url: this.#base,
      documents: this.#entry.documents,
      vectors: this.#entry.vectors,
      bytes: this.#entry.bytes,
      chunks: chunks.length,
      chunksLoaded: chunks.filter((c) => c.loaded).length,
      requests: this.#requests,
      bytesFetched: this.#bytes,
      fromCache: this.#fromCache,
    };
  }
}

function isCorrupt(e: unknown): boolean {
  return errorCode(e) === 'CORRUPT_DATA';
}

/**
 * Runs `run`; while the core asks for chunks (of a static index, or of stored segments opened
 * lazily), has `load` load them and runs it again. `load` resolves to `false` when it cannot
 * load some of them (the error is then rethrown).
 */
export async function withChunks<T>(
  load: (names: string[]) => Promise<boolean>,
  run: () => T | Promise<T>,
): Promise<T> {
  for (let round = 0; ; round++) {
    try {
      return await run();
    } catch (e) {
      const { code, chunks } = (e ?? {}) as { code?: unknown; chunks?: unknown };
      if (code !== 'CHUNKS_NEEDED' || !Array.isArray(chunks) || round >= 32) throw e;
      if (!(await load(chunks as string[]))) throw e;
    }
  }
}
