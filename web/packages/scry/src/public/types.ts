/** Public types of the scry API. */

/** A text document to index. */
export interface Document {
  /** Unique id, 1 to 1024 bytes of UTF-8. Adding an existing id fails with `DUPLICATE_ID`. */
  id: string;
  /** Title; matches here weigh `titleBoost` times a body match. Default `''`. */
  title?: string;
  /** Main text. Default `''`. A document needs a non-blank title or body. */
  body?: string;
  /** Link shown with the result. */
  url?: string;
}

/** Options of {@link createEngine}. All are optional. */
export interface EngineOptions {
  /** Name of the index (used for persistence). Default `'default'`; 1–128 characters. */
  name?: string;
  /**
   * Run the engine in a dedicated Web Worker so the page's thread never blocks.
   * Default `true` where `Worker` exists (browsers), `false` in Node.js.
   */
  worker?: boolean;
  /** BM25 term-frequency saturation `k1`. Default `1.2`; range 0–10. */
  k1?: number;
  /** BM25 length normalisation `b`. Default `0.75`; range 0–1. */
  b?: number;
  /** Weight of title matches. Default `2`; range 0–100. */
  titleBoost?: number;
  /** Weight of body matches. Default `1`; range 0–100. */
  bodyBoost?: number;
  /** Words per snippet. Default `24`; integer 1–200. */
  snippetWords?: number;
}

/** Options of {@link Engine.search}. */
export interface SearchOptions {
  /** Number of results. Default `10`; integer 1–1000. */
  k?: number;
  /** Cancels the search: the promise rejects with code `ABORTED`. */
  signal?: AbortSignal;
}

/** Options of {@link Engine.add}. */
export interface AddOptions {
  /** Cancels before the documents are sent; rejects with code `ABORTED`. */
  signal?: AbortSignal;
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
  /** Relevance; higher is better; comparable within one query only. */
  score: number;
  /** The document title. */
  title: string;
  /** The document link, if it has one. */
  url?: string;
  /** Best excerpt with highlights. */
  snippet: Snippet;
}

/** What an engine is running on. */
export interface EngineInfo {
  /** Number of documents. */
  documents: number;
  /** Whether the engine runs in a Web Worker. */
  worker: boolean;
  /** Version of the wasm core. */
  version: string;
}

/** A search engine. Every method is async; call {@link Engine.dispose} when done. */
export interface Engine {
  /** Adds documents, all or none (an invalid document rejects the whole call). */
  add(documents: readonly Document[], options?: AddOptions): Promise<void>;
  /** Removes documents by id; resolves to how many existed. */
  remove(ids: readonly string[]): Promise<number>;
  /** Full-text search. */
  search(query: string, options?: SearchOptions): Promise<Hit[]>;
  /** Counts and runtime details. */
  info(): Promise<EngineInfo>;
  /** Stops the worker and frees memory; later calls reject with `DISPOSED`. */
  dispose(): Promise<void>;
}
