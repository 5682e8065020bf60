/**
 * Documents as the core takes them: every field checked for its type here, before anything
 * reaches wasm, and copied into a plain object of the known fields (others are ignored). So a
 * getter that throws, a proxy, a cycle or a value nested 100,000 deep is a typed error, never a
 * trap inside the wasm module (which would leave every engine sharing it unusable).
 *
 * Lone UTF-16 surrogates in what identifies a document (id, url, metadata) are refused: the wasm
 * boundary turns each into U+FFFD, so `'a\uD800'` and `'a\uDBFF'` would become one id and
 * overwrite each other. Text fields (title, body, headings, tags) carry no identity: their lone
 * surrogates become U+FFFD, as everywhere text is decoded.
 */

import { ScryError } from '../public/errors.js';
import type { Document, MetaValue } from '../public/types.js';
import { describe, wellFormed } from './options.js';

function invalid(message: string, cause?: unknown): ScryError {
  return new ScryError('INVALID_DOCUMENT', message, cause === undefined ? undefined : { cause });
}

function identity(what: string, value: string): string {
  if (!wellFormed(value)) {
    throw invalid(
      `${what} ${JSON.stringify(value.slice(0, 200))} holds a lone UTF-16 surrogate (not valid ` +
        'Unicode); it would not survive as itself, so it is refused',
    );
  }
  return value;
}

/** The document fields the core reads (scry-core's `Document`). */
export type CoreDocument = Omit<Document, 'image' | 'vector'>;

/** A document as given, split: what goes to the core, and its image or vector if any. */
export interface ReadDocument {
  doc: CoreDocument;
  image: unknown;
  vector: unknown;
}

function texts(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw invalid(`${what} must be an array of strings`);
  }
  return [...value] as string[];
}

function readOne(d: unknown, i: number): ReadDocument {
  if (typeof d !== 'object' || d === null || Array.isArray(d)) {
    throw invalid(`document ${i} is not an object of {id, title, body, ...}`);
  }
  const o = d as Record<string, unknown>;
  const id = o['id'];
  if (typeof id !== 'string') throw invalid(`document ${i}'s id must be a string`);
  const name = `document ${JSON.stringify(id.slice(0, 64))}`;
  const doc: CoreDocument = { id: identity('document id', id) };
  for (const key of ['title', 'body'] as const) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw invalid(`${name}: ${key} must be a string`);
    doc[key] = v;
  }
  for (const key of ['headings', 'tags'] as const) {
    const v = o[key];
    if (v !== undefined) doc[key] = texts(v, `${name}: ${key}`);
  }
  const url = o['url'];
  if (url !== undefined) {
    if (typeof url !== 'string') throw invalid(`${name}: url must be a string`);
    doc.url = identity(`${name}'s url`, url);
  }
  const metadata = o['metadata'];
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      throw invalid(`${name}: metadata must be an object`);
    }
    const out: Record<string, MetaValue> = {};
    // Own properties defined, so that a key `__proto__` stays a key (assignment would set the
    // object's prototype and drop it).
    const set = (key: string, v: MetaValue) =>
      Object.defineProperty(out, key, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    for (const [key, value] of Object.entries(metadata)) {
      identity(`${name}'s metadata key`, key);
      if (typeof value === 'string') set(key, identity(`${name}'s metadata ${key}`, value));
      else if (typeof value === 'number' || typeof value === 'boolean') set(key, value);
      else if (Array.isArray(value)) {
        set(
          key,
          texts(value, `${name}: metadata ${key}`).map((t) =>
            identity(`${name}'s metadata ${key}`, t),
          ),
        );
      } else {
        throw invalid(
          `${name}: metadata ${key} must be a boolean, a number, a string or a list of strings`,
        );
      }
    }
    doc.metadata = out;
  }
  return { doc, image: o['image'], vector: o['vector'] };
}

/**
 * Reads documents for `add`/`update`: each checked and copied (see the module comment). A
 * document that cannot even be read (a getter or proxy that throws) is `INVALID_DOCUMENT` too.
 */
export function readDocuments(input: unknown): ReadDocument[] {
  if (!Array.isArray(input)) throw invalid('add() and update() take an array of documents');
  return input.map((d, i) => {
    try {
      return readOne(d, i);
    } catch (e) {
      if (e instanceof ScryError) throw e;
      throw invalid(`document ${i} could not be read: ${describe(e)}`, e);
    }
  });
}

/**
 * The ids of `remove`, copied and checked: strings only (`INVALID_OPTIONS` otherwise), none
 * holding a lone surrogate (`INVALID_DOCUMENT`: it could name another document).
 */
export function readIds(ids: unknown): string[] {
  let copy: unknown[];
  try {
    if (!Array.isArray(ids)) throw new Error('not an array');
    copy = Array.from({ length: ids.length }, (_, i) => (ids as unknown[])[i]);
  } catch (e) {
    throw new ScryError(
      'INVALID_OPTIONS',
      `remove() takes an array of string ids (${describe(e)})`,
    );
  }
  for (const id of copy) {
    if (typeof id !== 'string') {
      throw new ScryError('INVALID_OPTIONS', 'remove() takes an array of string ids');
    }
    identity('id', id);
  }
  return copy as string[];
}

/** Most texts one {@link Engine.embed} call takes. */
export const MAX_EMBED_TEXTS = 10_000;
/** Longest text it takes, in UTF-16 code units (the model reads its first 256 tokens). */
export const MAX_EMBED_CHARS = 1 << 20;

/**
 * Texts to embed, checked and copied (on the page, and again in the core): an array of 1 to
 * {@link MAX_EMBED_TEXTS} non-blank strings of at most {@link MAX_EMBED_CHARS} code units.
 * Read by index, never through an iterator a hostile array could replace.
 */
export function readTexts(value: unknown): string[] {
  try {
    return readTextsOnce(value);
  } catch (e) {
    if (e instanceof ScryError) throw e;
    // A hostile array (a Proxy whose traps throw, a getter that throws): its own error.
    throw new ScryError('INVALID_INPUT', `embed() could not read its texts: ${String(e)}`);
  }
}

function readTextsOnce(value: unknown): string[] {
  if (!Array.isArray(value)) {
    throw new ScryError('INVALID_INPUT', 'embed() takes an array of strings');
  }
  const length = value.length;
  if (length === 0 || length > MAX_EMBED_TEXTS) {
    throw new ScryError(
      'INVALID_INPUT',
      `embed() takes 1 to ${MAX_EMBED_TEXTS} texts; got ${length}`,
    );
  }
  const out: string[] = new Array<string>(length);
  for (let i = 0; i < length; i++) {
    const t: unknown = value[i];
    if (typeof t !== 'string') throw new ScryError('INVALID_INPUT', `text ${i} is not a string`);
    if (t.length > MAX_EMBED_CHARS) {
      throw new ScryError(
        'INVALID_INPUT',
        `text ${i} is longer than ${MAX_EMBED_CHARS} characters`,
      );
    }
    if (t.trim() === '') throw new ScryError('EMPTY_INPUT', `text ${i} is blank`);
    out[i] = t;
  }
  return out;
}
