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
  /** The manifest (JSON) the model is described by: scry's built-in one or the user's. */
  manifest: string;
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
  /** Whether the helper loaded its model (false once it failed or was stopped). */
  ready: Promise<boolean>;
  settleReady: (ok: boolean) => void;
  /** Answers awaited, by request id. */
  pending: Map<number, (response: EmbedResponse | undefined) => void>;
  dead: boolean;
}

/**
 * The default thread count: half the logical cores (about the physical ones, where each has two
 * hardware threads), at most 4 — onnxruntime-web's default too. Each thread holds a copy of the
 * model, so the default stays modest.
 */
export function defaultThreads(): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  const logical = typeof cores === 'number' && cores > 0 ? cores : 1;
  return Math.max(1, Math.min(4, Math.ceil(logical / 2)));
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
  /** The run in progress (runs take turns: helpers serve one at a time). */
  #queue: Promise<void> = Promise.resolve();
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
   * done, rejects with `local`'s error (after the helpers' batches in flight came back). Runs
   * one at a time: a second call waits for the first.
   */
  run(
    batches: string[][],
    local: (texts: string[]) => Float32Array,
    done: (index: number, vectors: Float32Array) => void,
    cancelled: () => boolean,
  ): Promise<void> {
    const turn = this.#queue.then(() => this.#run(batches, local, done, cancelled));
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  async #run(
    batches: string[][],
    local: (texts: string[]) => Float32Array,
    done: (index: number, vectors: Float32Array) => void,
    cancelled: () => boolean,
  ): Promise<void> {
    clearTimeout(this.#idle);
    const share = Math.min(this.#size, Math.floor(batches.length / MIN_BATCHES_PER_THREAD) - 1);
    const helpers = share > 0 ? this.#start(share) : [];
    let next = 0;
    /** Batches a helper gave back, taken before new ones. */
    const returned: number[] = [];
    /** Set when this thread's embedding failed: nobody takes another batch. */
    let stop = false;
    const take = (): number | undefined =>
      stop || cancelled()
        ? undefined
        : (returned.shift() ?? (next < batches.length ? next++ : undefined));
    const used = new Set<Helper>();
    let ownDone = (): void => undefined;
    /** Settles when this thread has run out of new batches: helpers not ready by then sit out. */
    const ranOut = new Promise<false>((resolve) => (ownDone = () => resolve(false)));
    const own = async () => {
      try {
        for (let i = take(); i !== undefined; i = take()) {
          done(i, local(batches[i]!));
          // Lets the helpers' answers and an abort message in.
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      } catch (e) {
        stop = true;
        throw e;
      } finally {
        ownDone();
      }
    };
    const remote = async (helper: Helper) => {
      if (!(await Promise.race([helper.ready, ranOut]))) return;
      for (let i = take(); i !== undefined; i = take()) {
        const answer = await this.#send(helper, batches[i]!);
        if (answer === undefined || !('vectors' in answer)) {
          // Gone (dropped), or it failed on this batch: this thread embeds it (an error in the
          // texts fails there too, with the engine's own message).
          returned.push(i);
          return;
        }
        used.add(helper);
        done(i, answer.vectors);
      }
    };
    try {
      const results = await Promise.allSettled([own(), ...helpers.map((h) => remote(h))]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      // Batches given back after this thread ran out of new ones.
      await own();
    } finally {
      this.lastThreads = 1 + used.size;
      this.#idle = setTimeout(() => this.terminate(), IDLE_MS);
    }
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
    let settleReady: (ok: boolean) => void = () => undefined;
    const ready = new Promise<boolean>((resolve) => (settleReady = resolve));
    const helper: Helper = { worker, ready, settleReady, pending: new Map(), dead: false };
    const fail = () => this.#drop(helper);
    worker.addEventListener('error', fail);
    worker.addEventListener('messageerror', fail);
    worker.addEventListener('message', (event: MessageEvent<EmbedResponse>) => {
      const data = event.data;
      if ('ready' in data) {
        if (data.ready) helper.settleReady(true);
        else this.#drop(helper);
        return;
      }
      const answer = helper.pending.get(data.id);
      helper.pending.delete(data.id);
      answer?.(data);
    });
    const { id, manifest, onnx, tokenizer, batchSize } = this.#model;
    const load: EmbedRequest = {
      load: {
        manifest,
        id,
        onnx,
        tokenizer,
        batchSize,
        ...(this.#assets ? { assets: this.#assets } : {}),
      },
    };
    worker.postMessage(load);
    return helper;
  }

  #send(helper: Helper, texts: string[]): Promise<EmbedResponse | undefined> {
    if (helper.dead) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const id = this.#nextId++;
      helper.pending.set(id, resolve);
      const request: EmbedRequest = { id, texts };
      helper.worker.postMessage(request);
    });
  }

  /** Stops a helper; whatever waits on it hears `undefined` (or `false`, its start). */
  #drop(helper: Helper): void {
    if (helper.dead) return;
    helper.dead = true;
    helper.worker.terminate();
    helper.settleReady(false);
    for (const answer of helper.pending.values()) answer(undefined);
    helper.pending.clear();
  }
}
