/**
 * scry: private, offline search that runs entirely in the browser.
 * This file only re-exports the public API.
 */

export { createEngine } from './engine.js';
export { ScryError, SCRY_ERROR_CODES, isScryError, isErrorCode } from './public/errors.js';
export type { ScryErrorCode } from './public/errors.js';
export type {
  AddOptions,
  AddProgress,
  DomGlobal,
  Document,
  EmbedOptions,
  EmbedProgress,
  Engine,
  EngineInfo,
  EngineOptions,
  Facet,
  FacetValue,
  FieldBoosts,
  AnalyzerOptions,
  Language,
  TypoOptions,
  PrefixOptions,
  Filter,
  GpuInfo,
  Hit,
  ImageInput,
  RawImage,
  RepairInfo,
  Results,
  IntegrityInfo,
  HnswOptions,
  MetaValue,
  ModelProgress,
  ModelSpec,
  QueryOptions,
  SearchMode,
  SearchOptions,
  Snippet,
  SortOption,
  StaticIndexInfo,
  StaticIndexSpec,
  StorageKind,
  Suggestion,
  SuggestionItem,
  SuggestOptions,
} from './public/types.js';
