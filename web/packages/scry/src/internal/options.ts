/** Loose-to-strict translation of JavaScript options: every value checked, typos rejected. */

import { ScryError } from '../public/errors.js';
import { isNode } from './wasm.js';
import { FILE_NAME } from './model.js';
import type {
  StorageKind,
  AddProgress,
  EngineOptions,
  ImageInput,
  Language,
  ModelProgress,
  QueryOptions,
  SearchOptions,
  SuggestOptions,
} from '../public/types.js';

/** Engine options as sent to the core: scry-core's `EngineConfig` in camelCase. */
export interface CoreEngineOptions {
  analyzer?: CoreAnalyzer;
  bm25?: {
    k1?: number;
    b?: number;
    boosts?: [number, number, number, number];
    typos?: boolean;
    typoMinChars?: number;
    typoWeight?: number;
    prefix?: boolean;
    prefixWeight?: number;
    maxPrefixTerms?: number;
  };
  vectors?: {
    hnswThreshold?: number;
    hnsw?: { m?: number; efConstruction?: number; efSearch?: number };
  };
  limits?: { snippetWords?: number };
}

/** scry-core's `AnalyzerConfig` in camelCase: only the fields the caller gave. */
export interface CoreAnalyzer {
  language?: Language | null;
  stopWords?: string[];
  foldDiacritics?: boolean;
  codeTokens?: boolean;
}

/** The stemmer languages of scry-core's `Language`. */
export const LANGUAGES: readonly Language[] = [
  'arabic',
  'danish',
  'dutch',
  'english',
  'finnish',
  'french',
  'german',
  'greek',
  'hungarian',
  'italian',
  'norwegian',
  'portuguese',
  'romanian',
  'russian',
  'spanish',
  'swedish',
  'tamil',
  'turkish',
];

/** A lone surrogate (paired ones form one code point in `u` mode and do not match). */
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether `s` is well-formed UTF-16 (no lone surrogate). */
export function wellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** The model part of the engine options, resolved (sent to the core as plain data). */
export interface ResolvedModel {
  /** Unset with a `manifest`: its only model. */
  id?: string;
  /** Absolute URL of the model's own manifest, if not built in. */
  manifest?: string;
  /** Absolute folder URL ending in `/`; unset when `files` names every file. */
  url?: string;
  /** Absolute URL of each file named in `files`. */
  files?: Record<string, string>;
  /** How the files lie under `url` (default `'flat'`: by their manifest names). */
  layout?: 'flat' | 'huggingface';
  /** A model without weights (vectors computed elsewhere): its dimension. */
  dims?: number;
  cache: boolean;
  batchSize?: number;
  /** Threads that embed (`model.threads`); default: the core picks. */
  threads?: number;
}

/** Where the index lives (sent to the core as plain data). */
export interface ResolvedStorage {
  kind: StorageKind;
  /** Index name (the IndexedDB database is `scry:<name>`). */
  name: string;
  /** The directory of `storage: 'file'`. */
  path?: string;
  /** Start in memory where IndexedDB cannot be opened. */
  memoryFallback: boolean;
  /** Rebuild damaged segments from the documents store at start. */
  repair: boolean;
}

/** The static index part of the engine options, resolved. */
export interface ResolvedStaticIndex {
  /** Absolute folder URL ending in `/`. */
  url: string;
  cache: boolean;
  prefetch: boolean;
}

/** Fully resolved engine options. */
export interface ResolvedEngineOptions {
  name: string;
  storage: ResolvedStorage;
  worker: boolean;
  core: CoreEngineOptions;
  model?: ResolvedModel;
  staticIndex?: ResolvedStaticIndex;
  gpu: GpuChoice;
  onProgress?: (progress: ModelProgress) => void;
  /** The package's `dist/` folder as served (absolute, ending in `/`); default: next to this module. */
  assets?: string;
  /** Aborts the start (the model download); page side only, never sent to the worker. */
  signal?: AbortSignal;
}

/** Where vector scans may run ({@link EngineOptions.gpu}). */
export type GpuChoice = 'auto' | 'webgpu' | 'cpu';

/** Default embedding model id. */
export const DEFAULT_MODEL_ID = 'all-MiniLM-L6-v2-int8';

/** The ids of the built-in manifest's models (models/manifest.json). */
export const BUILT_IN_MODELS: readonly string[] = [DEFAULT_MODEL_ID];

/**
 * Schemes a model or static index cannot be fetched from as a folder of files: opaque URLs
 * (`data:`, `blob:`, `javascript:`, `about:`, …) have no path to put file names under, and
 * scripts are never fetched.
 */
const REFUSED_SCHEMES = new Set(['javascript:', 'vbscript:', 'data:', 'blob:', 'about:']);

/** The working directory where there is one (Node), else undefined. */
function workingDirectory(): string | undefined {
  const proc = (globalThis as { process?: { cwd?: () => string; versions?: { node?: string } } })
    .process;
  if (proc?.versions?.node === undefined || typeof proc.cwd !== 'function') return undefined;
  try {
    return proc.cwd();
  } catch {
    return undefined;
  }
}

/**
 * A path on disk as a `file:` URL (Node, where there is no page), resolved against the working
 * directory: Node's own `pathToFileURL` (through `process.getBuiltinModule`, Node ≥ 20.16), which
 * knows the platform's paths (drive letters, UNC shares) and escapes what a URL path cannot hold.
 * On older Node, POSIX paths by hand, escaped alike. Undefined where `text` is not a path here.
 */
function pathUrl(text: string): URL | undefined {
  const cwd = workingDirectory();
  if (cwd === undefined || text.includes('\0')) return undefined;
  const proc = (
    globalThis as {
      process?: { getBuiltinModule?: (id: string) => unknown };
    }
  ).process;
  const url = proc?.getBuiltinModule?.('node:url') as
    { pathToFileURL?: (path: string) => URL } | undefined;
  if (typeof url?.pathToFileURL === 'function') {
    try {
      return url.pathToFileURL(text);
    } catch {
      return undefined;
    }
  }
  const path = text.startsWith('/') ? text : `${cwd.replace(/\/+$/, '')}/${text}`;
  // What the pathname setter would leave as is but a URL path must not hold literally.
  const escaped = path.replace(
    /[%\\\t\n\r]/g,
    (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  const out = new URL('file:///');
  out.pathname = escaped;
  return out;
}

/**
 * `url` resolved against the page (or as is, where there is no page), checked. With `paths` (the
 * model's files, which Node reads from disk), where there is no page a string that is not an
 * absolute URL is a path on disk.
 */
function absoluteUrl(url: unknown, name: string, paths = false): URL {
  if (url instanceof URL) url = url.href;
  if (typeof url !== 'string' || url.length === 0) fail(`${name} must be a non-empty string`);
  let absolute: URL | undefined;
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    absolute = base === undefined ? new URL(url) : new URL(url, base);
  } catch {
    absolute = undefined;
  }
  // No page: `./models/`, `/srv/models`, `C:\models` are paths (a drive letter parses as a scheme).
  if (paths && base === undefined && (absolute === undefined || /^[A-Za-z]:[\\/]/.test(url))) {
    absolute = pathUrl(url) ?? absolute;
  }
  if (absolute === undefined) {
    fail(`${name} is not a valid URL: ${JSON.stringify(url.slice(0, 200))}`);
  }
  // A hierarchical URL (`scheme://authority/path`): file names resolve under it.
  if (
    REFUSED_SCHEMES.has(absolute.protocol) ||
    !absolute.href.startsWith(`${absolute.protocol}//`)
  ) {
    fail(
      `${name} must be an http(s) or file URL (or a path on this site), ` +
        `not ${absolute.protocol}`,
    );
  }
  return absolute;
}

/** A folder URL, absolute (against the page) and ending in `/`; `paths`: see `absoluteUrl`. */
function folderUrl(url: unknown, name: string, paths = false): URL {
  const absolute = absoluteUrl(url, name, paths);
  if (!absolute.pathname.endsWith('/')) absolute.pathname += '/';
  return absolute;
}

/** A file URL, absolute (against the page). */
function fileUrl(url: unknown, name: string, paths = false): string {
  return absoluteUrl(url, name, paths).href;
}

function resolveStaticIndex(value: unknown): ResolvedStaticIndex {
  const s = asObject(value, 'staticIndex');
  checkKeys(s, ['url', 'cache', 'prefetch'], 'staticIndex');
  const url = folderUrl(s['url'], 'staticIndex.url');
  const cache = s['cache'] ?? true;
  if (typeof cache !== 'boolean') fail('staticIndex.cache must be a boolean');
  const prefetch = s['prefetch'] ?? false;
  if (typeof prefetch !== 'boolean') fail('staticIndex.prefetch must be a boolean');
  return { url: url.href, cache, prefetch };
}

function resolveModel(value: unknown): ResolvedModel {
  const m = asObject(value, 'model');
  checkKeys(
    m,
    ['url', 'files', 'layout', 'id', 'manifest', 'cache', 'batchSize', 'threads', 'dims'],
    'model',
  );
  if (m['dims'] !== undefined) {
    // Vectors from elsewhere: a name and a dimension, no files.
    for (const key of ['url', 'files', 'layout', 'manifest', 'batchSize', 'threads']) {
      if (m[key] !== undefined) fail(`model.${key}: a model given by its dims has no files`);
    }
    const id = m['id'];
    if (typeof id !== 'string' || id.length === 0 || id.length > 256) {
      fail('model.id: a model given by its dims needs its name (1 to 256 characters)');
    }
    if (/[\uD800-\uDFFF]/u.test(id.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))) {
      fail('model.id must be well-formed Unicode');
    }
    // A built-in model's name would pass an index of its real vectors at the start and then
    // fail every search (the fingerprints differ): one name, one model.
    if (BUILT_IN_MODELS.includes(id)) {
      fail(
        `model.id: ${id} is one of scry's own models; a model given by its dims needs its own name`,
      );
    }
    const dims = checkNumber(m['dims'], 'model.dims', { min: 1, max: 4096, integer: true });
    const cache = m['cache'] ?? true;
    if (typeof cache !== 'boolean') fail('model.cache must be a boolean');
    return { id, dims, cache };
  }
  let files: Record<string, string> | undefined;
  if (m['files'] !== undefined) {
    const given = asObject(m['files'], 'model.files');
    const names = Object.keys(given);
    if (names.length === 0 || names.length > 16) fail('model.files must name 1 to 16 files');
    files = {};
    for (const file of names) {
      // Manifest names: plain file names, never paths that could climb out of a folder.
      if (!FILE_NAME.test(file)) {
        fail(`model.files: ${JSON.stringify(file.slice(0, 200))} is not a model file name`);
      }
      files[file] = fileUrl(given[file], `model.files[${JSON.stringify(file)}]`, true);
    }
  }
  const absolute =
    m['url'] === undefined && files !== undefined
      ? undefined
      : folderUrl(m['url'], 'model.url', true);
  let manifest: string | undefined;
  if (m['manifest'] !== undefined) {
    const url = m['manifest'];
    if (typeof url !== 'string' || url.length === 0) fail('model.manifest must be a URL');
    manifest = fileUrl(url, 'model.manifest', true);
  }
  const id = m['id'] ?? (manifest === undefined ? DEFAULT_MODEL_ID : undefined);
  if (id !== undefined && (typeof id !== 'string' || id.length === 0)) {
    fail('model.id must be a non-empty string');
  }
  const cache = m['cache'] ?? true;
  if (typeof cache !== 'boolean') fail('model.cache must be a boolean');
  const out: ResolvedModel = { cache };
  if (absolute !== undefined) out.url = absolute.href;
  if (files !== undefined) out.files = files;
  const layout = m['layout'] ?? 'flat';
  if (layout !== 'flat' && layout !== 'huggingface') {
    fail(`model.layout must be 'flat' or 'huggingface'`);
  }
  if (layout === 'huggingface') {
    if (absolute === undefined) fail(`model.layout 'huggingface' needs model.url, the repository`);
    out.layout = layout;
  }
  if (id !== undefined) out.id = id;
  if (manifest !== undefined) out.manifest = manifest;
  if (m['batchSize'] !== undefined) {
    out.batchSize = checkNumber(m['batchSize'], 'model.batchSize', {
      min: 1,
      max: 1024,
      integer: true,
    });
  }
  if (m['threads'] !== undefined) {
    out.threads = checkNumber(m['threads'], 'model.threads', {
      min: 1,
      max: MAX_EMBED_THREADS,
      integer: true,
    });
  }
  return out;
}

/** The most threads `model.threads` may ask for. */
export const MAX_EMBED_THREADS = 16;

type Range = { min: number; max: number; integer?: boolean };

const ENGINE_NUMBERS = {
  k1: { min: 0, max: 10 },
  b: { min: 0, max: 1 },
  snippetWords: { min: 1, max: 200, integer: true },
} satisfies Record<string, Range>;

const HNSW_NUMBERS = {
  threshold: { min: 1, max: 1_000_000, integer: true },
  m: { min: 4, max: 32, integer: true },
  efConstruction: { min: 8, max: 1000, integer: true },
  efSearch: { min: 1, max: 10_000, integer: true },
} satisfies Record<string, Range>;

const BOOST_FIELDS = ['title', 'headings', 'body', 'tags'] as const;
const BOOST_DEFAULTS = [5, 2, 1, 1.5];

function fail(message: string): never {
  throw new ScryError('INVALID_OPTIONS', message);
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) fail(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      fail(`unknown ${what} option "${key}"; expected one of: ${allowed.join(', ')}`);
    }
  }
}

function checkNumber(value: unknown, name: string, range: Range): number {
  if (typeof value !== 'number' || Number.isNaN(value)) fail(`${name} must be a number`);
  if (range.integer && !Number.isInteger(value)) fail(`${name} must be an integer`);
  if (value < range.min || value > range.max) {
    fail(`${name} must be between ${range.min} and ${range.max}, got ${value}`);
  }
  return value;
}

/** The most stop words {@link AnalyzerOptions.stopWords} may list, and their longest. */
const MAX_STOP_WORDS = 10_000;
const MAX_STOP_WORD_CHARS = 64;

function resolveAnalyzer(value: unknown): CoreAnalyzer {
  const a = asObject(value, 'analyzer');
  checkKeys(a, ['language', 'stopWords', 'foldDiacritics', 'codeTokens'], 'analyzer');
  const out: CoreAnalyzer = {};
  const language = a['language'];
  if (language !== undefined) {
    if (language !== null && !LANGUAGES.includes(language as Language)) {
      fail(`analyzer.language must be null or one of: ${LANGUAGES.join(', ')}`);
    }
    out.language = language as Language | null;
  }
  const words = a['stopWords'];
  if (words !== undefined) {
    if (!Array.isArray(words)) fail('analyzer.stopWords must be an array of strings');
    if (words.length > MAX_STOP_WORDS) {
      fail(`analyzer.stopWords holds ${words.length} words; at most ${MAX_STOP_WORDS}`);
    }
    out.stopWords = words.map((w: unknown, i) => {
      const ok =
        typeof w === 'string' &&
        w.trim().length > 0 &&
        [...w].length <= MAX_STOP_WORD_CHARS &&
        wellFormed(w);
      if (!ok) {
        fail(
          `analyzer.stopWords[${i}] must be a word of 1 to ${MAX_STOP_WORD_CHARS} characters ` +
            '(well-formed Unicode)',
        );
      }
      return w as string;
    });
  }
  for (const key of ['foldDiacritics', 'codeTokens'] as const) {
    if (a[key] === undefined) continue;
    if (typeof a[key] !== 'boolean') fail(`analyzer.${key} must be true or false`);
    out[key] = a[key] as boolean;
  }
  return out;
}

function resolveTypos(value: unknown): NonNullable<CoreEngineOptions['bm25']> {
  if (value === undefined) return {};
  if (typeof value === 'boolean') return { typos: value };
  const t = asObject(value, 'typos');
  checkKeys(t, ['minChars', 'weight'], 'typos');
  return {
    typos: true,
    ...(t['minChars'] !== undefined
      ? {
          typoMinChars: checkNumber(t['minChars'], 'typos.minChars', {
            min: 1,
            max: 64,
            integer: true,
          }),
        }
      : {}),
    ...(t['weight'] !== undefined
      ? { typoWeight: checkNumber(t['weight'], 'typos.weight', { min: 0, max: 1 }) }
      : {}),
  };
}

function resolvePrefix(value: unknown): NonNullable<CoreEngineOptions['bm25']> {
  if (value === undefined) return {};
  if (typeof value === 'boolean') return { prefix: value };
  const p = asObject(value, 'prefix');
  checkKeys(p, ['weight', 'maxTerms'], 'prefix');
  return {
    prefix: true,
    ...(p['weight'] !== undefined
      ? { prefixWeight: checkNumber(p['weight'], 'prefix.weight', { min: 0, max: 1 }) }
      : {}),
    ...(p['maxTerms'] !== undefined
      ? {
          maxPrefixTerms: checkNumber(p['maxTerms'], 'prefix.maxTerms', {
            min: 1,
            max: 1000,
            integer: true,
          }),
        }
      : {}),
  };
}

/**
 * Why an index's analyzer (`actual`, as the core reports it) is not the one the options asked
 * for, or `undefined` when every field given matches.
 */
export function analyzerMismatch(
  wanted: CoreAnalyzer | undefined,
  actual: CoreAnalyzer,
): string | undefined {
  if (!wanted) return undefined;
  const differs = (Object.keys(wanted) as (keyof CoreAnalyzer)[]).filter(
    (key) => JSON.stringify(wanted[key] ?? null) !== JSON.stringify(actual[key] ?? null),
  );
  if (differs.length === 0) return undefined;
  const show = (a: CoreAnalyzer) =>
    differs.map((key) => `${key}: ${JSON.stringify(a[key] ?? null)}`).join(', ');
  return (
    `the index was built with analyzer { ${show(actual)} }, not { ${show(wanted)} }: ` +
    'an index keeps the analyzer it was made with (leave analyzer out to use it)'
  );
}

/** Whether this runtime can start module workers. */
export function workersAvailable(): boolean {
  return typeof Worker !== 'undefined' && typeof window !== 'undefined';
}

/** Validates {@link EngineOptions}. */
export function resolveEngineOptions(options: unknown): ResolvedEngineOptions {
  const o = asObject(options, 'engine options');
  checkKeys(
    o,
    [
      'name',
      'storage',
      'memoryFallback',
      'repair',
      'path',
      'worker',
      'assets',
      'boosts',
      'model',
      'staticIndex',
      'gpu',
      'hnsw',
      'analyzer',
      'typos',
      'prefix',
      'onProgress',
      'signal',
      ...Object.keys(ENGINE_NUMBERS),
    ],
    'engine',
  );
  const name = o['name'] ?? 'default';
  if (typeof name !== 'string' || name.length < 1 || name.length > 128) {
    fail('name must be a string of 1 to 128 characters');
  }
  const kind = o['storage'] ?? 'memory';
  if (kind !== 'memory' && kind !== 'indexeddb' && kind !== 'file') {
    fail(`storage must be 'memory', 'indexeddb' or 'file'`);
  }
  const path = o['path'];
  if (kind === 'file') {
    if (!isNode()) fail(`storage: 'file' needs Node.js; use 'indexeddb' in browsers`);
    if (typeof path !== 'string' || path.length === 0) {
      fail(`storage: 'file' needs path, the index's directory`);
    }
  } else if (path !== undefined) {
    fail(`path is only for storage: 'file'`);
  }
  const memoryFallback = o['memoryFallback'] ?? false;
  if (typeof memoryFallback !== 'boolean') fail('memoryFallback must be a boolean');
  const repair = o['repair'] ?? false;
  if (typeof repair !== 'boolean') fail('repair must be a boolean');
  if (repair && kind === 'memory') fail(`repair is for stored indexes ('indexeddb' or 'file')`);
  const worker = o['worker'] ?? workersAvailable();
  if (typeof worker !== 'boolean') fail('worker must be a boolean');
  if (worker && !workersAvailable()) fail('worker: true needs a browser with Web Workers');
  const gpu = o['gpu'] ?? 'auto';
  if (gpu !== 'auto' && gpu !== 'webgpu' && gpu !== 'cpu') {
    fail(`gpu must be 'auto', 'webgpu' or 'cpu'`);
  }
  const core: CoreEngineOptions = {};
  const bm25: NonNullable<CoreEngineOptions['bm25']> = {};
  if (o['k1'] !== undefined) bm25.k1 = checkNumber(o['k1'], 'k1', ENGINE_NUMBERS.k1);
  if (o['b'] !== undefined) bm25.b = checkNumber(o['b'], 'b', ENGINE_NUMBERS.b);
  if (o['boosts'] !== undefined) {
    const boosts = asObject(o['boosts'], 'boosts');
    checkKeys(boosts, BOOST_FIELDS, 'boosts');
    const values = BOOST_FIELDS.map((f, i) =>
      boosts[f] === undefined
        ? (BOOST_DEFAULTS[i] ?? 1)
        : checkNumber(boosts[f], `boosts.${f}`, { min: 0, max: 100 }),
    );
    bm25.boosts = values as [number, number, number, number];
  }
  Object.assign(bm25, resolveTypos(o['typos']), resolvePrefix(o['prefix']));
  if (Object.keys(bm25).length > 0) core.bm25 = bm25;
  if (o['analyzer'] !== undefined) core.analyzer = resolveAnalyzer(o['analyzer']);
  if (o['hnsw'] !== undefined) {
    const h = asObject(o['hnsw'], 'hnsw');
    checkKeys(h, Object.keys(HNSW_NUMBERS), 'hnsw');
    const num = (key: keyof typeof HNSW_NUMBERS): number | undefined =>
      h[key] === undefined ? undefined : checkNumber(h[key], `hnsw.${key}`, HNSW_NUMBERS[key]);
    const [threshold, m, efConstruction, efSearch] = [
      num('threshold'),
      num('m'),
      num('efConstruction'),
      num('efSearch'),
    ];
    const graph = {
      ...(m !== undefined ? { m } : {}),
      ...(efConstruction !== undefined ? { efConstruction } : {}),
      ...(efSearch !== undefined ? { efSearch } : {}),
    };
    core.vectors = {
      ...(threshold !== undefined ? { hnswThreshold: threshold } : {}),
      ...(Object.keys(graph).length > 0 ? { hnsw: graph } : {}),
    };
  }
  if (o['snippetWords'] !== undefined) {
    core.limits = {
      snippetWords: checkNumber(o['snippetWords'], 'snippetWords', ENGINE_NUMBERS.snippetWords),
    };
  }
  const resolved: ResolvedEngineOptions = {
    name,
    storage: {
      kind,
      name,
      memoryFallback,
      repair,
      ...(kind === 'file' ? { path: path as string } : {}),
    },
    worker,
    core,
    gpu,
  };
  if (o['model'] !== undefined) resolved.model = resolveModel(o['model']);
  if (o['assets'] !== undefined) resolved.assets = folderUrl(o['assets'], 'assets').href;
  if (o['staticIndex'] !== undefined) resolved.staticIndex = resolveStaticIndex(o['staticIndex']);
  if (o['onProgress'] !== undefined) {
    if (typeof o['onProgress'] !== 'function') fail('onProgress must be a function');
    resolved.onProgress = o['onProgress'] as (progress: ModelProgress) => void;
  }
  const signal = checkSignal(o['signal']);
  if (signal) resolved.signal = signal;
  return resolved;
}

/** Search options as sent to the core. */
export interface CoreSearchOptions {
  k?: number;
  mode?: 'text' | 'vector' | 'hybrid';
  filter?: Record<string, unknown>;
  diversify?: number;
  offset?: number;
  sort?: { field: string; order: 'asc' | 'desc' };
  /** Counts the match set: the core answers `{ hits, total, facets }` instead of hits. */
  count?: boolean;
  facets?: string[];
  metadata?: boolean | string[];
}

/** Most facet fields of one query, and metadata fields returned with hits (as the core). */
const MAX_FACETS = 32;
/** Longest field name of a sort or a facet, in UTF-8 bytes (as the core). */
const MAX_FIELD_BYTES = 256;

/** A sort's or facet's field name, checked (the core checks again). */
function checkField(v: unknown, what: string): string {
  if (typeof v !== 'string') fail(`${what} must be a string`);
  if (LONE_SURROGATE.test(v)) fail(`${what} holds a lone surrogate (not text)`);
  const bytes = new TextEncoder().encode(v).length;
  if (bytes < 1 || bytes > MAX_FIELD_BYTES) {
    fail(`${what} is ${bytes} bytes of UTF-8; 1–${MAX_FIELD_BYTES} are allowed`);
  }
  return v;
}

/** A list of field names (facets, metadata), read once and copied. */
function checkFields(list: unknown, what: string): string[] {
  if (!Array.isArray(list)) fail(`${what} must be an array of field names`);
  const n = (list as unknown[]).length;
  if (n > MAX_FACETS) fail(`${what} names ${n} fields; at most ${MAX_FACETS}`);
  const fields: string[] = [];
  for (let i = 0; i < n; i++) fields.push(checkField((list as unknown[])[i], `${what}[${i}]`));
  return fields;
}

/**
 * Validates {@link SearchOptions} (with `facets` too for {@link QueryOptions} when `kind` is
 * `'query'`, which counts the match set); returns the core part and the signal.
 */
export function resolveSearchOptions(
  options: unknown,
  kind: 'search' | 'query' = 'search',
): {
  core: CoreSearchOptions;
  signal: AbortSignal | undefined;
  vector: Float32Array | undefined;
} {
  const o = asObject(options, `${kind} options`) as QueryOptions & Record<string, unknown>;
  const keys = [
    'k',
    'signal',
    'mode',
    'filter',
    'diversify',
    'vector',
    'offset',
    'sort',
    'metadata',
  ];
  checkKeys(o, kind === 'query' ? [...keys, 'facets'] : keys, kind);
  if (o.vector !== undefined && !(o.vector instanceof Float32Array)) {
    fail('vector must be a Float32Array');
  }
  const core: CoreSearchOptions = {};
  if (o.k !== undefined) core.k = checkNumber(o.k, 'k', { min: 1, max: 1000, integer: true });
  if (o.mode !== undefined) {
    if (o.mode !== 'text' && o.mode !== 'vector' && o.mode !== 'hybrid') {
      fail(`mode must be 'text', 'vector' or 'hybrid'`);
    }
    core.mode = o.mode;
  }
  if (o.filter !== undefined) core.filter = checkFilter(o.filter);
  if (o.diversify !== undefined) {
    core.diversify = checkNumber(o.diversify, 'diversify', { min: 0, max: 1 });
  }
  // Each of these is read once: what is checked is what the core gets.
  const offset: unknown = o.offset;
  if (offset !== undefined) {
    core.offset = checkNumber(offset, 'offset', { min: 0, max: 10_000, integer: true });
  }
  const sortOption: unknown = o.sort;
  if (sortOption !== undefined) {
    if (sortOption === null || typeof sortOption !== 'object' || Array.isArray(sortOption)) {
      fail('sort must be an object: { field, order? }');
    }
    const sort = sortOption as Record<string, unknown>;
    checkKeys(sort, ['field', 'order'], 'sort');
    const order = sort['order'] ?? 'asc';
    if (order !== 'asc' && order !== 'desc') fail(`sort.order must be 'asc' or 'desc'`);
    core.sort = { field: checkField(sort['field'], 'sort.field'), order };
    if (core.diversify !== undefined) fail('a sorted search cannot also be diversified');
  }
  const metadata: unknown = o.metadata;
  if (typeof metadata === 'boolean') core.metadata = metadata;
  else if (metadata !== undefined) core.metadata = checkFields(metadata, 'metadata');
  if (kind === 'query') {
    core.count = true;
    const facets: unknown = o.facets;
    if (facets !== undefined) core.facets = checkFields(facets, 'facets');
  }
  return { core, signal: checkSignal(o.signal), vector: o.vector };
}

/** Deepest nesting of objects and arrays a filter may have (the core allows 32 levels of
 * `and`/`or`/`not`, each with a field object under it). */
const FILTER_MAX_DEPTH = 70;
/** Most values (objects, arrays, scalars) in one filter. */
const FILTER_MAX_NODES = 100_000;

/**
 * A filter, checked and copied before it reaches wasm: plain objects, arrays and JSON scalars
 * only, nested at most {@link FILTER_MAX_DEPTH} deep, no cycles, at most
 * {@link FILTER_MAX_NODES} values. Each value is read once, into a fresh plain copy (own
 * properties defined, so a key `__proto__` stays data), and the copy is what wasm reads: a
 * getter or proxy cannot hand wasm something else on a second read. The core checks the
 * meaning; this keeps a hostile value from exhausting the stack inside the wasm module.
 */
export function checkFilter(filter: unknown): Record<string, unknown> {
  let nodes = 0;
  const seen = new Set<object>();
  const copy = (v: unknown, depth: number): unknown => {
    if (++nodes > FILTER_MAX_NODES) fail(`filter has more than ${FILTER_MAX_NODES} values`);
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') return v;
    if (typeof v !== 'object') fail(`filter holds a ${typeof v}; only JSON values are allowed`);
    if (depth > FILTER_MAX_DEPTH) fail(`filter is nested more than ${FILTER_MAX_DEPTH} deep`);
    if (seen.has(v)) fail('filter refers to itself (a cycle)');
    seen.add(v);
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (let i = 0; i < v.length; i++) out.push(copy(v[i], depth + 1));
      return out;
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      fail('filter holds an object that is not plain data');
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      const value = copy((v as Record<string, unknown>)[key], depth + 1);
      Object.defineProperty(out, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  };
  try {
    if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
      fail('filter must be an object');
    }
    return copy(filter, 1) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof ScryError) throw e;
    // A getter or proxy of the caller's that throws.
    fail(`filter could not be read: ${describe(e)}`);
  }
}

/** A thrown value as text, whatever it is (`String()` itself throws on some objects). */
export function describe(e: unknown): string {
  try {
    return e instanceof Error ? e.message : String(e);
  } catch {
    return 'an unprintable value';
  }
}

/** Suggestion options as sent to the core. */
export interface CoreSuggestOptions {
  max?: number;
  topN?: number;
  maxClusters?: number;
  minCluster?: number;
  termsPerCluster?: number;
}

/** Validates {@link SuggestOptions}; returns the core part and the signal. */
export function resolveSuggestOptions(options: unknown): {
  core: CoreSuggestOptions;
  signal: AbortSignal | undefined;
} {
  const o = asObject(options, 'suggest options') as SuggestOptions & Record<string, unknown>;
  checkKeys(
    o,
    ['max', 'topN', 'maxClusters', 'minCluster', 'termsPerCluster', 'signal'],
    'suggest',
  );
  const core: CoreSuggestOptions = {};
  if (o.max !== undefined) core.max = checkNumber(o.max, 'max', { min: 1, max: 12, integer: true });
  if (o.topN !== undefined) {
    core.topN = checkNumber(o.topN, 'topN', { min: 4, max: 1000, integer: true });
  }
  if (o.maxClusters !== undefined) {
    core.maxClusters = checkNumber(o.maxClusters, 'maxClusters', {
      min: 2,
      max: 12,
      integer: true,
    });
  }
  if (o.minCluster !== undefined) {
    core.minCluster = checkNumber(o.minCluster, 'minCluster', { min: 1, max: 100, integer: true });
  }
  if (o.termsPerCluster !== undefined) {
    core.termsPerCluster = checkNumber(o.termsPerCluster, 'termsPerCluster', {
      min: 1,
      max: 20,
      integer: true,
    });
  }
  return { core, signal: checkSignal(o.signal) };
}

/** Validates an optional AbortSignal. */
export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (typeof AbortSignal === 'undefined' || !(signal instanceof AbortSignal)) {
    fail('signal must be an AbortSignal');
  }
  return signal;
}

/** Validates the query string. */
/** Whether `value` is an image the engine takes ({@link ImageInput}). */
export function isImageInput(value: unknown): value is ImageInput {
  if (typeof Blob !== 'undefined' && value instanceof Blob) return true;
  if (typeof ImageBitmap !== 'undefined' && value instanceof ImageBitmap) return true;
  if (typeof value !== 'object' || value === null) return false;
  const { width, height, data } = value as { width?: unknown; height?: unknown; data?: unknown };
  return (
    typeof width === 'number' &&
    typeof height === 'number' &&
    (data instanceof Uint8Array || data instanceof Uint8ClampedArray)
  );
}

/** A search query: text, or an image (checked in the worker when decoded). */
export function checkSearchQuery(query: unknown): string | ImageInput {
  if (isImageInput(query)) return query;
  return checkQuery(query);
}

export function checkQuery(query: unknown): string {
  if (typeof query !== 'string') {
    throw new ScryError('INVALID_QUERY', `query must be a string, got ${typeof query}`);
  }
  return query;
}

/** Validates {@link AddOptions}. */
export function resolveAddOptions<P = AddProgress>(
  options: unknown,
  what: 'add' | 'embed' = 'add',
): {
  signal: AbortSignal | undefined;
  onProgress: ((progress: P) => void) | undefined;
} {
  const o = asObject(options, `${what} options`);
  checkKeys(o, ['signal', 'onProgress'], what);
  const onProgress = o['onProgress'];
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    fail('onProgress must be a function');
  }
  return {
    signal: checkSignal(o['signal']),
    onProgress: onProgress as ((progress: P) => void) | undefined,
  };
}
