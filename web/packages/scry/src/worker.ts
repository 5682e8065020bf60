/** Entry point of the engine's Web Worker: answers protocol requests from the page. */

import { Core } from './internal/core.js';
import type { Cancel, Progress, Request } from './internal/protocol.js';
import type { AddProgress, EmbedProgress, ModelProgress } from './public/types.js';

const core = new Core();
const scope = self as unknown as DedicatedWorkerGlobalScope;
/** Requests the page aborted (checked by adds, updates and embeds between embedding batches). */
const cancelled = new Set<number>();
/** Each running request's abort signal (model downloads stop at once). */
const controllers = new Map<number, AbortController>();

scope.addEventListener('message', (event: MessageEvent<Request | Cancel>) => {
  if ('cancel' in event.data) {
    cancelled.add(event.data.id);
    controllers.get(event.data.id)?.abort();
    return;
  }
  const { id, method, args } = event.data;
  const progress = (p: ModelProgress | AddProgress | EmbedProgress) =>
    scope.postMessage({ id, progress: p } satisfies Progress);
  core.onProgress = progress;
  const controller = new AbortController();
  controllers.set(id, controller);
  void core
    .handle(id, method, args, {
      progress: (p) => progress(p as ModelProgress | AddProgress | EmbedProgress),
      cancelled: () => cancelled.has(id),
      signal: controller.signal,
    })
    .then((response) => {
      cancelled.delete(id);
      controllers.delete(id);
      scope.postMessage(response);
    });
});
