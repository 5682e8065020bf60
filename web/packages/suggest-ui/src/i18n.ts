/**
 * Every string scry-ui shows or gives to assistive technology, by language: built in for English,
 * French, German and Spanish; any language through the `translations` property. The language is
 * the element's `lang`, or its closest ancestor's (the page's `<html lang>` by default). Counts
 * pick their form with `Intl.PluralRules`, so languages with several plural forms (`few`,
 * `many`, …) get the right one.
 */

/** A string with `{name}` placeholders, or its plural forms (by `Intl.PluralRules` category). */
export type Message = string | Partial<Record<Intl.LDMLPluralRule, string>>;

/** The strings of scry-ui. Placeholders: `{count}`, `{query}`, `{error}`, `{titles}`, `{status}`. */
export interface Translations {
  /** The search box's placeholder. */
  placeholder: Message;
  /** The search box's accessible name. */
  label: Message;
  /** The results list's accessible name. */
  resultsLabel: Message;
  /** The status line after a search with hits: `{count}`. */
  results: Message;
  /** The status line after a search without hits: `{query}`. */
  noResults: Message;
  /** The status line after a failed search: `{error}`. */
  searchFailed: Message;
  /** The status line when suggestions failed: `{status}` (the results line), `{error}`. */
  suggestionsFailed: Message;
  /** The chip row's label. */
  suggestionsLabel: Message;
  /** A chip's accessible name: `{query}`, `{count}`. */
  chipLabel: Message;
  /** A chip's description: the titles it includes, `{titles}`. */
  includes: Message;
  /** The button under the results that shows the next page. */
  loadMore: Message;
}

const EN: Translations = {
  placeholder: 'Search…',
  label: 'Search',
  resultsLabel: 'Results',
  results: { one: '{count} result', other: '{count} results' },
  noResults: 'No results for “{query}”',
  searchFailed: 'Search failed ({error})',
  suggestionsFailed: '{status} · suggestions failed ({error})',
  suggestionsLabel: 'Maybe you are looking for…',
  chipLabel: {
    one: 'Search for "{query}", {count} result',
    other: 'Search for "{query}", {count} results',
  },
  includes: 'Includes {titles}',
  loadMore: 'Show more results',
};

/** Built-in translations, by language (the primary subtag of `lang`). */
export const BUILT_IN: Readonly<Record<string, Translations>> = {
  en: EN,
  fr: {
    placeholder: 'Rechercher…',
    label: 'Rechercher',
    resultsLabel: 'Résultats',
    results: { one: '{count} résultat', many: '{count} de résultats', other: '{count} résultats' },
    noResults: 'Aucun résultat pour « {query} »',
    searchFailed: 'La recherche a échoué ({error})',
    suggestionsFailed: '{status} · les suggestions ont échoué ({error})',
    suggestionsLabel: 'Vous cherchez peut-être…',
    chipLabel: {
      one: 'Rechercher « {query} », {count} résultat',
      other: 'Rechercher « {query} », {count} résultats',
    },
    includes: 'Contient {titles}',
    loadMore: 'Afficher plus de résultats',
  },
  de: {
    placeholder: 'Suchen…',
    label: 'Suchen',
    resultsLabel: 'Ergebnisse',
    results: { one: '{count} Ergebnis', other: '{count} Ergebnisse' },
    noResults: 'Keine Ergebnisse für „{query}“',
    searchFailed: 'Die Suche ist fehlgeschlagen ({error})',
    suggestionsFailed: '{status} · Vorschläge fehlgeschlagen ({error})',
    suggestionsLabel: 'Meinten Sie vielleicht…',
    chipLabel: {
      one: 'Nach „{query}“ suchen, {count} Ergebnis',
      other: 'Nach „{query}“ suchen, {count} Ergebnisse',
    },
    includes: 'Enthält {titles}',
    loadMore: 'Weitere Ergebnisse anzeigen',
  },
  es: {
    placeholder: 'Buscar…',
    label: 'Buscar',
    resultsLabel: 'Resultados',
    results: {
      one: '{count} resultado',
      many: '{count} de resultados',
      other: '{count} resultados',
    },
    noResults: 'No hay resultados para «{query}»',
    searchFailed: 'La búsqueda falló ({error})',
    suggestionsFailed: '{status} · las sugerencias fallaron ({error})',
    suggestionsLabel: 'Quizás estás buscando…',
    chipLabel: {
      one: 'Buscar «{query}», {count} resultado',
      other: 'Buscar «{query}», {count} resultados',
    },
    includes: 'Incluye {titles}',
    loadMore: 'Mostrar más resultados',
  },
};

/** The language of `element`: its own `lang` or its closest ancestor's (`''` when none). */
export function languageOf(element: Element): string {
  return element.closest('[lang]')?.getAttribute('lang')?.trim() ?? '';
}

/**
 * The strings for language `lang`: the built-in ones of its primary subtag (English when there
 * are none), with `own` on top (an app's translations, for any language).
 */
export function stringsFor(lang: string, own?: Partial<Translations>): Translations {
  const primary = lang.toLowerCase().split(/[-_]/)[0] ?? '';
  return { ...(BUILT_IN[primary] ?? EN), ...(own ?? {}) };
}

/**
 * `message` with its placeholders filled; a plural message takes the form `Intl.PluralRules`
 * picks for `values.count` in `lang` (falling back to `other`, then to any form given).
 */
export function format(
  lang: string,
  message: Message,
  values: Record<string, string | number> = {},
): string {
  let text: string;
  if (typeof message === 'string') text = message;
  else {
    const count = typeof values['count'] === 'number' ? values['count'] : 0;
    let rule: Intl.LDMLPluralRule = 'other';
    try {
      rule = new Intl.PluralRules(lang || 'en').select(count);
    } catch {
      // An invalid language tag: English rules.
      rule = new Intl.PluralRules('en').select(count);
    }
    text = message[rule] ?? message.other ?? Object.values(message)[0] ?? '';
  }
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

/**
 * String `key` for `element` (in its language, `own` strings over the built-in ones), its
 * placeholders filled from `values`.
 */
export function translate(
  element: Element,
  own: Partial<Translations> | undefined,
  key: keyof Translations,
  values?: Record<string, string | number>,
): string {
  const lang = languageOf(element);
  return format(lang, stringsFor(lang, own)[key], values);
}
