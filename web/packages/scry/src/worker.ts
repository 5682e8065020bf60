/** Entry point of the engine's Web Worker: answers protocol requests from the page. */

import { Core } from './internal/core.js';
import type { Progress, Request } from './internal/protocol.js';

const core = new Core();
const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.addEventListener('message', (event: MessageEvent<Request>) => {
  const { id, method, args } = event.data;
  core.onProgress = (progress) => scope.postMessage({ id, progress } satisfies Progress);
  void core.handle(id, method, args).then((response) => scope.postMessage(response));
});
