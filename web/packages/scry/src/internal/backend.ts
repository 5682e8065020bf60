/** Where the core runs: in a dedicated Web Worker (default in browsers) or on this thread. */

import { ScryError } from '../public/errors.js';
import { Core } from './core.js';
import type { Cancel, CoreMethods, Method, Progress, Request, Response } from './protocol.js';

/** How a call treats its `AbortSignal`. */
export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** Receives the call's progress messages. */
  onProgress?: ((progress: unknown) => void) | undefined;
  /**
   * For calls with effects (add, update): on abort, ask the core to stop and report what it
   * did (`ABORTED`, or success when the abort came too late) instead of rejecting at once.
   */
  settle?: boolean;
  /** Objects moved to the worker instead of copied (the images' `ImageBitmap`s). */
  transfer?: Transferable[];
}

/** Sends protocol calls to a core. */
export interface Backend {
  readonly worker: boolean;
  call<M extends Method>(
    method: M,
    args: CoreMethods[M]['args'],
    options?: CallOptions,
  ): Promise<CoreMethods[M]['result']>;
  /** Stops the core; resolves once its storage is released. */
  terminate(): void | Promise<void>;
}

function settle<M extends Method>(response: Response): CoreMethods[M]['result'] {
  if (response.ok) return response.value as CoreMethods[M]['result'];
  throw new ScryError(response.error.code, response.error.message);
}

function aborted(): ScryError {
  return new ScryError('ABORTED', 'the operation was aborted');
}

/** Runs the core on the calling thread (Node.js, or `worker: false`). */
export class InThreadBackend implements Backend {
  readonly worker = false;
  #core = new Core();

  async call<M extends Method>(
    method: M,
    args: CoreMethods[M]['args'],
    options: CallOptions = {},
  ): Promise<CoreMethods[M]['result']> {
    const { signal, onProgress } = options;
    if (signal?.aborted) throw aborted();
    this.#core.onProgress = onProgress;
    const response = await this.#core.handle(0, method, args, {
      progress: (p) => onProgress?.(p),
      cancelled: () => signal?.aborted === true,
      ...(signal ? { signal } : {}),
    });
    this.#core.onProgress = undefined;
    if (signal?.aborted && !options.settle) throw aborted();
    return settle<M>(response);
  }

  terminate(): Promise<void> {
    return this.#core.close();
  }
}

interface Pending {
  resolve: (r: Response) => void;
  reject: (e: unknown) => void;
  onProgress: ((progress: unknown) => void) | undefined;
}

/** Runs the core in a module Web Worker; requests and responses are matched by id. */
export class WorkerBackend implements Backend {
  readonly worker = true;
  /** Whether the worker has sent anything (so its script loaded and ran). */
  answered = false;
  #worker: Worker;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #failure: ScryError | undefined;

  /** `assets`: where the package's `dist/` is served (`EngineOptions.assets`). */
  constructor(assets?: string) {
    // The default is written out whole: Vite and webpack recognise this form and bundle the
    // worker; an `assets` folder holds the package's own, unbundled copy.
    this.#worker =
      assets === undefined
        ? new Worker(new URL('../worker.js', import.meta.url), {
            type: 'module',
            name: 'scry-engine',
          })
        : new Worker(new URL('worker.js', assets), { type: 'module', name: 'scry-engine' });
    this.#worker.addEventListener('message', (event: MessageEvent<Response | Progress>) => {
      this.answered = true;
      const p = this.#pending.get(event.data.id);
      if (!p) return;
      if ('progress' in event.data) {
        p.onProgress?.(event.data.progress);
        return;
      }
      this.#pending.delete(event.data.id);
      p.resolve(event.data);
    });
    const fail = (what: string) => (event: Event) => {
      const detail = (event as ErrorEvent).message ?? '';
      this.#failure = new ScryError('WORKER_FAILED', `the engine worker ${what} ${detail}`.trim());
      for (const p of this.#pending.values()) p.reject(this.#failure);
      this.#pending.clear();
    };
    this.#worker.addEventListener('error', fail('crashed:'));
    this.#worker.addEventListener('messageerror', fail('sent an unreadable message'));
  }

  call<M extends Method>(
    method: M,
    args: CoreMethods[M]['args'],
    options: CallOptions = {},
  ): Promise<CoreMethods[M]['result']> {
    const { signal, onProgress } = options;
    if (this.#failure) return Promise.reject(this.#failure);
    if (signal?.aborted) return Promise.reject(aborted());
    const id = this.#nextId++;
    return new Promise<Response>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onProgress });
      signal?.addEventListener(
        'abort',
        () => {
          this.#worker.postMessage({ id, cancel: true } satisfies Cancel);
          // Calls with effects wait for the worker to say whether it stopped in time; others
          // reject now (the worker still finishes them; their answer is dropped).
          if (options.settle) return;
          this.#pending.delete(id);
          reject(aborted());
        },
        { once: true },
      );
      const request: Request<M> = { id, method, args };
      try {
        this.#worker.postMessage(request, options.transfer ?? []);
      } catch (e) {
        // Something that cannot be cloned or moved (a function, a detached buffer, wasm memory).
        this.#pending.delete(id);
        reject(
          new ScryError(
            'INVALID_OPTIONS',
            `the arguments cannot be sent to the worker: ${String(e)}`,
            {
              cause: e,
            },
          ),
        );
      }
    }).then((r) => settle<M>(r));
  }

  terminate(): void {
    this.#worker.terminate();
    const gone = new ScryError('DISPOSED', 'the engine was disposed');
    for (const p of this.#pending.values()) p.reject(gone);
    this.#pending.clear();
  }
}
