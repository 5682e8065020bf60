// The packed npm tarballs of scry and scry-model-minilm (`npm pack` of web/packages/…), written
// as `<work>/scry.tgz` and `<work>/scry-model-minilm.tgz` for a test app to install.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PACKAGES = fileURLToPath(new URL('../../web/packages/', import.meta.url));

export function packTarballs(work) {
  for (const [folder, name] of [
    ['scry', 'scry'],
    ['model-minilm', 'scry-model-minilm'],
  ]) {
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: `${PACKAGES}${folder}`,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const packed = JSON.parse(out);
    assert.equal(packed[0]?.name, name);
    renameSync(`${work}${packed[0].filename}`, `${work}${name}.tgz`);
  }
}
