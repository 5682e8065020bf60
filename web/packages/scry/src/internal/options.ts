/** Loose-to-strict translation of JavaScript options: every value checked, typos rejected. */

import { ScryError } from '../public/errors.js';
import type { EngineOptions, SearchOptions } from '../public/types.js';

/** Engine options as sent to the core (the `worker` and `name` choices stay in TypeScript). */
export interface CoreEngineOptions {
  k1?: number;
  b?: number;
  titleBoost?: number;
  bodyBoost?: number;
  snippetWords?: number;
}

/** Fully resolved engine options. */
export interface ResolvedEngineOptions {
  name: string;
  worker: boolean;
  core: CoreEngineOptions;
}

type Range = { min: number; max: number; integer?: boolean };

const ENGINE_NUMBERS: Record<keyof CoreEngineOptions, Range> = {
  k1: { min: 0, max: 10 },
  b: { min: 0, max: 1 },
  titleBoost: { min: 0, max: 100 },
  bodyBoost: { min: 0, max: 100 },
  snippetWords: { min: 1, max: 200, integer: true },
};

function fail(message: string): never {
  throw new ScryError('INVALID_OPTIONS', message);
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) fail(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      fail(`unknown ${what} option "${key}"; expected one of: ${allowed.join(', ')}`);
    }
  }
}

function checkNumber(value: unknown, name: string, range: Range): number {
  if (typeof value !== 'number' || Number.isNaN(value)) fail(`${name} must be a number`);
  if (range.integer && !Number.isInteger(value)) fail(`${name} must be an integer`);
  if (value < range.min || value > range.max) {
    fail(`${name} must be between ${range.min} and ${range.max}, got ${value}`);
  }
  return value;
}

/** Whether this runtime can start module workers. */
export function workersAvailable(): boolean {
  return typeof Worker !== 'undefined' && typeof window !== 'undefined';
}

/** Validates {@link EngineOptions}. */
export function resolveEngineOptions(options: unknown): ResolvedEngineOptions {
  const o = asObject(options, 'engine options');
  checkKeys(o, ['name', 'worker', ...Object.keys(ENGINE_NUMBERS)], 'engine');
  const name = o['name'] ?? 'default';
  if (typeof name !== 'string' || name.length < 1 || name.length > 128) {
    fail('name must be a string of 1 to 128 characters');
  }
  const worker = o['worker'] ?? workersAvailable();
  if (typeof worker !== 'boolean') fail('worker must be a boolean');
  if (worker && !workersAvailable()) fail('worker: true needs a browser with Web Workers');
  const core: CoreEngineOptions = {};
  for (const [key, range] of Object.entries(ENGINE_NUMBERS) as [keyof CoreEngineOptions, Range][]) {
    if (o[key] !== undefined) core[key] = checkNumber(o[key], key, range);
  }
  return { name, worker, core };
}

/** Search options as sent to the core. */
export interface CoreSearchOptions {
  k?: number;
}

/** Validates {@link SearchOptions}; returns the core part and the signal. */
export function resolveSearchOptions(options: unknown): {
  core: CoreSearchOptions;
  signal: AbortSignal | undefined;
} {
  const o = asObject(options, 'search options') as SearchOptions & Record<string, unknown>;
  checkKeys(o, ['k', 'signal'], 'search');
  const core: CoreSearchOptions = {};
  if (o.k !== undefined) core.k = checkNumber(o.k, 'k', { min: 1, max: 1000, integer: true });
  return { core, signal: checkSignal(o.signal) };
}

/** Validates an optional AbortSignal. */
export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (typeof AbortSignal === 'undefined' || !(signal instanceof AbortSignal)) {
    fail('signal must be an AbortSignal');
  }
  return signal;
}

/** Validates the query string. */
export function checkQuery(query: unknown): string {
  if (typeof query !== 'string') {
    throw new ScryError('INVALID_QUERY', `query must be a string, got ${typeof query}`);
  }
  return query;
}
