/** Loads the wasm core: the `web` build in browsers and workers, the `nodejs` build in Node. */

import { ScryError } from '../public/errors.js';
import type { CoreAnalyzer } from './options.js';

/** What the core needs of any embedding model (`TextModel`, `ClipModel`). */
export interface WasmEmbedder {
  embed(texts: string[]): Float32Array;
  readonly dims: number;
  readonly modelId: string;
  readonly fingerprint: string;
  free(): void;
}

/** The slice of the wasm-bindgen `TextModel` class the core uses. */
export interface WasmTextModel extends WasmEmbedder {
  readonly kind?: undefined;
}

/** The slice of the wasm-bindgen `ClipModel` class the core uses. */
export interface WasmClipModel extends WasmEmbedder {
  embedImage(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Float32Array;
}

/** The slice of the wasm-bindgen `Engine` class the core uses. */
export interface WasmEngine {
  /** The id of the model whose vectors the index holds, if any. */
  readonly modelId: string | undefined;
  /** The analyzer the index is built with (a stored or static index's own). */
  readonly analyzer: CoreAnalyzer;
  /** Whether the analyzer options `wanted` (the fields given) make the index's terms. */
  sameAnalyzer(wanted: CoreAnalyzer): boolean;
  add(documents: unknown): void;
  addEmbedded(documents: unknown, model: WasmTextModel): void;
  remove(ids: string[]): number;
  update(documents: unknown): void;
  passages(documents: unknown, forAdd: boolean): unknown;
  indexWithVectors(
    documents: unknown,
    vectors: Float32Array,
    counts: Uint32Array,
    modelId: string,
    dims: number,
    fingerprint: string,
    replace: boolean,
  ): void;
  attachStatic(name: string, bytes: Uint8Array): void;
  loadChunk(name: string, bytes: Uint8Array): void;
  staticChunks(): { name: string; loaded: boolean }[];
  staticCounts(): Float64Array;
  staticModel(): [string, number] | undefined;
  storedChunksMissing(): string[];
  search(query: string, options: unknown, vector: Float32Array | undefined): unknown;
  searchWithCandidates(
    query: string,
    options: unknown,
    vector: Float32Array,
    candidates: WasmCandidates,
  ): unknown;
  flatCandidateRows(options: unknown): number;
  readonly needsMaintenance: boolean;
  readonly segmentCount: number;
  readonly graphSegmentCount: number;
  readonly vectorCount: number;
  maintainStep(): boolean;
  readonly vectorMetric: string;
  searchEmbedded(query: string, options: unknown, model: WasmTextModel): unknown;
  suggest(query: string, options: unknown): unknown;
  suggestEmbedded(query: string, options: unknown, model: WasmTextModel): unknown;
  readonly size: number;
  readonly generation: number;
  prepareCommit(): WasmCommitBatch;
  forgetStored(): void;
  finishCommit(batch: WasmCommitBatch): { generation: number; bytesWritten: number };
  garbageCollected(batch: WasmCommitBatch): void;
  free(): void;
}

/** The GPU's vector candidates for one search (wasm-bindgen `Candidates`). */
export interface WasmCandidates {
  free(): void;
}

/** The engine's flat segments on the GPU (wasm-bindgen `GpuScan`). */
export interface WasmGpuScan {
  sync(engine: WasmEngine): void;
  search(query: Float32Array, rows: number): Promise<WasmCandidates | undefined>;
  info(): {
    backend: 'webgpu' | 'cpu';
    adapter?: string;
    software: boolean;
    rows: number;
    liveRows: number;
    gpuSearches: number;
    failure?: string;
  };
  dispose(): void;
  free(): void;
}

/** A commit between its halves (wasm-bindgen `CommitBatch`). */
export interface WasmCommitBatch {
  readonly bytes: number;
  free(): void;
}

/** An index's IndexedDB database (wasm-bindgen `Store`). */
export interface WasmStore {
  openEngine(options: unknown): Promise<WasmEngine>;
  generation(): Promise<number>;
  read(key: string): Promise<Uint8Array | undefined>;
  write(batch: WasmCommitBatch): Promise<void>;
  collectGarbage(batch: WasmCommitBatch): Promise<number>;
  repair(options: unknown): Promise<{
    segments: number;
    documents: number;
    generation: number;
    manifest: 'intact' | 'backup' | 'rebuilt';
  }>;
  /** The browser took the database away (`STORAGE_EVICTED` since). */
  readonly lost: boolean;
  free(): void;
}

/** The wasm module's exports. */
export interface WasmModule {
  Engine: new (options: unknown) => WasmEngine;
  TextModel: {
    /** Text model `id` of `manifest` (scry's built-in one, `modelManifest()`, or the user's). */
    loadWithManifest(
      manifest: string,
      id: string,
      modelOnnx: Uint8Array,
      tokenizerJson: Uint8Array,
      batchSize: number | undefined,
    ): WasmTextModel;
  };
  ClipModel: {
    load(
      manifest: string,
      id: string,
      visionOnnx: Uint8Array,
      textOnnx: Uint8Array,
      tokenizerJson: Uint8Array,
    ): WasmClipModel;
  };
  Store: {
    open(name: string): Promise<WasmStore>;
    destroy(name: string): Promise<void>;
    /** A store over a backend written in JavaScript (`storage: 'file'`). */
    withBackend(backend: {
      get(key: string): Promise<Uint8Array | undefined>;
      list(prefix: string): Promise<string[]>;
      commit(keys: string[], values: Uint8Array[], deletes: string[]): Promise<void>;
    }): WasmStore;
  };
  /** Only in the `web` build (WebGPU). */
  GpuScan?: { open(backend: string, dims: number, metric: string): Promise<WasmGpuScan> };
  modelManifest(): string;
  version(): string;
}

/**
 * Which wasm module: `full` (the embedders, WebGPU scans) or `text` (full-text search and
 * vectors given as numbers; a fraction of the size). Node always runs the full module.
 */
export type WasmBuild = 'full' | 'text';

const loading = new Map<string, Promise<WasmModule>>();

/** Whether this is Node.js (the `nodejs` wasm build, file storage). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof p?.versions?.node === 'string';
}

type WebGlue = WasmModule & {
  default: (input: { module_or_path: URL }) => Promise<unknown>;
};

async function load(build: WasmBuild, assets: string | undefined): Promise<WasmModule> {
  if (isNode()) {
    // A variable specifier keeps browser bundlers from resolving a Node built-in.
    const nodeModule = 'node:module';
    const { createRequire } = (await import(
      /* @vite-ignore */ /* webpackIgnore: true */ nodeModule
    )) as {
      createRequire: (url: string) => (id: string) => unknown;
    };
    return createRequire(import.meta.url)('../wasm/node/scry_wasm.js') as WasmModule;
  }
  if (assets !== undefined) {
    // The package's `dist/` copied by the app (`EngineOptions.assets`).
    const folder = build === 'text' ? 'web-text' : 'web';
    const glue = new URL(`wasm/${folder}/scry_wasm.js`, assets);
    const mod = (await import(/* @vite-ignore */ /* webpackIgnore: true */ glue.href)) as WebGlue;
    await mod.default({ module_or_path: new URL(`wasm/${folder}/scry_wasm_bg.wasm`, assets) });
    return mod;
  }
  // Both files are addressed with `new URL(..., import.meta.url)`, which works unbundled and
  // which bundlers (Vite, webpack 5) rewrite to the emitted assets.
  if (build === 'text') {
    const glue = new URL('../wasm/web-text/scry_wasm.js', import.meta.url);
    const mod = (await import(/* @vite-ignore */ /* webpackIgnore: true */ glue.href)) as WebGlue;
    await mod.default({
      module_or_path: new URL('../wasm/web-text/scry_wasm_bg.wasm', import.meta.url),
    });
    return mod;
  }
  const glue = new URL('../wasm/web/scry_wasm.js', import.meta.url);
  const mod = (await import(/* @vite-ignore */ /* webpackIgnore: true */ glue.href)) as WebGlue;
  await mod.default({ module_or_path: new URL('../wasm/web/scry_wasm_bg.wasm', import.meta.url) });
  return mod;
}

/** The build `build` comes as here: Node has the full one only. */
export function wasmBuild(build: WasmBuild): WasmBuild {
  return isNode() ? 'full' : build;
}

/**
 * Loads (once per build and `assets` folder) and returns the wasm module; `assets`: where the
 * package's `dist/` is served (`EngineOptions.assets`), default beside this module.
 */
export function loadWasm(build: WasmBuild = 'full', assets?: string): Promise<WasmModule> {
  const which = wasmBuild(build);
  const from = isNode() ? undefined : assets;
  const key = `${which} ${from ?? ''}`;
  let module = loading.get(key);
  if (!module) {
    module = load(which, from).catch((e: unknown) => {
      loading.delete(key);
      throw new ScryError('WASM_LOAD_FAILED', `could not load scry's WebAssembly: ${String(e)}`, {
        cause: e,
      });
    });
    loading.set(key, module);
  }
  return module;
}
