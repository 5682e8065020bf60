/** Entry point of the engine's Web Worker: answers protocol requests from the page. */

import { Core } from './internal/core.js';
import type { Cancel, Progress, Request } from './internal/protocol.js';
import type { AddProgress, ModelProgress } from './public/types.js';

const core = new Core();
const scope = self as unknown as DedicatedWorkerGlobalScope;
/** Requests the page aborted (checked by adds and updates between embedding batches). */
const cancelled = new Set<number>();

scope.addEventListener('message', (event: MessageEvent<Request | Cancel>) => {
  if ('cancel' in event.data) {
    cancelled.add(event.data.id);
    return;
  }
  const { id, method, args } = event.data;
  const progress = (p: ModelProgress | AddProgress) =>
    scope.postMessage({ id, progress: p } satisfies Progress);
  core.onProgress = progress;
  void core
    .handle(id, method, args, {
      progress: (p) => progress(p as ModelProgress | AddProgress),
      cancelled: () => cancelled.has(id),
    })
    .then((response) => {
      cancelled.delete(id);
      scope.postMessage(response);
    });
});
