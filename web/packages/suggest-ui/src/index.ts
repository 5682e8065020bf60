/**
 * scry-ui: framework-free web components for scry. Importing this module defines
 * `<scry-search>` (search box, results, suggestion chips) and `<scry-suggestions>` (the
 * "Maybe you are looking for…" chip row alone).
 */

export { defineElements } from './define.js';
export { BUILT_IN as BUILT_IN_TRANSLATIONS, format, stringsFor } from './i18n.js';
export type { Message, Translations } from './i18n.js';
export { safeImage, safeLink, snippetNodes } from './dom.js';
export { ScrySearchElement, describeError } from './search.js';
export { DEFAULT_SUGGESTIONS_LABEL, ScrySuggestionsElement } from './suggestions.js';
export type {
  ErrorEventDetail,
  Hit,
  QueryCallOptions,
  ResultsLike,
  SearchCallOptions,
  SearchEngineLike,
  SearchEventDetail,
  SearchMode,
  SelectEventDetail,
  Snippet,
  SuggestCallOptions,
  SuggestEventDetail,
  Suggestion,
  SuggestionEventDetail,
  SuggestionItem,
} from './types.js';
