/**
 * Model files in the browser: fetched with progress events, kept in Cache Storage, and checked
 * against the manifest's byte size and sha256 before use (a cached copy too: a damaged cache
 * entry is dropped and fetched again). The wasm core checks the bytes once more when it loads
 * them, so nothing unverified ever reaches the model.
 */

import { ScryError } from '../public/errors.js';
import type { ModelProgress } from '../public/types.js';
import { isNode } from './wasm.js';

/** One file of a model, as the manifest lists it. */
export interface ModelFile {
  name: string;
  /** `vision`, `text` or `tokenizer` in image-text models. */
  role?: string;
  bytes: number;
  sha256: string;
}

/** A model of the manifest: its id and files. */
export interface ModelEntry {
  id: string;
  dims: number;
  /** `text-embedding` or `image-text`. */
  task?: string;
  files: ModelFile[];
}

/** Name of the Cache Storage cache holding model files (versioned with the layout). */
export const MODEL_CACHE = 'scry-models-v1';

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** sha256 of `bytes` as lower-case hex (WebCrypto; available in windows, workers and Node). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const view = new Uint8Array(bytes.byteLength);
  view.set(bytes);
  return hex(await crypto.subtle.digest('SHA-256', view.buffer));
}

function integrityError(file: ModelFile, url: string, bytes: number, sha: string): ScryError {
  return new ScryError(
    'MODEL_INTEGRITY',
    `model file ${file.name} from ${url} failed its integrity check: expected ${file.bytes} bytes ` +
      `with sha256 ${file.sha256}, got ${bytes} bytes with sha256 ${sha}`,
  );
}

async function verified(file: ModelFile, bytes: Uint8Array): Promise<boolean> {
  if (bytes.byteLength !== file.bytes) return false;
  return (await sha256Hex(bytes)) === file.sha256;
}

async function openCache(): Promise<Cache | undefined> {
  try {
    return typeof caches === 'undefined' ? undefined : await caches.open(MODEL_CACHE);
  } catch {
    // Opaque origins and some private modes refuse Cache Storage: work without it.
    return undefined;
  }
}

/** Reads a response body, reporting each chunk. */
async function readBody(
  response: Response,
  onChunk: (received: number) => void,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(await response.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    if (signal?.aborted) {
      await reader.cancel();
      throw new ScryError('ABORTED', 'the model download was aborted');
    }
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.byteLength;
    onChunk(received);
  }
  const out = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Reads a `file:` URL from disk (Node only: `fetch` there refuses `file:`). Browsers cannot read
 * files by URL; they get `MODEL_FETCH` as for any unreachable URL.
 */
async function readFileUrl(
  url: string,
  what: string,
  size: { bytes: number } | { atMost: number },
): Promise<Uint8Array> {
  if (!isNode()) {
    throw new ScryError(
      'MODEL_FETCH',
      `could not fetch ${what} ${url}: file: URLs are read only in Node; serve the files over http(s)`,
    );
  }
  const fsName = 'node:fs/promises';
  const fs = (await import(/* @vite-ignore */ /* webpackIgnore: true */ fsName)) as {
    stat: (path: URL) => Promise<{ isFile(): boolean; size: number }>;
    readFile: (path: URL) => Promise<Uint8Array>;
  };
  const path = new URL(url);
  let found: number;
  try {
    const info = await fs.stat(path);
    // Never a device, a FIFO or a folder (a read could block, or never end).
    if (!info.isFile()) throw new Error('not a regular file');
    found = info.size;
  } catch (e) {
    throw new ScryError('MODEL_FETCH', `could not read ${what} ${url}: ${String(e)}`, {
      cause: e,
    });
  }
  // Checked before reading: a file of another size is not the one wanted.
  if ('bytes' in size && found !== size.bytes) {
    throw new ScryError(
      'MODEL_INTEGRITY',
      `${what} ${url} failed its integrity check: expected ${size.bytes} bytes, it has ${found}`,
    );
  }
  if ('atMost' in size && found > size.atMost) {
    throw new ScryError('MODEL_MANIFEST_INVALID', `${what} ${url} is over ${size.atMost} bytes`);
  }
  try {
    const read = await fs.readFile(path);
    return new Uint8Array(read.buffer, read.byteOffset, read.byteLength);
  } catch (e) {
    throw new ScryError('MODEL_FETCH', `could not read ${what} ${url}: ${String(e)}`, {
      cause: e,
    });
  }
}

/** A model file's name, in a manifest or as a key of `model.files`. */
export const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The most a model manifest read from disk may be. */
const MAX_MANIFEST_BYTES = 1 << 20;

/**
 * Where a model's files are: a folder URL (its files by their manifest names, or as a Hugging
 * Face repository lays them out), and/or each file's own URL (taking precedence).
 */
export interface ModelLocation {
  url?: string;
  files?: Record<string, string>;
  layout?: 'flat' | 'huggingface';
}

/**
 * Where a Hugging Face model repository keeps the file scry's manifest calls `name`: int8
 * ONNX exports as `onnx/<name>_quantized.onnx` (the layout Transformers.js reads: `model.onnx`
 * → `onnx/model_quantized.onnx`), everything else (`tokenizer.json`) at the top.
 */
export function huggingFacePath(name: string): string {
  const onnx = /^(.+)\.onnx$/.exec(name);
  return onnx ? `onnx/${onnx[1]}_quantized.onnx` : name;
}

/** The URL of the model file `name` at `location`. */
function fileLocation(location: ModelLocation, name: string): string {
  if (location.files && Object.hasOwn(location.files, name)) return location.files[name]!;
  if (location.url === undefined) {
    throw new ScryError(
      'INVALID_OPTIONS',
      `model.files does not name the model's file ${name} and there is no model.url`,
    );
  }
  const path = location.layout === 'huggingface' ? huggingFacePath(name) : name;
  return new URL(path, location.url).href;
}

/**
 * Fetches a model's own manifest (JSON text) from the network, keeping a copy in Cache Storage
 * (with `cache`) for when the network is gone: offline, the model then loads from the cache.
 */
export async function fetchManifest(
  url: string,
  cache = true,
  signal?: AbortSignal,
): Promise<string> {
  if (new URL(url).protocol === 'file:') {
    // A manifest on disk is read whole if it is of a manifest's size.
    const text = await readFileUrl(url, 'the model manifest', { atMost: MAX_MANIFEST_BYTES });
    return new TextDecoder().decode(text);
  }
  const store = cache ? await openCache() : undefined;
  let failure: string;
  try {
    const response = await fetch(url, { cache: 'no-cache', ...(signal ? { signal } : {}) });
    if (response.ok) {
      const text = await response.text();
      try {
        await store?.put(
          url,
          new Response(text, { headers: { 'content-type': 'application/json' } }),
        );
      } catch {
        // Not cached (quota, storage disabled): only offline use suffers.
      }
      return text;
    }
    failure = `HTTP ${response.status}`;
  } catch (e) {
    if (signal?.aborted) throw new ScryError('ABORTED', 'the model download was aborted');
    failure = String(e);
  }
  const cached = await store?.match(url);
  if (cached) return cached.text();
  throw new ScryError('MODEL_FETCH', `could not fetch the model manifest ${url}: ${failure}`);
}

/**
 * Fetches (or takes from the cache) every file of `model` from `location`, verified. Progress
 * counts bytes over all files; cached files count as received at once. `file:` URLs are read from
 * disk in Node (never cached: they are local already).
 */
export async function loadModelFiles(
  model: ModelEntry,
  location: ModelLocation,
  options: {
    onProgress?: (p: ModelProgress) => void;
    signal?: AbortSignal;
    cache?: boolean;
  } = {},
): Promise<Map<string, Uint8Array>> {
  // File names of a manifest (a model's own may come from anywhere) are plain names: never a
  // path or a URL that would resolve outside the model's folder.
  for (const file of model.files) {
    if (typeof file.name !== 'string' || !FILE_NAME.test(file.name)) {
      throw new ScryError(
        'MODEL_MANIFEST_INVALID',
        `the model manifest names a file ${JSON.stringify(String(file.name).slice(0, 200))}; ` +
          'file names are letters, digits, ".", "_" and "-"',
      );
    }
    if (!Number.isSafeInteger(file.bytes) || file.bytes < 0) {
      throw new ScryError('MODEL_MANIFEST_INVALID', `the model file ${file.name} has no size`);
    }
  }
  for (const name of Object.keys(location.files ?? {})) {
    if (!model.files.some((f) => f.name === name)) {
      throw new ScryError(
        'INVALID_OPTIONS',
        `model.files names ${name}, which model ${model.id} does not have ` +
          `(its files: ${model.files.map((f) => f.name).join(', ')})`,
      );
    }
  }
  const total = model.files.reduce((n, f) => n + f.bytes, 0);
  const done = new Map<string, number>();
  const report = (file: string, fromCache: boolean) =>
    options.onProgress?.({
      model: model.id,
      file,
      loaded: [...done.values()].reduce((a, b) => a + b, 0),
      total,
      fromCache,
    });
  const cache = options.cache === false ? undefined : await openCache();
  const out = new Map<string, Uint8Array>();
  for (const file of model.files) {
    const url = fileLocation(location, file.name);
    if (new URL(url).protocol === 'file:') {
      if (options.signal?.aborted) throw new ScryError('ABORTED', 'the model load was aborted');
      const bytes = await readFileUrl(url, `model file ${file.name}`, { bytes: file.bytes });
      if (!(await verified(file, bytes))) {
        throw integrityError(file, url, bytes.byteLength, await sha256Hex(bytes));
      }
      out.set(file.name, bytes);
      done.set(file.name, file.bytes);
      report(file.name, false);
      continue;
    }
    const cached = await cache?.match(url);
    if (cached) {
      const bytes = new Uint8Array(await cached.arrayBuffer());
      if (await verified(file, bytes)) {
        out.set(file.name, bytes);
        done.set(file.name, file.bytes);
        report(file.name, true);
        continue;
      }
      // A damaged or stale copy: drop it and fetch the file again.
      await cache?.delete(url);
    }
    let response: Response;
    try {
      response = await fetch(url, { signal: options.signal ?? null, cache: 'no-cache' });
    } catch (e) {
      if (options.signal?.aborted) throw new ScryError('ABORTED', 'the model download was aborted');
      throw new ScryError('MODEL_FETCH', `could not fetch model file ${url}: ${String(e)}`, {
        cause: e,
      });
    }
    if (!response.ok) {
      throw new ScryError(
        'MODEL_FETCH',
        `could not fetch model file ${url}: HTTP ${response.status}`,
      );
    }
    const bytes = await readBody(
      response,
      (received) => {
        done.set(file.name, received);
        report(file.name, false);
      },
      options.signal,
    );
    if (!(await verified(file, bytes))) {
      throw integrityError(file, url, bytes.byteLength, await sha256Hex(bytes));
    }
    out.set(file.name, bytes);
    try {
      await cache?.put(
        url,
        new Response(bytes.slice().buffer, {
          headers: { 'content-type': 'application/octet-stream' },
        }),
      );
    } catch {
      // Quota exceeded or storage disabled: the model still works, it just is not cached.
    }
  }
  return out;
}

/**
 * The model entry `id` of a manifest (JSON text as `modelManifest()` returns it); without an
 * id, the manifest's only model.
 */
export function manifestEntry(manifestJson: string, id: string | undefined): ModelEntry {
  let manifest: { models: ModelEntry[] };
  try {
    manifest = JSON.parse(manifestJson) as { models: ModelEntry[] };
    if (!Array.isArray(manifest.models)) throw new Error('no "models" list');
  } catch (e) {
    throw new ScryError('MODEL_MANIFEST_INVALID', `the model manifest is not valid: ${String(e)}`);
  }
  if (id === undefined && manifest.models.length !== 1) {
    throw new ScryError(
      'MODEL_UNKNOWN',
      `the manifest holds ${manifest.models.length} models: name one with model.id`,
    );
  }
  const entry = id === undefined ? manifest.models[0] : manifest.models.find((m) => m.id === id);
  if (!entry) {
    const known = manifest.models.map((m) => m.id).join(', ');
    throw new ScryError('MODEL_UNKNOWN', `no model "${id}" in the manifest (known: ${known})`);
  }
  return entry;
}
