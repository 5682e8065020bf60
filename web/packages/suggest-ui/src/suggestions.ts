/** `<scry-suggestions>`: the "Maybe you are looking for…" row of suggestion chips. */

import { adoptStyles, el, fire, queryNodes, thumbnail, upgradeProperty } from './dom.js';
import { translate, type Translations } from './i18n.js';
import { SUGGESTIONS_CSS } from './styles.js';
import type { Suggestion, SuggestionEventDetail } from './types.js';

const styles: { sheet?: CSSStyleSheet } = {};

/** Default of the `label` attribute. */
export const DEFAULT_SUGGESTIONS_LABEL = 'Maybe you are looking for…';

/** Thumbnails (or titles, for collections without images) previewed per chip. */
const PREVIEWS = 3;

/**
 * A labelled toolbar of chips, one per {@link Suggestion}: a small stack of thumbnails of the
 * suggestion's group (or two or three of its titles when it has no images), the suggested query
 * with the added words emphasised, and the group's size.
 *
 * Keyboard: one chip is in the tab order (roving tabindex); ←/→ move between chips (wrapping),
 * Home/End go to the first/last; Enter or Space activates. Activating a chip dispatches
 * `scry-suggestion` (`{ suggestion }`, bubbling and composed). The element hides itself (the
 * `empty` attribute) while it has no suggestions.
 *
 * Attributes: `label` (default "Maybe you are looking for…"; the toolbar's accessible name is
 * the label without trailing dots), `busy` (dims the chips while newer ones are on the way).
 *
 * @example
 * const row = document.createElement('scry-suggestions');
 * row.suggestions = await engine.suggest('stream');
 * row.addEventListener('scry-suggestion', (e) => console.log(e.detail.suggestion.query));
 */
export class ScrySuggestionsElement extends HTMLElement {
  /** Attributes the element reacts to. */
  static readonly observedAttributes = ['label', 'busy', 'lang'];

  #suggestions: readonly Suggestion[] = [];
  #translations: Partial<Translations> | undefined;
  /** Index of the chip in the tab order. */
  #active = 0;
  readonly #label: HTMLParagraphElement;
  readonly #row: HTMLDivElement;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    adoptStyles(root, styles, SUGGESTIONS_CSS);
    this.#label = el('p', { part: 'label', class: 'label', 'aria-hidden': 'true' });
    this.#row = el('div', { part: 'row', class: 'row', role: 'toolbar' });
    this.#updateLabel();
    root.append(this.#label, this.#row);
    this.#row.addEventListener('click', (e) => this.#onClick(e));
    this.#row.addEventListener('keydown', (e) => this.#onKeydown(e));
    this.#row.addEventListener('focusin', (e) => {
      const index = this.#chips().indexOf(e.target as HTMLButtonElement);
      if (index >= 0) this.#setActive(index);
    });
  }

  /** @internal Custom element lifecycle. */
  connectedCallback(): void {
    upgradeProperty(this, 'suggestions');
    upgradeProperty(this, 'busy');
    upgradeProperty(this, 'translations');
    // The language may come from an ancestor's `lang`, known once connected.
    this.#render();
    this.toggleAttribute('empty', this.#suggestions.length === 0);
  }

  /** @internal Custom element lifecycle. */
  attributeChangedCallback(name: string): void {
    if (name === 'label') this.#updateLabel();
    else if (name === 'lang') this.#render();
    else if (name === 'busy') this.#row.setAttribute('aria-busy', String(this.busy));
  }

  /** The suggestions shown, best first. Setting renders them (a copy is kept). */
  get suggestions(): readonly Suggestion[] {
    return this.#suggestions;
  }

  set suggestions(value: readonly Suggestion[] | null | undefined) {
    this.#suggestions = Array.isArray(value)
      ? value.filter((s) => s && typeof s.query === 'string' && s.query.trim() !== '')
      : [];
    this.#active = 0;
    this.#render();
  }

  /** Whether newer suggestions are on the way (the chips are dimmed). Reflects `busy`. */
  get busy(): boolean {
    return this.hasAttribute('busy');
  }

  set busy(value: boolean) {
    this.toggleAttribute('busy', Boolean(value));
  }

  /** The visible label. Reflects `label`; default "Maybe you are looking for…", translated. */
  get label(): string {
    return this.getAttribute('label') ?? this.#text('suggestionsLabel');
  }

  /**
   * Strings of the app's own over the built-in ones of the element's language (see
   * `<scry-search>`'s `translations`).
   */
  get translations(): Partial<Translations> | undefined {
    return this.#translations;
  }

  set translations(value: Partial<Translations> | null | undefined) {
    this.#translations = value && typeof value === 'object' ? { ...value } : undefined;
    this.#render();
  }

  #text(key: keyof Translations, values?: Record<string, string | number>): string {
    return translate(this, this.#translations, key, values);
  }

  set label(value: string) {
    this.setAttribute('label', value);
  }

  /**
   * Focuses a chip (default: the one in the tab order) and makes it the one in the tab order.
   * Returns `false` when there is no chip to focus.
   */
  focusChip(index: number = this.#active): boolean {
    const chips = this.#chips();
    if (chips.length === 0 || this.hidden) return false;
    const i = Math.min(Math.max(0, Math.trunc(index) || 0), chips.length - 1);
    this.#setActive(i);
    chips[i]?.focus();
    return true;
  }

  #updateLabel(): void {
    const label = this.label;
    this.#label.textContent = label;
    this.#row.setAttribute('aria-label', label.replace(/[\s.…:]+$/u, '') || label);
  }

  #chips(): HTMLButtonElement[] {
    return [...this.#row.querySelectorAll<HTMLButtonElement>('button.chip')];
  }

  #setActive(index: number): void {
    this.#active = index;
    for (const [i, chip] of this.#chips().entries()) chip.tabIndex = i === index ? 0 : -1;
  }

  #render(): void {
    this.#updateLabel();
    const chips = this.#chips();
    const focused = chips.findIndex((c) => c === this.shadowRoot?.activeElement);
    this.#row.replaceChildren(...this.#suggestions.map((s, i) => this.#chip(s, i)));
    this.toggleAttribute('empty', this.#suggestions.length === 0);
    if (focused >= 0) this.focusChip(focused);
  }

  #chip(suggestion: Suggestion, index: number): HTMLButtonElement {
    const items = Array.isArray(suggestion.items) ? suggestion.items : [];
    const added = Array.isArray(suggestion.added) ? suggestion.added : [];
    const titles = items.map((item) => item.title || item.id).filter(Boolean);
    const thumbs: HTMLImageElement[] = [];
    for (const item of items) {
      if (thumbs.length === PREVIEWS) break;
      const img = thumbnail(
        item.image,
        'chip-thumb',
        'thumb',
        this.hasAttribute('allow-remote-images'),
      );
      if (img) thumbs.push(img);
    }
    const text = el('span', { class: 'text' }, [
      el('span', { part: 'chip-query', class: 'query' }, queryNodes(suggestion.query, added)),
    ]);
    if (thumbs.length === 0 && titles.length > 0) {
      text.append(
        el(
          'span',
          { part: 'chip-titles', class: 'titles' },
          titles
            .slice(0, PREVIEWS)
            .map((title) => el('span', { part: 'chip-title', class: 'title' }, [title])),
        ),
      );
    }
    const n = items.length;
    const description = `chip-${index}-items`;
    const children: Node[] = [];
    if (thumbs.length > 0) {
      children.push(el('span', { part: 'chip-thumbs', class: 'thumbs' }, thumbs));
    }
    children.push(
      text,
      el('span', { part: 'chip-count', class: 'count', 'aria-hidden': 'true' }, [String(n)]),
      el('span', { id: description, hidden: true }, [
        titles.length > 0
          ? this.#text('includes', { titles: titles.slice(0, PREVIEWS).join(', ') })
          : '',
      ]),
    );
    return el(
      'button',
      {
        type: 'button',
        part: 'chip',
        class: thumbs.length > 0 ? 'chip' : 'chip text-only',
        tabindex: index === this.#active ? '0' : '-1',
        'data-index': String(index),
        'aria-label': this.#text('chipLabel', { query: suggestion.query, count: n }),
        'aria-describedby': description,
        title: titles.length > 0 ? titles.slice(0, 8).join(' · ') : undefined,
      },
      children,
    );
  }

  #onClick(event: MouseEvent): void {
    const chip = (event.target as Element | null)?.closest?.('button.chip');
    if (!(chip instanceof HTMLButtonElement)) return;
    const index = Number(chip.dataset['index']);
    const suggestion = this.#suggestions[index];
    if (!suggestion) return;
    this.#setActive(index);
    fire<SuggestionEventDetail>(this, 'scry-suggestion', { suggestion });
  }

  #onKeydown(event: KeyboardEvent): void {
    const chips = this.#chips();
    const current = chips.indexOf(event.target as HTMLButtonElement);
    if (current < 0 || event.altKey || event.ctrlKey || event.metaKey) return;
    const rtl = getComputedStyle(this.#row).direction === 'rtl';
    const forward = rtl ? 'ArrowLeft' : 'ArrowRight';
    const back = rtl ? 'ArrowRight' : 'ArrowLeft';
    let next: number;
    if (event.key === forward) next = (current + 1) % chips.length;
    else if (event.key === back) next = (current - 1 + chips.length) % chips.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = chips.length - 1;
    else return;
    event.preventDefault();
    this.focusChip(next);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'scry-suggestions': ScrySuggestionsElement;
  }
}
