/**
 * DOM helpers. Every piece of document or query text goes in as a text node: nothing from the
 * data ever becomes HTML, and URLs are checked before they reach `href` or `src`.
 */

import type { Snippet } from './types.js';

/** Attributes of {@link el}: strings are set as attributes, `true` as empty ones, `false`/`undefined` skipped. */
export type Attributes = Record<string, string | boolean | undefined>;

/** Creates an element with attributes and children (strings become text nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  children: readonly (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) element.setAttribute(name, '');
    else if (typeof value === 'string') element.setAttribute(name, value);
  }
  element.append(...children);
  return element;
}

/**
 * `url` resolved against the page when it is safe to use as a link (`http:`, `https:`);
 * `undefined` otherwise (`javascript:`, `data:`…).
 */
export function safeLink(url: unknown): string | undefined {
  return checkUrl(url, ['http:', 'https:']);
}

/**
 * `url` resolved against the page when it is safe as an image source; `undefined` otherwise.
 * Images from other origins are refused unless `allowRemote`: loading one would tell that host
 * which results a query showed.
 */
export function safeImage(url: unknown, allowRemote = false): string | undefined {
  if (typeof url === 'string' && /^data:image\//i.test(url.trim())) return url.trim();
  const src = checkUrl(url, ['http:', 'https:', 'blob:']);
  if (src === undefined || allowRemote || src.startsWith('blob:')) return src;
  return new URL(src).origin === new URL(document.baseURI).origin ? src : undefined;
}

function checkUrl(url: unknown, protocols: readonly string[]): string | undefined {
  if (typeof url !== 'string' || url.trim() === '') return undefined;
  try {
    const resolved = new URL(url.trim(), document.baseURI);
    return protocols.includes(resolved.protocol) ? resolved.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A decorative thumbnail (`alt=""`: the adjacent title names it). It hides itself when the
 * image fails to load. `undefined` when `url` is not a safe image URL.
 */
export function thumbnail(
  url: unknown,
  part: string,
  className: string,
  allowRemote = false,
): HTMLImageElement | undefined {
  const src = safeImage(url, allowRemote);
  if (!src) return undefined;
  const img = el('img', {
    part,
    class: className,
    alt: '',
    loading: 'lazy',
    decoding: 'async',
    draggable: 'false',
  });
  img.addEventListener('error', () => img.classList.add('broken'), { once: true });
  img.src = src;
  return img;
}

/**
 * A snippet as nodes: text nodes, `<mark part="mark">` around each highlight range (sorted,
 * clipped; overlapping or invalid ranges skipped), and `…` where the text was truncated.
 */
export function snippetNodes(snippet: Snippet | undefined): Node[] {
  if (!snippet || typeof snippet.text !== 'string') return [];
  const { text } = snippet;
  const ranges = (Array.isArray(snippet.highlights) ? snippet.highlights : [])
    .filter(
      (r): r is [number, number] =>
        Array.isArray(r) && Number.isInteger(r[0]) && Number.isInteger(r[1]) && r[0] < r[1],
    )
    .slice()
    .sort((a, b) => a[0] - b[0]);
  const nodes: Node[] = [];
  if (snippet.truncatedStart) nodes.push(document.createTextNode('… '));
  let at = 0;
  for (const [start, end] of ranges) {
    if (start < at || end > text.length) continue;
    if (start > at) nodes.push(document.createTextNode(text.slice(at, start)));
    nodes.push(el('mark', { part: 'mark' }, [text.slice(start, end)]));
    at = end;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  if (snippet.truncatedEnd) nodes.push(document.createTextNode(' …'));
  return nodes;
}

/**
 * The suggested query as nodes: the words of the original query muted
 * (`<span part="chip-base">`) and the added words emphasised (`<strong part="chip-added">`).
 */
export function queryNodes(query: string, added: readonly string[]): Node[] {
  const words = query.trim().split(/\s+/).filter(Boolean);
  const addedWords = added.flatMap((a) => a.trim().split(/\s+/)).filter(Boolean);
  const lower = (w: string): string => w.toLocaleLowerCase();
  // Usually the query is "<original> <added…>": emphasise that tail. Otherwise emphasise every
  // word that is one of the added words.
  const tail = words.slice(words.length - addedWords.length);
  const isTail =
    addedWords.length > 0 &&
    addedWords.length <= words.length &&
    tail.every((w, i) => lower(w) === lower(addedWords[i] ?? ''));
  const set = new Set(addedWords.map(lower));
  const nodes: Node[] = [];
  for (const [i, word] of words.entries()) {
    if (i > 0) nodes.push(document.createTextNode(' '));
    const emphasised = isTail ? i >= words.length - addedWords.length : set.has(lower(word));
    nodes.push(
      emphasised
        ? el('strong', { part: 'chip-added', class: 'added' }, [word])
        : el('span', { part: 'chip-base', class: 'base' }, [word]),
    );
  }
  return nodes;
}

/**
 * Adopts a constructable stylesheet (shared by every instance) into a shadow root: no
 * `<style>` elements and no `style` attributes, so it works under `style-src 'self'`.
 */
export function adoptStyles(root: ShadowRoot, cache: { sheet?: CSSStyleSheet }, css: string): void {
  if (!cache.sheet) {
    cache.sheet = new CSSStyleSheet();
    cache.sheet.replaceSync(css);
  }
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, cache.sheet];
}

/**
 * Moves a property set on an element before its class was defined (which shadows the
 * accessor) through the accessor.
 */
export function upgradeProperty(element: HTMLElement, name: string): void {
  if (Object.prototype.hasOwnProperty.call(element, name)) {
    const value = (element as unknown as Record<string, unknown>)[name];
    delete (element as unknown as Record<string, unknown>)[name];
    (element as unknown as Record<string, unknown>)[name] = value;
  }
}

/** A bubbling, composed `CustomEvent`. */
export function fire<T>(target: EventTarget, type: string, detail: T, cancelable = false): boolean {
  return target.dispatchEvent(
    new CustomEvent<T>(type, { detail, bubbles: true, composed: true, cancelable }),
  );
}
