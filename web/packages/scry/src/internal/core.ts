/** The engine core: dispatches protocol methods to the wasm engine (in a worker or in-thread). */

import { ScryError, isErrorCode } from '../public/errors.js';
import type { CoreMethods, Method, Response } from './protocol.js';
import { loadWasm, type WasmEngine } from './wasm.js';

/** Converts anything thrown by wasm or JS into a protocol error. */
export function toWireError(e: unknown): { code: ScryError['code']; message: string } {
  if (typeof e === 'object' && e !== null) {
    const code = (e as { code?: unknown }).code;
    const message = String((e as { message?: unknown }).message ?? e);
    if (isErrorCode(code)) return { code, message };
    return { code: 'INTERNAL', message };
  }
  return { code: 'INTERNAL', message: String(e) };
}

/** One engine instance behind the protocol. */
export class Core {
  #engine: WasmEngine | undefined;

  async init(options: Record<string, unknown>): Promise<{ version: string }> {
    const wasm = await loadWasm();
    this.#engine?.free();
    this.#engine = new wasm.Engine(options);
    return { version: wasm.version() };
  }

  #get(): WasmEngine {
    if (!this.#engine) throw new ScryError('INTERNAL', 'engine used before init');
    return this.#engine;
  }

  add(documents: unknown[]): void {
    this.#get().add(documents);
  }

  remove(ids: string[]): number {
    return this.#get().remove(ids);
  }

  search(query: string, options: Record<string, unknown>): unknown[] {
    return this.#get().search(query, options, undefined) as unknown[];
  }

  size(): number {
    return this.#get().size;
  }

  /** Runs one method and wraps its outcome as a response. */
  async handle<M extends Method>(
    id: number,
    method: M,
    args: CoreMethods[M]['args'],
  ): Promise<Response> {
    try {
      const fn = this[method] as (...a: unknown[]) => unknown;
      if (typeof fn !== 'function') throw new ScryError('INTERNAL', `unknown method ${method}`);
      const value = await fn.apply(this, args as unknown[]);
      return { id, ok: true, value };
    } catch (e) {
      return { id, ok: false, error: toWireError(e) };
    }
  }

  dispose(): void {
    this.#engine?.free();
    this.#engine = undefined;
  }
}
