/**
 * Embedding on several threads (`model.threads`): helper Web Workers (`embed-worker.js`), each
 * with its own copy of the text model, take batches while the engine's own thread embeds too.
 * Every thread runs the same wasm build and model, so a batch gets the same vectors wherever it
 * runs. Helpers start with the first call that has enough batches to share, and stop after a
 * while without work (their memory is the model's, ~100 MB each). A helper that fails to start
 * or crashes is dropped; its batch is embedded by the others, so embedding never depends on one.
 */

import type { EmbedRequest, EmbedResponse } from '../embed-worker.js';

/** What a pool needs to start helpers. */
export interface PoolModel {
  id: string;
  onnx: Uint8Array;
  tokenizer: Uint8Array;
  batchSize: number | undefined;
}

/** Helpers stop after this long without work. */
const IDLE_MS = 30_000;

/**
 * Batches per thread a run needs for helpers to take part (a helper takes about a second to load
 * its model, the engine's thread embeds a batch of 4 in tens of milliseconds).
 */
const MIN_BATCHES_PER_THREAD = 8;

interface Helper {
  worker: Worker;
  ready: Promise<boolean>;
  /** The answer of the batch in flight. */
  answer: ((response: EmbedResponse | undefined) => void) | undefined;
  dead: boolean;
}

/** The default thread count: the device's cores, at most 4. */
export function defaultThreads(): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  return Math.max(1, Math.min(4, typeof cores === 'number' && cores > 0 ? cores : 1));
}

/** Whether this runtime can start module workers from here (browsers, their workers). */
export function canStartHelpers(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof Worker !== 'undefined' && typeof p?.versions?.node !== 'string';
}

export class EmbedPool {
  readonly #model: PoolModel;
  readonly #helpers: Helper[] = [];
  readonly #size: number;
  readonly #assets: string | undefined;
  #idle: ReturnType<typeof setTimeout> | undefined;
  #nextId = 1;
  /** Threads that took part in the last run (the engine's own included). */
  lastThreads = 0;

  /** `threads`: the engine's thread plus `threads - 1` helpers. */
  constructor(model: PoolModel, threads: number, assets: string | undefined) {
    this.#model = model;
    this.#size = Math.max(0, threads - 1);
    this.#assets = assets;
  }

  /**
   * Embeds `batches` (texts each): batch `i`'s vectors go to `done(i, vectors)`. `local` embeds
   * on this thread. Stops taking batches once `cancelled()`; resolves when every batch taken is
   * done.
   */
  async run(
    batches: string[][],
    local: (texts: string[]) => Float32Array,
    done: (index: number, vectors: Float32Array) => void,
    cancelled: () => boolean,
  ): Promise<void> {
    clearTimeout(this.#idle);
    const share = Math.min(this.#size, Math.floor(batches.length / MIN_BATCHES_PER_THREAD) - 1);
    const helpers = share > 0 ? this.#start(share) : [];
    let next = 0;
    /** Batches a failed helper gave back, taken before new ones. */
    const returned: number[] = [];
    /** Set when this thread's embedding failed: nobody takes another batch. */
    let stop = false;
    const take = (): number | undefined =>
      stop || cancelled()
        ? undefined
        : (returned.shift() ?? (next < batches.length ? next++ : undefined));
    const used = new Set<Helper>();
    let failure: unknown;
    const remote = async (helper: Helper) => {
      if (!(await helper.ready)) return;
      for (let i = take(); i !== undefined; i = take()) {
        const answer = await this.#send(helper, batches[i]!);
        if (answer === undefined || !('vectors' in answer)) {
          // The helper is gone or failed on this batch: another thread embeds it (an error in
          // the texts fails there too, with the engine's own message).
          returned.push(i);
          this.#drop(helper);
          return;
        }
        used.add(helper);
        done(i, answer.vectors);
      }
    };
    const own = async () => {
      for (let i = take(); i !== undefined; i = take()) {
        done(i, local(batches[i]!));
        // Lets the helpers' answers and an abort message in.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    };
    try {
      await Promise.all([own(), ...helpers.map((h) => remote(h))]);
      // Batches given back after this thread ran out of work.
      await own();
    } catch (e) {
      stop = true;
      failure = e;
    }
    this.lastThreads = 1 + used.size;
    if (failure !== undefined) throw failure;
    this.#idle = setTimeout(() => this.terminate(), IDLE_MS);
  }

  /** Stops every helper (the next run starts them again). */
  terminate(): void {
    clearTimeout(this.#idle);
    for (const helper of this.#helpers) this.#drop(helper);
    this.#helpers.length = 0;
  }

  /** Up to `count` live helpers, started where missing. */
  #start(count: number): Helper[] {
    for (let i = this.#helpers.length - 1; i >= 0; i--) {
      if (this.#helpers[i]!.dead) this.#helpers.splice(i, 1);
    }
    while (this.#helpers.length < count) {
      const helper = this.#spawn();
      if (!helper) break;
      this.#helpers.push(helper);
    }
    return this.#helpers.slice(0, count);
  }

  #spawn(): Helper | undefined {
    let worker: Worker;
    try {
      // Written out whole for the default: Vite and webpack recognise this form and bundle the
      // helper; an `assets` folder holds the package's own copy.
      worker =
        this.#assets === undefined
          ? new Worker(new URL('../embed-worker.js', import.meta.url), {
              type: 'module',
              name: 'scry-embed',
            })
          : new Worker(new URL('embed-worker.js', this.#assets), {
              type: 'module',
              name: 'scry-embed',
            });
    } catch {
      return undefined;
    }
    const helper: Helper = {
      worker,
      ready: Promise.resolve(false),
      answer: undefined,
      dead: false,
    };
    helper.ready = new Promise<boolean>((resolve) => {
      const fail = () => {
        this.#drop(helper);
        resolve(false);
      };
      worker.addEventListener('error', fail);
      worker.addEventListener('messageerror', fail);
      worker.addEventListener('message', (event: MessageEvent<EmbedResponse>) => {
        const data = event.data;
        if ('ready' in data) {
          resolve(data.ready);
          if (!data.ready) this.#drop(helper);
          return;
        }
        const answer = helper.answer;
        helper.answer = undefined;
        answer?.(data);
      });
    });
    const { id, onnx, tokenizer, batchSize } = this.#model;
    const load: EmbedRequest = {
      load: { id, onnx, tokenizer, batchSize, ...(this.#assets ? { assets: this.#assets } : {}) },
    };
    worker.postMessage(load);
    return helper;
  }

  #send(helper: Helper, texts: string[]): Promise<EmbedResponse | undefined> {
    if (helper.dead) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      helper.answer = resolve;
      const request: EmbedRequest = { id: this.#nextId++, texts };
      helper.worker.postMessage(request);
    });
  }

  #drop(helper: Helper): void {
    if (helper.dead) return;
    helper.dead = true;
    helper.worker.terminate();
    const answer = helper.answer;
    helper.answer = undefined;
    answer?.(undefined);
  }
}
