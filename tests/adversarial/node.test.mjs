// The adversarial suite in Node.js: the built package (web/packages/scry/dist) with the engine
// on the calling thread, stored indexes in directories (`storage: 'file'`), models and static
// indexes over HTTP from the repository root. The cases are in cases.mjs.
import {
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { after, before, test } from 'node:test';

import * as scry from '../../web/packages/scry/dist/index.js';
import { startServer } from '../../scripts/serve.mjs';
import { CASES } from './cases.mjs';
import { ROOT, prepareFixtures, staticCopy } from './fixtures.mjs';

const STORED = join(ROOT, 'target', 'adversarial', 'node-stored');
let server;

before(async () => {
  prepareFixtures();
  mkdirSync(STORED, { recursive: true });
  server = await startServer({ root: ROOT, port: 0 });
});

after(async () => {
  await server?.close();
});

/** Every file under `dir` (keys, as the file storage names them), sorted. */
function files(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

const ctx = {
  scry,
  env: 'node',
  /** A folder outside every index, holding `files` ({ name: text }); returns its path. */
  outside: async (files) => {
    const dir = join(STORED, `outside-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  },
  read: async (path) => readFileSync(path, 'utf8'),
  get site() {
    return server.url;
  },
  staticIndex: async (entry, options) => `${server.url}${staticCopy(entry, options)}`,
  /** An index directory and raw access to its files. */
  stored: async (name) => {
    const dir = join(STORED, name);
    const bytes = (v) => (v instanceof Uint8Array ? v : String(v));
    return {
      options: { storage: 'file', path: dir },
      keys: async () => files(dir).filter((k) => !k.startsWith('.')),
      get: async (k) => new Uint8Array(readFileSync(join(dir, k))),
      put: async (k, v) => {
        mkdirSync(dirname(join(dir, k)), { recursive: true });
        writeFileSync(join(dir, k), bytes(v));
      },
      remove: async (k) => rmSync(join(dir, k), { recursive: true, force: true }),
      /** A link at `k` (relative to the index folder) to `target` (absolute). */
      link: async (k, target) => {
        mkdirSync(dirname(join(dir, k)), { recursive: true });
        symlinkSync(target, join(dir, k));
      },
      snapshot: async () =>
        files(dir)
          .filter((k) => !k.startsWith('.'))
          .map((k) => `${k}:${readFileSync(join(dir, k)).toString('base64')}`),
    };
  },
};

for (const c of CASES) {
  if (c.env && c.env !== 'node') continue;
  test(`${c.category} — ${c.name}`, () => c.run(ctx));
}
