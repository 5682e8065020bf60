/**
 * The engine contract (duck-typed: scry's `Engine` and anything shaped like it) and the
 * detail types of the events the elements dispatch.
 */

/** The best excerpt of a document for a query. Rendered as text nodes, never as HTML. */
export interface Snippet {
  /** The excerpt, verbatim. */
  text: string;
  /** `[start, end)` ranges to highlight, in UTF-16 code units of `text`. */
  highlights: [number, number][];
  /** The excerpt starts after the beginning of the document's text. */
  truncatedStart: boolean;
  /** The excerpt stops before the end of the document's text. */
  truncatedEnd: boolean;
}

/** One search result, as scry's `Engine.search` returns it. */
export interface Hit {
  /** Document id. */
  id: string;
  /** Relevance; higher is better. */
  score: number;
  /** Document title (the id is shown when it is empty). */
  title: string;
  /** Ranges of `title` that matched the query (marked like the snippet's). */
  titleHighlights?: [number, number][];
  /** Heading path of the document. */
  headings: string[];
  /** Link of the document: http(s) or relative URLs become links, others are ignored. */
  url?: string;
  /** Thumbnail URL (the document's `metadata.image`): http(s), relative, `data:image/` or `blob:`. */
  image?: string;
  /** Best excerpt with highlight ranges. */
  snippet: Snippet;
}

/** A document of a suggestion's group. */
export interface SuggestionItem {
  /** Document id. */
  id: string;
  /** Document title. */
  title: string;
  /** Link of the document. */
  url?: string;
  /** Thumbnail URL (the document's `metadata.image`). */
  image?: string;
}

/** One "Maybe you are looking for…" entry: a refined query that retrieves one group of results. */
export interface Suggestion {
  /** The suggested query: the original query plus the added words. */
  query: string;
  /** The words added to the original query (shown emphasised). */
  added: string[];
  /** The group's documents, in the original result order. */
  items: SuggestionItem[];
  /** Closed-set recall of the group for the suggestion. */
  specificity: number;
  /** The same for the original query. */
  baselineSpecificity: number;
  /** Average precision of the group in the suggestion's own results. */
  representativeness: number;
  /** Similarity of the suggestion to the original query. */
  similarity: number;
}

/** Retrievers of a search, as scry names them. */
export type SearchMode = 'text' | 'vector' | 'hybrid';

/** Options the elements pass to {@link SearchEngineLike.search}. */
export interface SearchCallOptions {
  /** Number of results. */
  k?: number;
  /** Retrievers; left out unless the `mode` attribute is set. */
  mode?: SearchMode;
  /** Aborted when a newer query supersedes this one. */
  signal?: AbortSignal;
}

/** Options `<scry-search>` passes to {@link SearchEngineLike.query}: a search's, and a page. */
export interface QueryCallOptions extends SearchCallOptions {
  /** Results skipped (the results already shown, for "Show more results"). */
  offset?: number;
}

/** A page of results and how many there are, as scry's `Engine.query` returns it. */
export interface ResultsLike {
  /** The page. */
  hits: Hit[];
  /** How many results the query has in all. */
  total: number;
}

/** Options the elements pass to {@link SearchEngineLike.suggest}. */
export interface SuggestCallOptions {
  /** Most suggestions. */
  max?: number;
  /** Aborted when a newer query supersedes this one. */
  signal?: AbortSignal;
}

/**
 * What `<scry-search>` needs of an engine: scry's `Engine` fits. `query` and `suggest` are
 * optional: without `query` the widget shows one page of results, without `suggest` no
 * suggestions.
 */
export interface SearchEngineLike {
  /** Searches; rejects when `signal` aborts (scry: code `ABORTED`). */
  search(query: string, options?: SearchCallOptions): Promise<Hit[]>;
  /**
   * A page of results with the total (scry: `Engine.query`). When the engine has it, the
   * widget shows the total and a "Show more results" button while results remain.
   */
  query?(query: string, options?: QueryCallOptions): Promise<ResultsLike>;
  /** Query suggestions for `query`, best first. */
  suggest?(query: string, options?: SuggestCallOptions): Promise<Suggestion[]>;
}

/** Detail of `scry-search`: results arrived for `query`. */
export interface SearchEventDetail {
  /** The query (as typed, trimmed). */
  query: string;
  /** The results shown. */
  hits: Hit[];
  /** Milliseconds from the request to the answer. */
  ms: number;
}

/** Detail of `scry-suggest`: suggestions arrived for `query`. */
export interface SuggestEventDetail {
  /** The query the suggestions refine. */
  query: string;
  /** The suggestions shown. */
  suggestions: Suggestion[];
  /** Milliseconds from the request to the answer. */
  ms: number;
}

/** Detail of `scry-select`: a result was activated (click, Enter). Cancelable: cancel to keep a link from being followed. */
export interface SelectEventDetail {
  /** The activated result. */
  hit: Hit;
}

/** Detail of `scry-suggestion`: a chip was activated. */
export interface SuggestionEventDetail {
  /** The activated suggestion. */
  suggestion: Suggestion;
}

/** Detail of `scry-error`: a search or suggestion request failed. */
export interface ErrorEventDetail {
  /** What the engine threw (scry's errors carry a stable `code`). */
  error: unknown;
  /** Which request failed. */
  phase: 'search' | 'suggest';
}

declare global {
  interface HTMLElementEventMap {
    /** `<scry-search>`: results arrived. */
    'scry-search': CustomEvent<SearchEventDetail>;
    /** `<scry-search>`: suggestions arrived. */
    'scry-suggest': CustomEvent<SuggestEventDetail>;
    /** `<scry-search>`: a result was activated. */
    'scry-select': CustomEvent<SelectEventDetail>;
    /** `<scry-suggestions>` (also through `<scry-search>`): a chip was activated. */
    'scry-suggestion': CustomEvent<SuggestionEventDetail>;
    /** `<scry-search>`: a request failed. */
    'scry-error': CustomEvent<ErrorEventDetail>;
  }
}
