/** Public types of the scry API. */

/** A metadata value; filters compare against these. */
export type MetaValue = boolean | number | string | string[];

/**
 * A document to index. Limits (beyond them `INVALID_DOCUMENT`, and nothing of the call is
 * added): the id is 1 to 1024 bytes of UTF-8; all its text together (title, headings, body,
 * tags, url, metadata keys and texts) is at most 8 MiB of UTF-8; at most 256 metadata entries,
 * keys of 1 to 1024 bytes. Ids, urls and metadata must be well-formed Unicode (no lone UTF-16
 * surrogate: two such ids could not be told apart); in text fields a lone surrogate becomes
 * U+FFFD.
 */
export interface Document {
  /** Unique id, 1 to 1024 bytes of UTF-8. Adding an existing id fails with `DUPLICATE_ID`. */
  id: string;
  /** Title; a match here weighs `boosts.title` times a body match. Default `''`. */
  title?: string;
  /** Headings above this text (page title, parent sections). Default `[]`. */
  headings?: string[];
  /** Main text. Default `''`. A document needs a non-blank title or body. */
  body?: string;
  /** Tags / keywords. Default `[]`. */
  tags?: string[];
  /** Link shown with the result. */
  url?: string;
  /** Metadata for filters, e.g. `{ module: 'fs', since: 18 }`. Numbers must be finite. */
  metadata?: Record<string, MetaValue>;
  /**
   * An image: with an image-text (CLIP-style) `model`, its embedding is the document's vector
   * (title and body stay full text), so text and image queries find it. Decoded in the
   * engine's worker; an `ImageBitmap` is transferred there (closed on the page afterwards).
   * Broken or unsupported images reject with `IMAGE_DECODE` / `IMAGE_INVALID` and add nothing.
   */
  image?: ImageInput;
  /**
   * The document's vector, computed elsewhere with the engine's `model` (at build time, say):
   * indexed as it is instead of embedding the document. Needs a `model` (its dimension);
   * transferred to the worker, so the array is detached on the page afterwards. A wrong length
   * or a non-finite value is `INVALID_DOCUMENT`.
   */
  vector?: Float32Array;
}

/** Decoded RGBA pixels, row by row, 4 bytes per pixel (what `getImageData` gives). */
export interface RawImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/**
 * An image to index or search with: an `ImageBitmap` (transferred, not copied), an encoded
 * file as a `Blob` (PNG, JPEG, WebP, GIF… whatever the browser decodes), an `ImageData`, or
 * plain RGBA pixels (which also work in Node.js, where there is no image decoder).
 */
export type ImageInput =
  DomGlobal<'ImageBitmap'> | DomGlobal<'Blob'> | DomGlobal<'ImageData'> | RawImage;

/**
 * The instance type of the global class `Name` where the consumer's TypeScript libraries declare
 * it (`lib: ["dom"]`, or `@types/node` for `Blob`), `never` where they do not: a Node-only
 * project type-checks these declarations without the DOM library or `skipLibCheck`.
 */
export type DomGlobal<Name extends string> = typeof globalThis extends {
  [K in Name]: { prototype: infer T };
}
  ? T
  : never;

/** Weights of the text fields relative to the body. */
export interface FieldBoosts {
  /** Default `5`; range 0–100. */
  title?: number;
  /** Default `2`; range 0–100. */
  headings?: number;
  /** Default `1`; range 0–100. */
  body?: number;
  /** Default `1.5`; range 0–100. */
  tags?: number;
}

/** Languages with a Snowball stemmer ({@link AnalyzerOptions.language}). */
export type Language =
  | 'arabic'
  | 'danish'
  | 'dutch'
  | 'english'
  | 'finnish'
  | 'french'
  | 'german'
  | 'greek'
  | 'hungarian'
  | 'italian'
  | 'norwegian'
  | 'portuguese'
  | 'romanian'
  | 'russian'
  | 'spanish'
  | 'swedish'
  | 'tamil'
  | 'turkish';

/**
 * How text becomes index terms. Fixed when an index is made: a stored or static index keeps
 * the analyzer it was built with (a static index's comes from `scry index --language …`), and
 * asking for a different one is an `INVALID_OPTIONS` error rather than a silent mismatch.
 * The embedding model is unaffected (the default one is English).
 */
export interface AnalyzerOptions {
  /**
   * Stemmer language: `'german'` makes `Häuser` and `Hauses` match `Haus`. `null`: no
   * stemming (words match as written, after lowercasing). Default `'english'`.
   */
  language?: Language | null;
  /**
   * Words left out of the index and of queries (compared lowercased, diacritics folded as
   * configured); `[]` keeps every word. Default: the language's list (English: 33 function
   * words such as `the`, `of`; other languages and `null`: none). At most 10,000 words of 1 to
   * 64 characters.
   */
  stopWords?: readonly string[];
  /** Strip diacritics, so that `café` matches `cafe`. Default `true`. */
  foldDiacritics?: boolean;
  /** Also index the parts of identifiers (`readFile` → `read`, `file`). Default `true`. */
  codeTokens?: boolean;
}

/**
 * Matching words with a typo: one edit (insert, delete, substitute, transpose) away, for
 * query words long enough. `true` is the default; `false` turns it off.
 */
export interface TypoOptions {
  /** Shortest query word (characters) that may match with a typo. Default `5`; 1–64. */
  minChars?: number;
  /** Weight of a match with a typo relative to an exact one. Default `0.4`; 0–1. */
  weight?: number;
}

/**
 * Matching the query's last word as a prefix (search as you type: `rea` finds `readFile`).
 * `true` is the default; `false` turns it off.
 */
export interface PrefixOptions {
  /** Weight of a prefix match relative to an exact one. Default `0.8`; 0–1. */
  weight?: number;
  /** Most completions of the prefix scored (the most frequent terms). Default `8`; 1–1000. */
  maxTerms?: number;
}

/** Progress of a model download: bytes over all of the model's files. */
export interface ModelProgress {
  /** The model's id. */
  model: string;
  /** The file being received. */
  file: string;
  /** Bytes received (or found in the cache) so far, over all files. */
  loaded: number;
  /** Bytes of all files. */
  total: number;
  /** Whether `file` came from the cache (Cache Storage) instead of the network. */
  fromCache: boolean;
}

/** The embedding model of an engine: enables the vector and hybrid search modes. */
export interface ModelSpec {
  /**
   * Folder URL holding the model's files (`model.onnx`, `tokenizer.json`), e.g.
   * `'/models/all-MiniLM-L6-v2-int8/'`; relative URLs resolve against the page. In Node, also
   * a `file:` URL or a path on disk (relative paths resolve against the working directory).
   * Required unless `files` names every file of the model.
   */
  url?: string | URL;
  /**
   * Where each file of the model is, by its manifest name (`'model.onnx'`,
   * `'tokenizer.json'`), taking precedence over `url`: for files a bundler renamed, as the
   * `scry-model-minilm` package gives them (`new URL('./files/model.onnx', import.meta.url)`).
   * URLs or (in Node) paths, like `url`.
   */
  files?: Readonly<Record<string, string | URL>>;
  /**
   * How the files lie under `url`. `'flat'` (default): by their manifest names
   * (`model.onnx`, `tokenizer.json`). `'huggingface'`: as a Hugging Face model repository (the
   * layout Transformers.js reads) keeps them: `onnx/model_quantized.onnx` and `tokenizer.json`
   * (an image-text model's `onnx/<name>_quantized.onnx`), so `url` may be a mirror of such a
   * repository or its `…/resolve/<revision>/` address. The files are checked against the
   * manifest (built-in, or `manifest`) as in any layout: files other than the pinned ones
   * reject with `MODEL_INTEGRITY`.
   */
  layout?: 'flat' | 'huggingface';
  /**
   * Model id: of scry's built-in manifest, or of `manifest`. Default `'all-MiniLM-L6-v2-int8'`,
   * or the only model of `manifest`.
   */
  id?: string;
  /**
   * URL of the model's own manifest (JSON, the format of scry's `models/manifest.json`: id,
   * dims, files with size and sha256, and for image-text models the `image` preprocessing),
   * for models scry does not ship: a CLIP export (see `CLIP.md`), or a text model — a
   * sentence-transformers style ONNX export (BERT-like, `input_ids` / `attention_mask`, mean
   * or CLS pooling, L2-normalised) with its `tokenizer.json`, such as another model's
   * `onnx/model_quantized.onnx` in a Hugging Face layout (`layout: 'huggingface'`). Its id must
   * not be one of scry's own models'. Every file is checked against it (size and sha256).
   * Relative URLs resolve against the page. Default: scry's built-in manifest.
   */
  manifest?: string;
  /** Keep the files in Cache Storage for later visits. Default `true`. */
  cache?: boolean;
  /** Texts per model run. Default `32`; integer 1–1024. */
  batchSize?: number;
  /**
   * Threads that embed a text model's passages (`add`, `update`, `embed`): the engine's own and
   * helper Web Workers, each with its own copy of the model (about 100 MB of memory each),
   * started by the first call with enough texts to share (64 or more) and stopped after 30 s
   * without work. The vectors are the same whichever thread makes them. Default: half the
   * logical cores (`navigator.hardwareConcurrency / 2`, rounded up), at most 4, as
   * onnxruntime-web does; `1`: no helpers. Integer 1–16. Where
   * workers cannot start (Node.js, a page without module workers), or a helper fails, the
   * engine embeds alone; `info().embedThreads` says how many threads the last embedding used.
   */
  threads?: number;
  /**
   * A model without weights: vectors computed elsewhere (an API, another library, a build
   * step) come with the documents and queries (`vector`). Give its name as `id` (recorded in
   * the index: vectors of another model are refused, never mixed) and no `url` or `files`.
   * Documents without a vector are found by their words; a text query without a `vector` is
   * full-text. Integer 1–4096. The id must not be one of scry's own models (theirs have
   * weights).
   */
  dims?: number;
}

/**
 * A static index built by `scry index <folder> --out <dir>` and published with the site: the
 * engine fetches `scry.json` and a small meta file at start, then only the chunks each query
 * needs (postings of its words, the text of its results, the vectors for semantic search).
 */
export interface StaticIndexSpec {
  /** Folder URL holding `scry.json`; relative URLs resolve against the page. Required. */
  url: string;
  /** Keep fetched files in Cache Storage (they are immutable). Default `true`. */
  cache?: boolean;
  /**
   * Two seconds after start, fetch every remaining chunk in the background, so that any query
   * works offline later. Default `false` (fetch on demand only).
   */
  prefetch?: boolean;
}

/** Loading state of a static index ({@link EngineInfo.staticIndex}). */
export interface StaticIndexInfo {
  /** Folder URL of the index. */
  url: string;
  /** Documents in the index. */
  documents: number;
  /** Passage vectors in the index. */
  vectors: number;
  /** Bytes of all its files. */
  bytes: number;
  /** Chunks in the index. */
  chunks: number;
  /** Chunks loaded so far. */
  chunksLoaded: number;
  /** Files downloaded (not from Cache Storage). */
  requests: number;
  /** Bytes downloaded. */
  bytesFetched: number;
  /** Files taken from Cache Storage. */
  fromCache: number;
}

/**
 * Where an index lives: `'memory'` (gone with the page or process), `'indexeddb'` (browsers)
 * or `'file'` (a directory, Node.js).
 */
export type StorageKind = 'memory' | 'indexeddb' | 'file';

/** Options of {@link createEngine}. All are optional. */
export interface EngineOptions {
  /** Name of the index (used for persistence). Default `'default'`; 1–128 characters. */
  name?: string;
  /**
   * Where the index lives. `'memory'` (default): gone with the page. `'indexeddb'`: every
   * `add` and `remove` is committed atomically before its promise resolves, the index is there
   * again after a reload or a crash, and tabs of the same origin share it (one writer at a
   * time through Web Locks; the others reload on a BroadcastChannel message). Corrupt or
   * newer-format data rejects with `CORRUPT_DATA` / `UNSUPPORTED_VERSION`; a failed commit
   * (e.g. `STORAGE_QUOTA_EXCEEDED`) leaves the previous commit in place and in memory.
   */
  storage?: StorageKind;
  /**
   * With `storage: 'file'` (Node.js only, required there): the index's directory, created if
   * missing. Every `add` and `remove` is committed atomically (a crash or `kill -9` mid-commit
   * leaves the previous commit, finished or discarded when the directory is opened again).
   * The layout is that of the `scry` CLI (`scry search <path>` reads it). One engine writes a
   * directory at a time (its `.lock` names the writer's process and host): another one
   * rejects with `STORAGE_LOCKED` until the first is disposed or its process has exited. A
   * lock left by a process of another host is not taken over (it cannot be checked from
   * here): delete it once no such process uses the directory. A full disk rejects with
   * `STORAGE_QUOTA_EXCEEDED` and keeps the previous commit.
   */
  path?: string;
  /**
   * With `storage: 'indexeddb'`: where IndexedDB cannot be opened (private browsing that
   * blocks it, Node.js, a profile without storage), start in memory instead of rejecting with
   * `STORAGE_UNAVAILABLE` / `STORAGE_OPEN_FAILED`. `info().storage` tells which one is in use.
   * Default `false`.
   */
  memoryFallback?: boolean;
  /**
   * With a stored index (`'indexeddb'`, `'file'`): when stored segments are damaged (flipped or
   * truncated bytes, a missing blob), rebuild them from the index's documents store and commit
   * the repaired index, instead of rejecting with `CORRUPT_DATA`: at start (a damaged meta
   * file), or when a query or the background load first reads a damaged part (opening reads
   * only each segment's meta file; the rest is read and checked on first use).
   * `info().repaired` tells what was rebuilt. What cannot be repaired (a damaged manifest, a
   * segment whose stored copy is damaged too or was written before scry kept one) still
   * rejects with `CORRUPT_DATA` and changes nothing. Default `false`: damage is reported,
   * never silently changed.
   */
  repair?: boolean;
  /**
   * Run the engine in a dedicated Web Worker so the page's thread never blocks.
   * Default `true` where `Worker` exists (browsers), `false` in Node.js.
   */
  worker?: boolean;
  /**
   * Where the package's `dist/` folder is served (absolute, or relative to the page), for
   * bundlers that do not copy files addressed with `new URL(…, import.meta.url)` (esbuild,
   * Rollup without a URL plugin): copy `node_modules/scry/dist/` there, e.g. to `/scry/`, and
   * pass `assets: '/scry/'`; the worker script and the wasm modules are then loaded from it.
   * Default: next to the package's own modules, which is right unbundled, with an import map,
   * and under Vite and webpack 5. On another origin (a CDN) the worker cannot start
   * and the engine runs on the page (`info().workerFallback`). Ignored in Node.js.
   */
  assets?: string | URL;
  /** BM25 term-frequency saturation `k1`. Default `1.2`; range 0–10. */
  k1?: number;
  /** BM25 length normalisation `b`. Default `0.75`; range 0–1. */
  b?: number;
  /** Field weights for full-text ranking (BM25F). */
  boosts?: FieldBoosts;
  /** Text analysis: stemmer language, stop words (see {@link AnalyzerOptions}). */
  analyzer?: AnalyzerOptions;
  /** Typo tolerance of full-text search. Default `true` (see {@link TypoOptions}). */
  typos?: boolean | TypoOptions;
  /** Prefix matching of the query's last word. Default `true` (see {@link PrefixOptions}). */
  prefix?: boolean | PrefixOptions;
  /** Words per snippet. Default `24`; integer 1–200. */
  snippetWords?: number;
  /**
   * Embedding model for semantic (vector and hybrid) search. Default: none (full text only).
   * Its files are fetched, verified (size + sha256) and cached while the engine starts.
   */
  model?: ModelSpec;
  /** Called as the model's files arrive. */
  onProgress?: (progress: ModelProgress) => void;
  /**
   * Aborts the start: the model download stops at once and `createEngine` rejects with
   * `ABORTED`. Only files downloaded whole and verified are ever cached, so an abort leaves no
   * partial copy behind.
   */
  signal?: AbortSignal;
  /**
   * A prebuilt static index to search (loaded lazily, chunk by chunk). Documents `add`ed to
   * the engine are searched together with it (and, with `storage: 'indexeddb'`, persisted;
   * the static index itself stays at its URL). Its model must be the engine's `model`, if it
   * has vectors; an id of the index cannot be added again (`DUPLICATE_ID`). Default: none.
   */
  staticIndex?: StaticIndexSpec;
  /**
   * Where vector similarities of the engine's own (not yet graph-indexed) documents are
   * computed. `'auto'` (default): on the GPU through WebGPU when there is a hardware adapter
   * and enough vectors to gain from it (about 1,500 × 384 values, measured), on the CPU (wasm
   * SIMD) otherwise. `'webgpu'`: on the GPU whenever WebGPU works, software adapters included;
   * rejects with `GPU_UNAVAILABLE` / `GPU_DEVICE_FAILED` where it does not. `'cpu'`: never
   * the GPU. The GPU picks candidate passages and the CPU scores them exactly, so hits carry
   * the same scores as the CPU scan's; the GPU keeps at most 128 candidates per search, where
   * the CPU keeps up to 200 per segment for hybrid search, which can change the tail of long
   * vector candidate lists (never a top-10 result in the tests). A lost GPU device hands
   * searches back to the CPU for good. Only used with a `model`; filtered searches and
   * HNSW-indexed documents are scored on the CPU. With a model without weights
   * (`model: { id, dims }`) `'auto'` stays on the CPU (the engine runs on the text-only module,
   * which has no GPU scans) and `'webgpu'` loads the full module to use the GPU.
   */
  gpu?: 'auto' | 'webgpu' | 'cpu';
  /** The vector index's HNSW graphs (used with a `model`). */
  hnsw?: HnswOptions;
}

/**
 * HNSW graph parameters ({@link EngineOptions.hnsw}). A stored index keeps the graphs it was
 * built with; new parameters apply to graphs built afterwards.
 */
export interface HnswOptions {
  /**
   * Passage vectors from which a segment gets a graph; smaller ones are scanned exactly (on
   * the GPU with {@link EngineOptions.gpu}). Default `4096`; integer 1–1,000,000.
   */
  threshold?: number;
  /** Links kept per node on the upper layers (twice on layer 0). Default `32`; integer 4–32. */
  m?: number;
  /** Candidate list size while building. Default `32`; integer 8–1,000. */
  efConstruction?: number;
  /** Candidate list size while searching (at least `k`). Default `64`; integer 1–10,000. */
  efSearch?: number;
}

/**
 * A metadata filter: `{ module: 'fs' }` (equality; for lists: contains), `{ since: { gte: 16 } }`
 * (`gt`, `gte`, `lt`, `lte`, `eq`, `ne`, `in`, `exists`), `{ and: [...] }`, `{ or: [...] }`,
 * `{ not: {...} }`. Several keys in one object must all match.
 */
export type Filter = { [field: string]: unknown };

/** Which retrievers answer a query. */
export type SearchMode = 'text' | 'vector' | 'hybrid';

/** Options of {@link Engine.search}. */
export interface SearchOptions {
  /** Number of results. Default `10`; integer 1–1000. */
  k?: number;
  /** Retrievers. Default `'hybrid'` (full text only until vectors are indexed). */
  mode?: SearchMode;
  /** Only documents whose metadata matches; applied before the top k are chosen. */
  filter?: Filter;
  /** Maximal-marginal-relevance trade-off 0–1 (1 = plain ranking); off by default. */
  diversify?: number;
  /**
   * Results skipped before the `k` returned: `{ k: 10, offset: 10 }` is the second page.
   * Default `0`; integer 0–10,000. Pages of one `k` are slices of one ranking (hybrid search
   * fuses the same candidates for every page).
   */
  offset?: number;
  /**
   * Orders the match set (see {@link Results.total}) by a metadata field instead of by
   * relevance; equal values keep their relevance order, documents without the field come last
   * in either order. Numbers sort before strings (a list by its first item), strings before
   * booleans. Cannot be combined with `diversify`.
   */
  sort?: SortOption;
  /**
   * Metadata returned with each hit ({@link Hit.metadata}): `true` every field, or the fields
   * named (at most 32, each 1–256 bytes). Default: none.
   */
  metadata?: boolean | string[];
  /** Cancels the search: the promise rejects with code `ABORTED`. */
  signal?: AbortSignal;
  /**
   * The query's vector, computed elsewhere with the engine's `model`: used instead of
   * embedding the query (the text still drives full-text matching, and may be `''`).
   * Transferred to the worker (detached on the page afterwards).
   */
  vector?: Float32Array;
}

/** {@link SearchOptions.sort}: a metadata field and the order. */
export interface SortOption {
  /** The metadata field (1–256 bytes). */
  field: string;
  /** `'asc'` (the default) or `'desc'`. */
  order?: 'asc' | 'desc';
}

/** Options of {@link Engine.query}: a search's options, and facets. */
export interface QueryOptions extends SearchOptions {
  /**
   * Metadata fields whose values are counted over the match set ({@link Results.facets}); at
   * most 32, each 1–256 bytes.
   */
  facets?: string[];
}

/** One page of results with the size of the match set ({@link Engine.query}). */
export interface Results {
  /** The page: at most `k` hits from `offset` on. */
  hits: Hit[];
  /**
   * The size of the match set: every document (passing the filter) that matches at least one
   * of the query's words, and, in `'vector'` and `'hybrid'` modes, the vector candidates the
   * search ranks (the engine's `hybrid.candidates`, default 100, or `k` if more). Paging with
   * `offset` reaches each of them once.
   */
  total: number;
  /** The value counts of each field of `facets`, in that order. */
  facets: Facet[];
}

/** The value counts of one metadata field over a query's match set. */
export interface Facet {
  /** The field. */
  field: string;
  /**
   * Its values, the most documents first (then by value), at most 100: strings as they are,
   * each item of a list, numbers as `String(n)` prints them, booleans `'true'`/`'false'`.
   */
  values: FacetValue[];
  /** Distinct values in the match set (more than `values.length` when some were left out). */
  distinct: number;
}

/** A value of a {@link Facet} and how many documents of the match set have it. */
export interface FacetValue {
  /** The value. */
  value: string;
  /** Documents with it. */
  count: number;
}

/** Progress of {@link Engine.add} / {@link Engine.update} with a model, after each batch. */
export interface AddProgress {
  /** Documents in the call. */
  documents: number;
  /** Passages to embed in all of them. */
  passages: number;
  /** Passages embedded so far. */
  embedded: number;
}

/** Options of {@link Engine.add} and {@link Engine.update}. */
export interface AddOptions {
  /**
   * Cancels the call: it rejects with `ABORTED` and nothing is added — the engine stops between
   * embedding batches. An abort that comes after the last batch is too late: the call then
   * completes and resolves.
   */
  signal?: AbortSignal;
  /**
   * With a model: called after each batch of passages is embedded (without a model indexing
   * is one quick step and reports nothing).
   */
  onProgress?: (progress: AddProgress) => void;
}

/** Progress of {@link Engine.embed}, after each batch of texts. */
export interface EmbedProgress {
  /** Texts embedded so far. */
  embedded: number;
  /** Texts in the call. */
  total: number;
}

/** Options of {@link Engine.embed}. */
export interface EmbedOptions {
  /** Cancels the call: it rejects with `ABORTED` (the engine stops between batches). */
  signal?: AbortSignal;
  /** Called after each batch of texts is embedded. */
  onProgress?: (progress: EmbedProgress) => void;
}

/** The best excerpt of a document's body for a query. Never HTML: escape `text` when showing it. */
export interface Snippet {
  /** The excerpt, verbatim. */
  text: string;
  /** `[start, end)` ranges to highlight, in UTF-16 code units of `text` (as `slice` takes). */
  highlights: [number, number][];
  /** The excerpt starts after the beginning of the body. */
  truncatedStart: boolean;
  /** The excerpt stops before the end of the body. */
  truncatedEnd: boolean;
}

/** One search result. */
export interface Hit {
  /** The document id. */
  id: string;
  /**
   * Relevance; higher is better; comparable within one query only. The engine's
   * single-precision value, exactly (so it may print as `0.10000000149011612`).
   */
  score: number;
  /** Full-text (BM25) score, when the text retriever found it. */
  textScore?: number;
  /** Vector similarity, when the vector retriever found it. */
  vectorScore?: number;
  /** The document title. */
  title: string;
  /**
   * The words of the title that matched the query, as `[start, end)` ranges in UTF-16 code
   * units of `title` (as the snippet's highlights); empty when none did.
   */
  titleHighlights: [number, number][];
  /** The document's heading path. */
  headings: string[];
  /** The document link, if it has one. */
  url?: string;
  /** The document's `metadata.image` (a thumbnail URL for image collections), if a string. */
  image?: string;
  /** Best excerpt with highlights. */
  snippet: Snippet;
  /**
   * The document's metadata fields the search asked for ({@link SearchOptions.metadata}); left
   * out unless asked for.
   */
  metadata?: Record<string, MetaValue>;
}

/** Options of {@link Engine.suggest}. */
export interface SuggestOptions {
  /** Most suggestions returned. Default 4; range 1–12. */
  max?: number;
  /** Results of the query that are clustered. Default 100; range 4–1000. */
  topN?: number;
  /** Most clusters (the number is chosen by silhouette). Default 8; range 2–12. */
  maxClusters?: number;
  /** Smallest cluster that gets a suggestion. Default 3; range 1–100. */
  minCluster?: number;
  /** Distinguishing words tried per cluster. Default 6; range 1–20. */
  termsPerCluster?: number;
  /** Aborts the call (rejects with `ABORTED`). */
  signal?: AbortSignal;
}

/** A document of a suggestion's group, for previews. */
export interface SuggestionItem {
  /** The document id. */
  id: string;
  /** The document title. */
  title: string;
  /** The document link, if it has one. */
  url?: string;
  /** The document's `metadata.image`, if a string. */
  image?: string;
}

/** One "Maybe you are looking for…" entry: a refined query for one group of the results. */
export interface Suggestion {
  /** The suggested query: the original plus {@link Suggestion.added}. */
  query: string;
  /** The words added to the original query. */
  added: string[];
  /** The group's documents, in the original result order. */
  items: SuggestionItem[];
  /** Closed-set recall of the group for the suggestion (0–1). */
  specificity: number;
  /** The same for the original query; a suggestion always improves on it. */
  baselineSpecificity: number;
  /** Average precision of the group in the suggestion's own top 10 (0–1). */
  representativeness: number;
  /** Jaccard similarity of the suggestion's analysed terms to the query's (0–1). */
  similarity: number;
}

/** What an engine is running on. */
export interface EngineInfo {
  /**
   * Which WebAssembly module the engine runs on: `full` (the embedders and WebGPU scans as
   * well) for a model with weights, or a model without weights and `gpu: 'webgpu'`, and always
   * in Node; `text` otherwise (full-text search and vectors given as numbers).
   */
  wasm: 'full' | 'text';
  /** Number of documents. */
  documents: number;
  /**
   * Index segments. Each add makes one; similar-sized ones are merged and big ones get an
   * HNSW graph in the background, a moment after the last change.
   */
  segments: number;
  /** Segments searched through an HNSW graph (the others are scanned exactly). */
  graphSegments: number;
  /** Passage vectors (those of removed documents too, until their segment is merged). */
  vectors: number;
  /**
   * With `storage: 'indexeddb'`: times the browser took the index's database away while this
   * engine held it (site data cleared, eviction under storage pressure, another page deleting
   * it) and the engine recovered. Searches go on from memory meanwhile; the next change (a
   * background merge counts) first writes back everything the engine holds, or takes the
   * index another tab wrote back first. Where a page has started a new index in the cleared
   * database meanwhile, nothing is written over it: changes reject with `STORAGE_EVICTED` and
   * the engine's documents are only in memory. So clearing site data while pages of the app
   * are open does not stick until they are closed. `0` otherwise. Ask for persistent storage
   * (`navigator.storage.persist()`) to make eviction unlikely.
   */
  evictions: number;
  /** Whether the engine runs in a Web Worker. */
  worker: boolean;
  /**
   * Why the engine runs on the page although a worker was asked for: its worker could not start
   * (the package served from another origin, a Content-Security-Policy without `worker-src` for
   * it, its script unreachable), so `createEngine` fell back to the page's thread.
   */
  workerFallback?: string;
  /** Version of the wasm core. */
  version: string;
  /** Id of the embedding model, if the engine has one. */
  model?: string;
  /**
   * Threads that made the last batch of vectors (`add`, `update`, `embed`): 1, or 1 plus the
   * helper workers that took part (`model.threads`). `0` before anything was embedded.
   */
  embedThreads?: number;
  /** Where the index lives (`'memory'` also after an opted-in fallback). */
  storage: StorageKind;
  /** The static index, if the engine has one: what is loaded and what it cost. */
  staticIndex?: StaticIndexInfo;
  /** What `repair: true` rebuilt when the engine started, if anything was damaged. */
  repaired?: RepairInfo;
  /** With stored indexes (`'indexeddb'`, `'file'`): what has been verified so far, and what not. */
  integrity?: IntegrityInfo;
  /** Where vector scans run ({@link EngineOptions.gpu}). */
  gpu: GpuInfo;
}

/**
 * What of a stored index has been verified ({@link EngineInfo.integrity}). Opening reads only
 * what the first query needs; the rest is checked as it is read.
 */
export interface IntegrityInfo {
  /**
   * Read and verified when the engine opened (checksums, structure, content ids): the
   * manifest and every segment's meta file (document ids, metadata, term dictionaries).
   */
  checkedAtOpen: ['manifest', 'segment-meta-files'];
  /**
   * Parts of stored segments (postings, stored text, vectors) not read yet. Each is verified
   * when it loads (for a query, or in the background a moment after opening), so damage there
   * shows then: `CORRUPT_DATA`, or a rebuild with `repair: true`. `0` once all are read.
   */
  chunksUnchecked: number;
  /**
   * The documents store, the copy `repair` rebuilds damaged segments from, is read only by a
   * repair: damage to it shows only when a repair needs it. Always `false`.
   */
  documentsStoreChecked: false;
}

/** What `repair` rebuilt or restored ({@link EngineOptions.repair}). */
export interface RepairInfo {
  /** Segments rebuilt from the documents store. */
  segments: number;
  /** Documents they hold; when the manifest was restored, every live document it lists. */
  documents: number;
  /**
   * Set when the index's manifest (the record listing its segments) was missing or damaged:
   * `'backup'` when it was restored exactly from the backup each commit writes beside it,
   * `'rebuilt'` when that was lost too and it was rebuilt from the documents store (documents
   * removed before the damage may be back).
   */
  manifest?: 'backup' | 'rebuilt';
}

/** The GPU side of an engine ({@link EngineInfo.gpu}). */
export interface GpuInfo {
  /** What the engine's next vector scan runs on. */
  backend: 'webgpu' | 'cpu';
  /** The WebGPU adapter, when one is open. */
  adapter?: string;
  /** Whether that adapter is a software renderer (SwiftShader, lavapipe). */
  software?: boolean;
  /** Vectors copied to the GPU (live ones). */
  vectors: number;
  /** Searches whose candidates came from the GPU. */
  searches: number;
  /** Why the GPU is not used (no WebGPU, `gpu: 'cpu'`, no model, a lost device), if it is not. */
  reason?: string;
}

/** A search engine. Every method is async; call {@link Engine.dispose} when done. */
export interface Engine {
  /** Adds documents, all or none (an invalid document rejects the whole call). */
  add(documents: readonly Document[], options?: AddOptions): Promise<void>;
  /**
   * Replaces documents with the same ids (adding those that are new), all or none: the old
   * versions stay if any document is invalid.
   */
  update(documents: readonly Document[], options?: AddOptions): Promise<void>;
  /** Removes documents by id; resolves to how many existed. */
  remove(ids: readonly string[]): Promise<number>;
  /**
   * Searches with text, or (with an image-text model) with an image: documents whose images
   * or texts are nearest to it. An image query needs mode `'vector'` or `'hybrid'`. A text
   * query is at most 4 KiB of UTF-8 (`INVALID_QUERY` beyond).
   */
  search(query: string | ImageInput, options?: SearchOptions): Promise<Hit[]>;
  /**
   * Searches as {@link Engine.search} does, and counts the match set: its size
   * ({@link Results.total}, for "N results" and paging with `offset`) and, with `facets`, the
   * value counts of metadata fields over it. Counting scores every match of the query's words
   * (a search stops at the top `k`), so it costs more on common words.
   */
  query(query: string | ImageInput, options?: QueryOptions): Promise<Results>;
  /**
   * "Maybe you are looking for…": clusters the query's top results and suggests, for each
   * group the query ranks poorly, the query plus a word or two that retrieves it (CroQS-style).
   * Hybrid with a model, full-text otherwise. Resolves to `[]` when the results do not split.
   */
  suggest(query: string, options?: SuggestOptions): Promise<Suggestion[]>;
  /**
   * The model's vectors of `texts` (one `Float32Array` of the model's dimension each, in
   * order; unit length for the built-in model), computed in the engine's worker as documents
   * are. Needs a model with weights (`MODEL_UNSUPPORTED` otherwise); an image-text model
   * embeds them with its text tower. At most 10,000 texts per call, each a non-blank string of
   * at most 1,048,576 UTF-16 code units (the model reads its first 256 tokens); `INVALID_INPUT` / `EMPTY_INPUT`
   * beyond.
   */
  embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]>;
  /** Counts and runtime details. */
  info(): Promise<EngineInfo>;
  /** Stops the worker and frees memory; later calls reject with `DISPOSED`. */
  dispose(): Promise<void>;
}
