// `npx scry index` without Rust: the packed `scry` package's command (the CLI compiled to
// WebAssembly for WASI, run by Node.js, embedding on worker threads) builds the same site as the
// native CLI: byte for byte in full text, the same answers with the model (whose vectors differ
// from native ones in the last bits of a float). Also its config file, its exit codes, and that
// it refuses what the native CLI refuses. Needs the built package (scripts/build.py), the native
// CLI (SCRY_CLI, else target/debug/scry) and the model files (models/cache).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';

import { packTarballs } from './packed.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORK = `${ROOT}target/npx/`;
const APP = `${WORK}app/`;
const MODEL = `${ROOT}models/cache/all-MiniLM-L6-v2-int8`;
const NATIVE = process.env.SCRY_CLI ?? `${ROOT}target/debug/scry`;
/** A slice of the Node.js docs: 8 files, a few hundred passages. */
const PAGES = ['path', 'timers', 'querystring', 'punycode', 'tty', 'console', 'wasi', 'os'];
const QUERIES = [
  'join two paths',
  'how do I run a function after a delay',
  'parse a url query string',
  'is the output a terminal',
  'print a table to the console',
  'number of cpus',
  'punycode encoding of domain names',
  'webassembly system interface',
];

function run(cmd, args, cwd = APP) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `npx scry …` in the app: status, stdout, stderr. */
function npx(args, cwd = APP) {
  const r = spawnSync('npx', ['--no-install', 'scry', ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function native(args, cwd = APP) {
  const r = spawnSync(NATIVE, args, { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under `dir`, relative path → bytes (as hex of a hash would hide a diff's size). */
function tree(dir) {
  const out = new Map();
  const walk = (rel) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path);
      else out.set(path, readFileSync(join(dir, path)));
    }
  };
  walk('');
  return out;
}

function assertSameTree(a, b) {
  const [ta, tb] = [tree(a), tree(b)];
  assert.deepEqual([...ta.keys()].sort(), [...tb.keys()].sort());
  for (const [path, bytes] of ta) assert.ok(bytes.equals(tb.get(path)), `${path} differs`);
  return ta.size;
}

before(() => {
  assert.ok(existsSync(NATIVE), `the native CLI ${NATIVE} is missing (cargo build -p scry-cli)`);
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(APP, { recursive: true });
  packTarballs(WORK);
  writeFileSync(
    `${APP}package.json`,
    JSON.stringify({
      name: 'site',
      private: true,
      dependencies: {
        scry: 'file:../scry.tgz',
        'scry-model-minilm': 'file:../scry-model-minilm.tgz',
      },
    }),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock']);
  for (const page of PAGES) {
    mkdirSync(`${APP}docs`, { recursive: true });
    cpSync(`${ROOT}corpora/nodejs/api/${page}.md`, `${APP}docs/${page}.md`);
  }
});

test('full text: npx scry index writes the same files as the native CLI, byte for byte', () => {
  const ours = npx(['index', 'docs', '--out', 'out-npx', '--state', 'st-npx']);
  assert.equal(ours.status, 0, ours.stderr);
  const theirs = native(['index', 'docs', '--out', 'out-native', '--state', 'st-native']);
  assert.equal(theirs.status, 0, theirs.stderr);
  assert.ok(assertSameTree(`${APP}out-npx`, `${APP}out-native`) >= 5);
  assertSameTree(`${APP}st-npx`, `${APP}st-native`);
  const sections = Number(ours.stderr.match(/read (\d+) sections/)?.[1]);
  assert.ok(sections > 100, ours.stderr);
  // Each reads the other's index.
  for (const q of QUERIES) {
    const a = npx(['search', 'out-native', q, '--json']);
    const b = native(['search', 'out-npx', q, '--json']);
    assert.deepEqual(JSON.parse(a.stdout), JSON.parse(b.stdout), q);
  }
});

test('with the model from npm: embedded on worker threads, the same answers as native', () => {
  const INDEX = ['index', 'docs', '--out', 'm-npx', '--state', 'ms-npx'];
  const ours = npx([...INDEX, '--model', 'scry-model-minilm', '--threads', '2']);
  assert.equal(ours.status, 0, ours.stderr);
  const total = Number(ours.stderr.match(/(\d+) passages of \d+ documents to embed/)?.[1]);
  assert.ok(total > 100, ours.stderr);
  // Not a terminal: progress as plain lines, the last one complete.
  assert.match(
    ours.stderr,
    new RegExp(`^embedding ${total}/${total} passages .*2 threads\\)$`, 'm'),
  );
  assert.doesNotMatch(ours.stderr, /\r/);
  const theirs = native([
    'index',
    'docs',
    '--out',
    'm-native',
    '--state',
    'ms-native',
    '--model',
    MODEL,
  ]);
  assert.equal(theirs.status, 0, theirs.stderr);
  const entry = (dir) => JSON.parse(readFileSync(`${APP}${dir}/scry.json`, 'utf8'));
  assert.equal(entry('m-npx').dims, 384);
  assert.equal(entry('m-npx').vectors, entry('m-native').vectors);
  // Each search loads the model again (here, the package's wasm through the CLI for WASI): a
  // natural-language question, a keyword query and an API description are enough.
  for (const q of [QUERIES[1], QUERIES[5], QUERIES[7]]) {
    const search = (f, dir) =>
      JSON.parse(f(['search', dir, q, '--mode', 'hybrid', '--json', '--model', MODEL]).stdout);
    const [a, b] = [search(npx, 'm-npx'), search(native, 'm-native')];
    assert.deepEqual(
      a.map((h) => h.id),
      b.map((h) => h.id),
      q,
    );
    a.forEach((h, i) => assert.ok(Math.abs(h.score - b[i].score) < 2e-3, `${q}: ${h.id}`));
  }
  // A rebuild embeds nothing (the state's cache) and writes the same files.
  const before = tree(`${APP}m-npx`);
  const again = npx([...INDEX, '--model', 'scry-model-minilm']);
  assert.equal(again.status, 0, again.stderr);
  assert.match(
    again.stderr,
    new RegExp(`^0 passages of \\d+ documents to embed \\(${total} reused`, 'm'),
  );
  const after = tree(`${APP}m-npx`);
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
});

test('scry.config.json gives the options, flags win; exit codes 0, 1 and 2', () => {
  const dir = `${WORK}configured/`;
  mkdirSync(dir);
  cpSync(`${APP}docs`, `${dir}docs`, { recursive: true });
  writeFileSync(`${dir}package.json`, '{"private": true}');
  writeFileSync(
    `${dir}scry.config.json`,
    JSON.stringify({
      index: { folder: 'docs', out: 'public/scry', urlPrefix: '/api/', urlExt: 'html' },
    }),
  );
  // The command the app installed, run in another folder (the site's).
  const bin = `${APP}node_modules/.bin/scry`;
  const scry = (args) => spawnSync(bin, args, { cwd: dir, encoding: 'utf8' });
  let r = scry(['index']);
  assert.equal(r.status, 0, r.stderr);
  const hit = JSON.parse(scry(['search', 'public/scry', 'join paths', '--json']).stdout)[0];
  assert.match(hit.url, /^\/api\/path\.html#/);
  r = scry(['index', '--out', 'elsewhere']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(statSync(`${dir}elsewhere/scry.json`).isFile());
  // A user's file in --out: refused (1), kept.
  writeFileSync(`${dir}public/scry/notes.txt`, 'mine');
  r = scry(['index']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /error \[FOREIGN_FILES\]/);
  assert.equal(readFileSync(`${dir}public/scry/notes.txt`, 'utf8'), 'mine');
  // Usage errors (2): an unknown option in the config, an unknown command.
  writeFileSync(`${dir}bad.json`, JSON.stringify({ index: { folder: 'docs', outt: 'x' } }));
  r = scry(['index', '--config', 'bad.json']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error \[INVALID_ARGUMENT\].*unknown option outt/);
  // The analyzer keys reach the CLI (their effect is tested by the CLI's adversarial cases,
  // also run through npx): a language it does not know, stop words that are not a list.
  writeFileSync(
    `${dir}de.json`,
    JSON.stringify({ index: { folder: 'docs', out: 'de', language: 'klingon' } }),
  );
  r = scry(['index', '--config', 'de.json']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error \[INVALID_ARGUMENT\].*german/s);
  writeFileSync(
    `${dir}sw.json`,
    JSON.stringify({ index: { folder: 'docs', out: 'sw', stopWords: 'the' } }),
  );
  r = scry(['index', '--config', 'sw.json']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /stopWords must be a list of words/);
  r = scry(['frobnicate']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error \[INVALID_ARGUMENT\]/);
  // Nothing but the CLI's own lines: no Node.js warning about WASI.
  assert.doesNotMatch(r.stderr + scry(['index']).stderr, /ExperimentalWarning/);
});
