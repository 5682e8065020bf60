// A child process for files.test.mjs: an engine with `storage: 'file'` in the directory
// argv[2], doing what argv[3] says and printing one JSON line per step.
//   hold    open, print {"ready":true}, then wait to be killed
//   commit  add batches of documents forever, printing {"committed":n} after each commit
//   fill    add batches until the disk is full, then remove one; print what failed, what
//           the engine held and what the directory holds when opened again
import { readFileSync } from 'node:fs';

import { createEngine } from '../../web/packages/scry/dist/index.js';

const [dir, mode] = process.argv.slice(2);
const sample = JSON.parse(
  readFileSync(new URL('../fixtures/node-docs-sample.json', import.meta.url), 'utf8'),
).documents;

/** Batch `n` of 20 documents, ids unique across batches. */
function batch(n) {
  return Array.from({ length: 20 }, (_, i) => {
    const d = sample[(n * 20 + i) % sample.length];
    return { id: `b${n}-${i}`, title: d.title, body: `${d.body} (batch ${n})` };
  });
}

const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

const engine = await createEngine({ storage: 'file', path: dir });
const start = (await engine.info()).documents;
if (mode === 'hold') {
  say({ ready: true });
  setInterval(() => undefined, 1000);
} else if (mode === 'commit') {
  for (let n = start / 20; ; n++) {
    await engine.add(batch(n));
    say({ committed: (n + 1) * 20 });
  }
} else if (mode === 'fill') {
  let n = 0;
  let failure;
  for (; n < 10_000; n++) {
    try {
      await engine.add(batch(n));
    } catch (e) {
      failure = { code: e.code, message: e.message };
      break;
    }
  }
  const documents = (await engine.info()).documents;
  const hits = (await engine.search('buffer', { k: 3 })).length;
  // Space comes back once documents go: a removal commits (and its garbage is collected).
  const removed = await engine.remove(batch(0).map((d) => d.id));
  await engine.dispose();
  // What the directory holds for the next process.
  const reopened = await createEngine({ storage: 'file', path: dir });
  const stored = (await reopened.info()).documents;
  await reopened.dispose();
  say({ batches: n, failure, documents, hits, removed, stored });
}
