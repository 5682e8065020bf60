/** `<scry-search>`: a search box with results and a "Maybe you are looking for…" row. */

import {
  adoptStyles,
  el,
  fire,
  safeLink,
  snippetNodes,
  thumbnail,
  upgradeProperty,
} from './dom.js';
import { SEARCH_CSS } from './styles.js';
import { languageOf, translate, type Translations } from './i18n.js';
import { ScrySuggestionsElement } from './suggestions.js';
import type {
  ErrorEventDetail,
  Hit,
  QueryCallOptions,
  SearchEngineLike,
  SearchEventDetail,
  SearchMode,
  SelectEventDetail,
  SuggestEventDetail,
  Suggestion,
  SuggestionEventDetail,
} from './types.js';

const styles: { sheet?: CSSStyleSheet } = {};
const MODES: readonly SearchMode[] = ['text', 'vector', 'hybrid'];
const SVG = 'http://www.w3.org/2000/svg';

/** An integer attribute, clamped to `[min, max]`; `fallback` when absent or not a number. */
function intAttribute(
  element: Element,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = element.getAttribute(name);
  const value = raw === null || raw.trim() === '' ? NaN : Number(raw);
  return Number.isFinite(value) ? Math.min(max, Math.max(min, Math.round(value))) : fallback;
}

/** A readable message for a thrown value, with scry's `code` first when it has one. */
export function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message =
    error instanceof Error ? error.message : typeof error === 'string' ? error : String(error);
  if (typeof code === 'string' && code !== '') return message ? `${code}: ${message}` : code;
  return message || 'unknown error';
}

/** The magnifier icon, built from DOM nodes (presentation attributes, no `style`). */
function searchIcon(): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  for (const [k, v] of Object.entries({
    class: 'icon',
    part: 'icon',
    viewBox: '0 0 24 24',
    fill: 'none',
    stroke: 'currentColor',
    'stroke-width': '2',
    'stroke-linecap': 'round',
    'aria-hidden': 'true',
  })) {
    svg.setAttribute(k, v);
  }
  const circle = document.createElementNS(SVG, 'circle');
  circle.setAttribute('cx', '11');
  circle.setAttribute('cy', '11');
  circle.setAttribute('r', '7');
  const line = document.createElementNS(SVG, 'path');
  line.setAttribute('d', 'M20 20l-3.5-3.5');
  svg.append(circle, line);
  return svg;
}

/**
 * The whole widget: a search box (`role="search"`), a polite status line, a
 * `<scry-suggestions>` row and the results. Give it an engine: `el.engine = engine`.
 *
 * Searches as you type (debounced), ignores stale answers (each new query aborts the previous
 * one and answers are matched to a sequence number), then asks for suggestions once the results
 * are in. Activating a chip puts its query into the box and searches.
 *
 * Keyboard: ↓ in the box goes to the chips (or the first result); ↑/↓ move between the box,
 * the chips and the results; ←/→ move between chips; Enter searches at once (in the box) or
 * activates; Escape returns to the box.
 *
 * Attributes (each also a property): `k` (results, default 10, 1–1000), `mode` (`text`,
 * `vector`, `hybrid`; default: the engine's), `max-suggestions` (default 4, 0–12; 0 turns
 * suggestions off), `debounce` (ms, default 150, 0–10000), `placeholder` (default "Search…"),
 * `label` (the box's accessible name, default "Search"), `suggestions-label` (the chip row's
 * label, default "Maybe you are looking for…").
 *
 * Events (bubbling, composed): `scry-search` {query, hits, ms}, `scry-suggest`
 * {query, suggestions, ms}, `scry-select` {hit} (cancelable: cancel to keep a link from being
 * followed), `scry-suggestion` {suggestion} (from the chip row), `scry-error` {error, phase}.
 *
 * @example
 * import 'scry-ui';
 * const widget = document.querySelector('scry-search');
 * widget.engine = await createEngine({ model: { url: '/models/all-MiniLM-L6-v2-int8/' } });
 */
export class ScrySearchElement extends HTMLElement {
  /** Attributes the element reacts to. */
  static readonly observedAttributes = ['placeholder', 'label', 'suggestions-label', 'lang'];

  #engine: SearchEngineLike | undefined;
  #translations: Partial<Translations> | undefined;
  #hits: readonly Hit[] = [];
  /** How many results the shown query has (from `engine.query`; the hits shown without it). */
  #total = 0;
  /** The query whose results are shown. */
  #shown = '';
  #timer: ReturnType<typeof setTimeout> | undefined;
  #controller: AbortController | undefined;
  /** Incremented by every search; an answer for an older number is stale. */
  #seq = 0;
  /** "Show more results" in flight, and its number (a newer click or search makes it stale). */
  #moreController: AbortController | undefined;
  #moreSeq = 0;
  /** The query of the latest search started. */
  #started = '';
  readonly #root: HTMLDivElement;
  readonly #input: HTMLInputElement;
  readonly #status: HTMLParagraphElement;
  readonly #chips: ScrySuggestionsElement;
  readonly #results: HTMLOListElement;
  readonly #more: HTMLButtonElement;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    adoptStyles(root, styles, SEARCH_CSS);
    this.#input = el('input', {
      type: 'search',
      part: 'input',
      class: 'input',
      autocomplete: 'off',
      autocapitalize: 'off',
      spellcheck: 'false',
      enterkeyhint: 'search',
      'aria-controls': 'results',
    });
    this.#status = el('p', {
      part: 'status',
      class: 'status',
      role: 'status',
      'aria-live': 'polite',
    });
    // The row must be defined before it is created (defineElements does it first).
    if (!customElements.get('scry-suggestions')) {
      customElements.define('scry-suggestions', ScrySuggestionsElement);
    }
    this.#chips = document.createElement('scry-suggestions');
    this.#chips.className = 'suggestions';
    this.#chips.setAttribute('part', 'suggestions');
    this.#chips.setAttribute(
      'exportparts',
      'label, row, chip, chip-thumbs, chip-thumb, chip-query, chip-base, chip-added, chip-titles, chip-title, chip-count',
    );
    this.#results = el('ol', { part: 'results', class: 'results', id: 'results' });
    this.#more = el('button', { type: 'button', part: 'more', class: 'more', hidden: '' });
    const box = el('div', { part: 'search', class: 'box', role: 'search' }, [
      searchIcon(),
      this.#input,
      el('span', { class: 'spinner', 'aria-hidden': 'true' }),
    ]);
    this.#root = el('div', { part: 'root', class: 'root' }, [
      box,
      this.#status,
      this.#chips,
      this.#results,
      this.#more,
    ]);
    root.append(this.#root);
    this.#updateAttributes();

    this.#input.addEventListener('input', () => this.#onInput());
    this.#root.addEventListener('keydown', (e) => this.#onKeydown(e));
    this.#results.addEventListener('click', (e) => this.#onResultClick(e));
    this.#more.addEventListener('click', () => void this.#loadMore());
    this.#chips.addEventListener('scry-suggestion', (e) => this.#runSuggestion(e.detail));
  }

  /** @internal Custom element lifecycle. */
  connectedCallback(): void {
    for (const name of ['engine', 'k', 'mode', 'maxSuggestions', 'debounce', 'placeholder']) {
      upgradeProperty(this, name);
    }
    upgradeProperty(this, 'query');
    upgradeProperty(this, 'translations');
    // The language may come from an ancestor's `lang`, known once connected.
    this.#updateAttributes();
  }

  /** @internal Custom element lifecycle. */
  disconnectedCallback(): void {
    this.#cancel();
  }

  /** @internal Custom element lifecycle. */
  attributeChangedCallback(): void {
    this.#updateAttributes();
  }

  /**
   * The search engine (scry's `Engine` or anything with `search` and, optionally, `suggest`).
   * Setting it searches for the text already in the box.
   */
  get engine(): SearchEngineLike | undefined {
    return this.#engine;
  }

  set engine(engine: SearchEngineLike | null | undefined) {
    this.#engine = engine ?? undefined;
    if (this.#input.value.trim() !== '') void this.search();
    else this.#cancel();
  }

  /** The text in the box. Setting it searches at once. */
  get query(): string {
    return this.#input.value;
  }

  set query(value: string) {
    void this.search(String(value ?? ''));
  }

  /** Results shown (`k` attribute). Default 10; integer 1–1000. */
  get k(): number {
    return intAttribute(this, 'k', 10, 1, 1000);
  }

  set k(value: number) {
    this.setAttribute('k', String(value));
  }

  /** Retrievers (`mode` attribute); `undefined`: the engine's default. */
  get mode(): SearchMode | undefined {
    const mode = this.getAttribute('mode');
    return MODES.find((m) => m === mode);
  }

  set mode(value: SearchMode | undefined) {
    if (value === undefined || value === null) this.removeAttribute('mode');
    else this.setAttribute('mode', value);
  }

  /** Most suggestions (`max-suggestions` attribute). Default 4; integer 0–12 (0: none). */
  get maxSuggestions(): number {
    return intAttribute(this, 'max-suggestions', 4, 0, 12);
  }

  set maxSuggestions(value: number) {
    this.setAttribute('max-suggestions', String(value));
  }

  /** Milliseconds of typing pause before a search (`debounce` attribute). Default 150; 0–10000. */
  get debounce(): number {
    return intAttribute(this, 'debounce', 150, 0, 10000);
  }

  set debounce(value: number) {
    this.setAttribute('debounce', String(value));
  }

  /** Placeholder of the box (`placeholder` attribute). Default "Search…", translated. */
  get placeholder(): string {
    return this.getAttribute('placeholder') ?? this.#text('placeholder');
  }

  set placeholder(value: string) {
    this.setAttribute('placeholder', value);
  }

  /**
   * Strings of the app's own over the built-in ones of the element's language (its `lang` or
   * its closest ancestor's: English, French, German and Spanish are built in), for every text
   * the element and its chip row show or announce; counts take their plural form from
   * `Intl.PluralRules`. The `placeholder`, `label` and `suggestions-label` attributes win.
   *
   * @example
   * widget.translations = { results: { one: '{count} wynik', few: '{count} wyniki', many: '{count} wyników' } };
   */
  get translations(): Partial<Translations> | undefined {
    return this.#translations;
  }

  set translations(value: Partial<Translations> | null | undefined) {
    this.#translations = value && typeof value === 'object' ? { ...value } : undefined;
    this.#chips.translations = this.#translations;
    this.#updateAttributes();
  }

  /** The element's language (its `lang`, or its closest ancestor's). */
  get language(): string {
    return languageOf(this);
  }

  /** The results shown. */
  get hits(): readonly Hit[] {
    return this.#hits;
  }

  /** The suggestions shown. */
  get suggestions(): readonly Suggestion[] {
    return this.#chips.suggestions;
  }

  /**
   * Searches now (no debounce) for `query` (put into the box) or for the box's text. Resolves
   * once the results and suggestions are shown, or the search was superseded; never rejects
   * (failures are shown and dispatched as `scry-error`).
   */
  search(query?: string): Promise<void> {
    if (query !== undefined) this.#input.value = query;
    return this.#run(this.#input.value);
  }

  /** Empties the box, the results and the suggestions, and cancels any search. */
  clear(): void {
    this.#input.value = '';
    void this.#run('');
  }

  /** Focuses the search box. */
  override focus(options?: FocusOptions): void {
    this.#input.focus(options);
  }

  /** String `key` in the element's language, its placeholders filled from `values`. */
  #text(key: keyof Translations, values?: Record<string, string | number>): string {
    return translate(this, this.#translations, key, values);
  }

  #updateAttributes(): void {
    this.#input.placeholder = this.placeholder;
    this.#input.setAttribute('aria-label', this.getAttribute('label') ?? this.#text('label'));
    this.#results.setAttribute('aria-label', this.#text('resultsLabel'));
    this.#more.textContent = this.#text('loadMore');
    this.#chips.lang = languageOf(this);
    const label = this.getAttribute('suggestions-label');
    if (label === null) this.#chips.removeAttribute('label');
    else this.#chips.setAttribute('label', label);
  }

  #cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#controller?.abort();
    this.#controller = undefined;
    this.#moreController?.abort();
    this.#moreController = undefined;
    this.#seq++;
    this.#started = '';
    this.#setBusy(false);
  }

  #setBusy(busy: boolean): void {
    this.#root.classList.toggle('busy', busy);
    this.#results.setAttribute('aria-busy', String(busy));
    this.#chips.busy = busy;
  }

  #setStatus(text: string, error = false): void {
    this.#status.textContent = text;
    this.#status.classList.toggle('error', error);
  }

  #onInput(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#input.value.trim() === '') {
      void this.#run('');
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#run(this.#input.value);
    }, this.debounce);
  }

  async #run(text: string): Promise<void> {
    const query = text.trim();
    this.#cancel();
    const seq = this.#seq;
    const engine = this.#engine;
    if (query === '') {
      this.#renderHits([]);
      this.#showSuggestions([]);
      this.#setStatus('');
      return;
    }
    if (!engine) return;
    const controller = new AbortController();
    this.#controller = controller;
    this.#started = query;
    this.#setBusy(true);

    const t0 = performance.now();
    let hits: Hit[];
    let total: number;
    try {
      ({ hits, total } = await this.#page(engine, query, 0, controller.signal));
    } catch (error) {
      if (seq !== this.#seq) return;
      this.#started = '';
      this.#setBusy(false);
      this.#renderHits([]);
      this.#showSuggestions([]);
      this.#fail(error, 'search', this.#text('searchFailed', { error: describeError(error) }));
      return;
    }
    if (seq !== this.#seq) return;
    this.#shown = query;
    this.#total = total;
    this.#renderHits(hits);
    const status =
      hits.length === 0
        ? this.#text('noResults', { query })
        : this.#text('results', { count: total });
    this.#setStatus(status);
    fire<SearchEventDetail>(this, 'scry-search', { query, hits, ms: performance.now() - t0 });

    const max = this.maxSuggestions;
    if (typeof engine.suggest !== 'function' || max === 0 || hits.length === 0) {
      this.#showSuggestions([]);
      this.#setBusy(false);
      return;
    }
    const t1 = performance.now();
    try {
      const suggestions = await engine.suggest(query, { max, signal: controller.signal });
      if (seq !== this.#seq) return;
      const shown = Array.isArray(suggestions) ? suggestions.slice(0, max) : [];
      this.#showSuggestions(shown);
      this.#setBusy(false);
      fire<SuggestEventDetail>(this, 'scry-suggest', {
        query,
        suggestions: shown,
        ms: performance.now() - t1,
      });
    } catch (error) {
      if (seq !== this.#seq) return;
      this.#showSuggestions([]);
      this.#setBusy(false);
      this.#fail(
        error,
        'suggest',
        this.#text('suggestionsFailed', { status, error: describeError(error) }),
      );
    }
  }

  /**
   * A page of `k` results of `query` from `offset` on, and how many there are: from
   * `engine.query` when the engine has it, else one page from `engine.search`.
   */
  async #page(
    engine: SearchEngineLike,
    query: string,
    offset: number,
    signal: AbortSignal,
  ): Promise<{ hits: Hit[]; total: number }> {
    const options: QueryCallOptions = { k: this.k, signal };
    const mode = this.mode;
    if (mode) options.mode = mode;
    if (typeof engine.query === 'function') {
      if (offset > 0) options.offset = offset;
      const page = await engine.query(query, options);
      if (!Array.isArray(page?.hits)) throw new TypeError('query() did not return { hits }');
      const total = Number.isSafeInteger(page.total) ? page.total : offset + page.hits.length;
      return { hits: page.hits, total: Math.max(total, offset + page.hits.length) };
    }
    const hits = await engine.search(query, options);
    if (!Array.isArray(hits)) throw new TypeError('search() did not return an array');
    return { hits, total: hits.length };
  }

  /** "Show more results": the next page of the shown query, appended. */
  async #loadMore(): Promise<void> {
    const engine = this.#engine;
    const query = this.#shown;
    if (!engine || query === '' || this.#hits.length >= this.#total) return;
    // Not the search's controller: its suggestions may still be on their way.
    this.#moreController?.abort();
    const controller = new AbortController();
    this.#moreController = controller;
    const [seq, moreSeq] = [this.#seq, ++this.#moreSeq];
    const stale = (): boolean => seq !== this.#seq || moreSeq !== this.#moreSeq;
    const before = this.#hits.length;
    this.#setBusy(true);
    try {
      const { hits, total } = await this.#page(engine, query, before, controller.signal);
      if (stale()) return;
      // A document already shown (the index changed meanwhile) is not shown twice.
      const seen = new Set(this.#hits.map((h) => h.id));
      this.#total = hits.length === 0 ? before : total;
      this.#renderHits([...this.#hits, ...hits.filter((h) => !seen.has(h.id))]);
      this.#setBusy(false);
      // Keyboard users continue at the first new result.
      this.#focusHit(before);
    } catch (error) {
      if (stale()) return;
      this.#setBusy(false);
      this.#fail(error, 'search', this.#text('searchFailed', { error: describeError(error) }));
    }
  }

  /** Shows `suggestions`; focus on a chip that goes away moves to the box, not the page. */
  #showSuggestions(suggestions: readonly Suggestion[]): void {
    const hadFocus = this.#chips.matches(':focus-within');
    this.#chips.toggleAttribute('allow-remote-images', this.hasAttribute('allow-remote-images'));
    this.#chips.suggestions = suggestions;
    if (hadFocus && suggestions.length === 0) this.#input.focus({ preventScroll: true });
  }

  #fail(error: unknown, phase: ErrorEventDetail['phase'], message: string): void {
    this.#setStatus(message, true);
    fire<ErrorEventDetail>(this, 'scry-error', { error, phase });
  }

  #renderHits(hits: readonly Hit[]): void {
    this.#hits = hits;
    this.#results.replaceChildren(...hits.map((hit, i) => this.#hitNode(hit, i)));
    this.#more.hidden = hits.length === 0 || hits.length >= this.#total;
  }

  #hitNode(hit: Hit, index: number): HTMLLIElement {
    // The title with its matched words marked, as the snippet's (the id when it has none).
    const name = hit.title
      ? snippetNodes({
          text: hit.title,
          highlights: hit.titleHighlights ?? [],
          truncatedStart: false,
          truncatedEnd: false,
        })
      : [hit.id];
    const href = safeLink(hit.url);
    const title = href
      ? el('a', { part: 'hit-title', class: 'hit-title', href, 'data-index': String(index) }, name)
      : el(
          'button',
          { type: 'button', part: 'hit-title', class: 'hit-title', 'data-index': String(index) },
          name,
        );
    const body = el('div', { part: 'hit-body', class: 'hit-body' }, [el('div', {}, [title])]);
    const headings = Array.isArray(hit.headings) ? hit.headings.filter(Boolean) : [];
    const meta = headings.length > 0 ? headings.join(' › ') : href ? hit.url : undefined;
    if (meta) body.append(el('div', { part: 'hit-meta', class: 'hit-meta' }, [meta]));
    const snippet = snippetNodes(hit.snippet);
    if (snippet.length > 0) {
      body.append(el('p', { part: 'hit-snippet', class: 'hit-snippet' }, snippet));
    }
    const remote = this.hasAttribute('allow-remote-images');
    const image = thumbnail(hit.image, 'hit-image', 'hit-image', remote);
    return el(
      'li',
      { part: 'hit', class: image ? 'hit has-image' : 'hit', 'data-id': hit.id },
      image ? [image, body] : [body],
    );
  }

  #titles(): HTMLElement[] {
    return [...this.#results.querySelectorAll<HTMLElement>('.hit-title')];
  }

  #focusHit(index: number): boolean {
    const target = this.#titles()[index];
    target?.focus();
    return target !== undefined;
  }

  #onResultClick(event: MouseEvent): void {
    const title = (event.target as Element | null)?.closest?.('.hit-title');
    if (!(title instanceof HTMLElement)) return;
    const hit = this.#hits[Number(title.dataset['index'])];
    if (!hit) return;
    if (!fire<SelectEventDetail>(this, 'scry-select', { hit }, true)) event.preventDefault();
  }

  #runSuggestion({ suggestion }: SuggestionEventDetail): void {
    this.#input.value = suggestion.query;
    this.#input.focus({ preventScroll: true });
    void this.#run(suggestion.query);
  }

  #onKeydown(event: KeyboardEvent): void {
    if (event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.composedPath()[0];
    if (target === this.#input) {
      if (event.key === 'ArrowDown') {
        if (this.#chips.focusChip() || this.#focusHit(0)) event.preventDefault();
      } else if (event.key === 'Enter') {
        event.preventDefault();
        const query = this.#input.value.trim();
        // Already searching (or shown) for this text: nothing to do.
        if (this.#timer !== undefined || query !== this.#started) void this.#run(query);
      }
      return;
    }
    if (event.key === 'Escape') {
      event.preventDefault();
      this.#input.focus();
      return;
    }
    if (event.composedPath().includes(this.#chips)) {
      if (event.key === 'ArrowDown' && this.#focusHit(0)) event.preventDefault();
      else if (event.key === 'ArrowUp') {
        event.preventDefault();
        this.#input.focus();
      }
      return;
    }
    const index = this.#titles().indexOf(target as HTMLElement);
    if (index < 0) return;
    if (event.key === 'ArrowDown') {
      if (this.#focusHit(index + 1)) event.preventDefault();
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      if (index > 0) this.#focusHit(index - 1);
      else if (!this.#chips.focusChip()) this.#input.focus();
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'scry-search': ScrySearchElement;
  }
}
