// "The exported API has not changed": runtime exports and the public .d.ts files are compared with
// api-snapshot.txt. After an intended change run `UPDATE_API_SNAPSHOT=1 npm test -w scry`.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';

import * as scry from '../dist/index.js';

const root = new URL('../', import.meta.url);

function currentApi(): string {
  const exports = Object.keys(scry).sort();
  const dts = ['index.d.ts', 'engine.d.ts', 'public/errors.d.ts', 'public/types.d.ts']
    .map((f) => {
      const text = readFileSync(new URL(`dist/${f}`, root), 'utf8').replace(
        /\n\/\/# sourceMappingURL=.*\n?$/,
        '\n',
      );
      return `// ---- ${f}\n${text}`;
    })
    .join('\n');
  return `// runtime exports: ${exports.join(', ')}\n\n${dts}`;
}

test('the exported API matches api-snapshot.txt', (t) => {
  const snapshot = new URL('api-snapshot.txt', root);
  const now = currentApi();
  if (process.env['UPDATE_API_SNAPSHOT']) {
    // Comparing the file with what was just written into it would prove nothing: not a pass.
    writeFileSync(snapshot, now);
    t.skip('api-snapshot.txt rewritten; run again without UPDATE_API_SNAPSHOT to check it');
    return;
  }
  assert.equal(now, readFileSync(snapshot, 'utf8'), 'public API changed; see the header comment');
});
