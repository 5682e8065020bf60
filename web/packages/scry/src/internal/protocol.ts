/** Messages between the page and the engine worker. Plain structured-cloneable data. */

import type { ScryErrorCode } from '../public/errors.js';
import type {
  RepairInfo,
  StorageKind,
  AddProgress,
  EmbedProgress,
  GpuInfo,
  IntegrityInfo,
  ImageInput,
  ModelProgress,
  StaticIndexInfo,
} from '../public/types.js';
import type { GpuChoice, ResolvedModel, ResolvedStaticIndex, ResolvedStorage } from './options.js';

/** Methods the core answers, with their arguments and results. */
export interface CoreMethods {
  init: {
    args: [
      options: Record<string, unknown>,
      model: ResolvedModel | undefined,
      storage: ResolvedStorage,
      staticIndex: ResolvedStaticIndex | undefined,
      gpu: GpuChoice,
      assets: string | undefined,
    ];
    result: { version: string; model?: string; storage: StorageKind; repaired?: RepairInfo };
  };
  add: { args: [documents: unknown[]]; result: void };
  update: { args: [documents: unknown[]]; result: void };
  remove: { args: [ids: string[]]; result: number };
  search: {
    args: [
      query: string | ImageInput,
      options: Record<string, unknown>,
      vector: Float32Array | undefined,
    ];
    result: unknown[];
  };
  suggest: { args: [query: string, options: Record<string, unknown>]; result: unknown[] };
  embed: { args: [texts: string[]]; result: Float32Array[] };
  counts: {
    args: [];
    result: {
      documents: number;
      segments: number;
      graphSegments: number;
      vectors: number;
      evictions: number;
      repaired?: RepairInfo;
      integrity?: IntegrityInfo;
      wasm: 'full' | 'text';
    };
  };
  staticInfo: { args: []; result: StaticIndexInfo | undefined };
  gpuInfo: { args: []; result: GpuInfo };
}

/** A method name. */
export type Method = keyof CoreMethods;

/** Page → worker. */
export interface Request<M extends Method = Method> {
  id: number;
  method: M;
  args: CoreMethods[M]['args'];
}

/** Worker → page, before the response: progress of request `id` (model download, embedding). */
export interface Progress {
  id: number;
  progress: ModelProgress | AddProgress | EmbedProgress;
}

/**
 * Page → worker: the caller aborted request `id`. Adds and updates stop at their next check
 * (between embedding batches) and answer `ABORTED`, or finish if already past the last one.
 */
export interface Cancel {
  id: number;
  cancel: true;
}

/** Worker → page. */
export type Response =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { code: ScryErrorCode; message: string } };
