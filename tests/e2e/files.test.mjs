// `storage: 'file'` in Node.js through the built npm package: an index in a directory that
// survives the process, is read by the `scry` CLI (and reads the CLI's), has one writer at a
// time, and survives `kill -9` in the middle of commits and a full disk.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';

import { createEngine } from '../../web/packages/scry/dist/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// SCRY_CLI: scripts/test.sh points it at the build of its native tests; else scripts/build.py's.
const CLI =
  process.env.SCRY_CLI ??
  join(process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target'), 'release', 'scry');
const WRITER = fileURLToPath(new URL('./files-writer.mjs', import.meta.url));
const SAMPLE = JSON.parse(
  readFileSync(join(ROOT, 'tests/fixtures/node-docs-sample.json'), 'utf8'),
).documents;
const QUERIES = [
  'buffer',
  'read a file',
  'child process spawn',
  'http server',
  'stream backpressure',
  'crypto hash',
  'worker threads',
  'dns lookup',
  'event loop',
  'zlib compression',
];

const TMP = mkdtempSync(join(tmpdir(), 'scry-files-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** About 300 documents: overlapping windows of each sample document's words. */
function documents() {
  return SAMPLE.flatMap((d) => {
    const words = d.body.split(/\s+/);
    return Array.from({ length: 6 }, (_, i) => ({
      id: `${d.id}-${i}`,
      title: `${d.title} (${i + 1})`,
      body: words.slice(i * 8, i * 8 + 40).join(' '),
    })).filter((doc) => doc.body.length > 0);
  });
}

async function results(engine, options = {}) {
  const out = [];
  for (const q of QUERIES) {
    out.push((await engine.search(q, { k: 10, ...options })).map((h) => [h.id, h.score]));
  }
  return out;
}

/** Every file under `dir` (relative path → contents), journal and lock included. */
function snapshot(dir) {
  const out = new Map();
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** The native CLI's top 10 for `query` over the index folder `dir`. */
function cliSearch(dir, query) {
  return JSON.parse(
    execFileSync(CLI, ['search', dir, query, '-k', '10', '--json'], { encoding: 'utf8' }),
  );
}

async function rejects(promise, code) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.code, code, e.message);
    return true;
  });
}

test('an index in a directory outlives the engine and matches the CLI', async () => {
  const dir = join(TMP, 'roundtrip');
  const docs = documents();
  assert.ok(docs.length > 250, `${docs.length} documents`);
  const engine = await createEngine({ storage: 'file', path: dir });
  assert.equal((await engine.info()).storage, 'file');
  for (let i = 0; i < docs.length; i += 50) await engine.add(docs.slice(i, i + 50));
  await engine.update([{ id: docs[0].id, title: 'Replaced', body: 'A replaced glacier body.' }]);
  assert.equal(await engine.remove(docs.slice(1, 21).map((d) => d.id)), 20);
  const before = await results(engine);
  const text = await results(engine, { mode: 'text' });
  const size = (await engine.info()).documents;
  assert.equal(size, docs.length - 20);
  await engine.dispose();

  const files = snapshot(dir);
  assert.ok(files.has('manifest'), [...files.keys()].join(', '));
  assert.ok(!existsSync(join(dir, '.journal')) && !existsSync(join(dir, '.lock')));

  const again = await createEngine({ storage: 'file', path: dir });
  assert.equal((await again.info()).documents, size);
  assert.deepEqual(await results(again), before);
  assert.equal((await again.search('glacier'))[0]?.id, docs[0].id);
  await again.dispose();

  // The native CLI reads what Node wrote: same documents, same order, same scores.
  for (const [i, q] of QUERIES.entries()) {
    const cli = cliSearch(dir, q);
    assert.deepEqual(
      cli.map((h) => h.id),
      text[i].map(([id]) => id),
      q,
    );
    cli.forEach((h, j) => assert.ok(Math.abs(h.score - text[i][j][1]) < 1e-4, q));
  }
});

test('Node opens an index the CLI built, and adds to it', async () => {
  // The Node.js docs indexed by `scry index`: its state folder, the stored index
  // (scripts/build.py builds it with `--state target/site/node-state`).
  const dir = join(TMP, 'from-cli');
  cpSync(join(ROOT, 'target/site/node-state'), dir, { recursive: true });
  const engine = await createEngine({ storage: 'file', path: dir });
  const info = await engine.info();
  assert.ok(info.documents > 4000, `${info.documents} documents`);
  for (const q of QUERIES.slice(0, 5)) {
    const cli = cliSearch(dir, q);
    const ours = await engine.search(q, { k: 10, mode: 'text' });
    assert.deepEqual(
      ours.map((h) => h.id),
      cli.map((h) => h.id),
      q,
    );
  }
  // Text-only documents on top of the CLI's (the stored model's vectors stay as they are).
  await engine.add([{ id: 'local-note', title: 'Local note', body: 'A glacier survey note.' }]);
  await engine.dispose();
  const cli = cliSearch(dir, 'glacier survey');
  assert.equal(cli[0]?.id, 'local-note');
  // The CLI's embedding cache beside the stored index is not the engine's: left alone.
  assert.ok(existsSync(join(dir, 'embeddings.cache')));
});

test('one writer per directory: a second engine is refused until the first is gone', async () => {
  const dir = join(TMP, 'lock');
  const first = await createEngine({ storage: 'file', path: dir });
  await first.add([{ id: 'a', title: 'Alpha', body: 'First document.' }]);
  await rejects(createEngine({ storage: 'file', path: dir }), 'STORAGE_LOCKED');
  await first.dispose();
  const second = await createEngine({ storage: 'file', path: dir });
  assert.equal((await second.info()).documents, 1);
  await second.dispose();

  // Another process holds it: refused; once that process is killed, its lock is stale.
  const child = spawn(process.execPath, [WRITER, dir, 'hold'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  assert.deepEqual(JSON.parse((await lines.next()).value), { ready: true });
  await rejects(createEngine({ storage: 'file', path: dir }), 'STORAGE_LOCKED');
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  const third = await createEngine({ storage: 'file', path: dir });
  assert.equal((await third.info()).documents, 1);
  await third.dispose();

  // A lock naming this process that this process does not hold: left by an earlier process
  // with the same pid (a restarted container), taken over.
  const lock = join(dir, '.lock');
  writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'old' }));
  const fourth = await createEngine({ storage: 'file', path: dir });
  // Files scry did not write are not keys: they neither break a commit nor get collected.
  writeFileSync(join(dir, 'seg', 'Thumbs.DB'), 'x');
  await fourth.add([{ id: 'b', title: 'Beta', body: 'Second document.' }]);
  await fourth.dispose();
  assert.ok(existsSync(join(dir, 'seg', 'Thumbs.DB')) && !existsSync(lock));
  // Locks that cannot be checked from here are left to the user.
  for (const held of [
    JSON.stringify({ pid: 1, host: 'another-host', nonce: 'x' }),
    'not a lock scry wrote',
  ]) {
    writeFileSync(lock, held);
    await rejects(createEngine({ storage: 'file', path: dir }), 'STORAGE_LOCKED');
    assert.equal(readFileSync(lock, 'utf8'), held);
  }
  rmSync(lock);
  // Two engines racing for one directory: exactly one gets it.
  const race = await Promise.allSettled(
    [1, 2].map(() => createEngine({ storage: 'file', path: dir })),
  );
  assert.deepEqual(race.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  assert.equal(race.find((r) => r.status === 'rejected').reason.code, 'STORAGE_LOCKED');
  await race.find((r) => r.status === 'fulfilled').value.dispose();
});

test('kill -9 in the middle of commits loses at most the commit in flight', async (t) => {
  const dir = join(TMP, 'kill');
  let committed = 0;
  const landed = [];
  for (let round = 0; round < 12; round++) {
    const child = spawn(process.execPath, [WRITER, dir, 'commit'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // 'close', not 'exit': every line the child printed has been read by then.
    const exited = new Promise((resolve) => child.on('close', resolve));
    const lines = createInterface({ input: child.stdout });
    // Kill after a few commits, at a moment that varies with the round (mid-commit or between).
    const target = 2 + (round % 3);
    let seen = 0;
    await new Promise((resolve) => {
      lines.on('line', (line) => {
        committed = JSON.parse(line).committed;
        if (++seen === target) setTimeout(resolve, (round * 7) % 25);
      });
      child.on('close', resolve);
    });
    child.kill('SIGKILL');
    await exited;
    lines.close();
    // Killed with a journal on disk: inside a commit (or a garbage collection).
    if (existsSync(join(dir, '.journal'))) landed.push(round);
    const engine = await createEngine({ storage: 'file', path: dir });
    const n = (await engine.info()).documents;
    // The commit after the last one printed may or may not have landed, never half of it.
    assert.ok(n === committed || n === committed + 20, `round ${round}: ${n} vs ${committed}`);
    committed = n;
    assert.ok((await engine.search('module', { k: 5 })).length > 0);
    await engine.dispose();
    assert.ok(!existsSync(join(dir, '.journal')), 'the journal is finished or discarded on open');
  }
  t.diagnostic(`killed inside a commit in rounds ${JSON.stringify(landed)} of 12`);
});

test('an interrupted commit is finished or discarded when the directory opens', async () => {
  // Commit 1 in `base`; commit 2 in a copy. A journal that replays commit 2 onto `base`
  // (scry-core's layout: numbered files, then `ops` renamed to `COMMITTED`).
  const base = join(TMP, 'journal-base');
  const docs = documents();
  let engine = await createEngine({ storage: 'file', path: base });
  await engine.add(docs.slice(0, 100));
  await engine.dispose();
  const next = join(TMP, 'journal-next');
  cpSync(base, next, { recursive: true });
  engine = await createEngine({ storage: 'file', path: next });
  await engine.add(docs.slice(100, 150));
  await engine.remove([docs[0].id]);
  const expected = await results(engine);
  await engine.dispose();
  const [from, to] = [snapshot(base), snapshot(next)];
  const puts = [...to].filter(([k, v]) => !from.get(k)?.equals(v)).map(([k]) => k);
  const deletes = [...from.keys()].filter((k) => !to.has(k));
  // The manifest last, as the engine writes it.
  puts.sort((a, b) => (a === 'manifest') - (b === 'manifest'));
  assert.ok(puts.includes('manifest') && puts.length >= 2);

  const journal = (dir, marked, applied = 0) => {
    cpSync(base, dir, { recursive: true });
    const j = join(dir, '.journal');
    mkdirSync(j);
    let ops = '';
    puts.forEach((k, i) => {
      writeFileSync(join(j, String(i)), to.get(k));
      ops += `P ${i} ${k}\n`;
    });
    for (const k of deletes) ops += `D ${k}\n`;
    writeFileSync(join(j, marked ? 'COMMITTED' : 'ops'), ops);
    // A crash after applying the first `applied` puts.
    for (let i = 0; i < applied; i++) {
      mkdirSync(join(dir, puts[i], '..'), { recursive: true });
      renameSync(join(j, String(i)), join(dir, puts[i]));
    }
  };

  const unmarked = join(TMP, 'journal-unmarked');
  journal(unmarked, false);
  engine = await createEngine({ storage: 'file', path: unmarked });
  assert.equal((await engine.info()).documents, 100);
  await engine.dispose();

  const marked = join(TMP, 'journal-marked');
  journal(marked, true, 1);
  engine = await createEngine({ storage: 'file', path: marked });
  assert.equal((await engine.info()).documents, 149);
  assert.deepEqual(await results(engine), expected);
  await engine.dispose();
  assert.ok(!existsSync(join(marked, '.journal')));
});

test('corrupt files are reported and left as they are, or repaired when asked', async () => {
  const dir = join(TMP, 'corrupt');
  const engine = await createEngine({ storage: 'file', path: dir });
  await engine.add(documents().slice(0, 50));
  await engine.dispose();
  const segment = [...snapshot(dir).keys()].find((k) => k.startsWith('seg/'));
  const path = join(dir, segment);
  const bytes = readFileSync(path);
  bytes[Math.floor(bytes.length / 2)] ^= 0x5a;
  writeFileSync(path, bytes);
  const before = snapshot(dir);
  await rejects(createEngine({ storage: 'file', path: dir }), 'CORRUPT_DATA');
  // Refused again for the same reason: the failed open released its lock and changed nothing.
  await rejects(createEngine({ storage: 'file', path: dir }), 'CORRUPT_DATA');
  assert.deepEqual(snapshot(dir), before);

  // repair: true rebuilds the segment from the documents store (docstore/<segment id>).
  const repaired = await createEngine({ storage: 'file', path: dir, repair: true });
  const info = await repaired.info();
  assert.deepEqual(info.repaired, { segments: 1, documents: 50 });
  assert.equal(info.documents, 50);
  assert.ok((await repaired.search('module')).length > 0);
  await repaired.dispose();
  const again = await createEngine({ storage: 'file', path: dir });
  assert.equal((await again.info()).repaired, undefined);
  await again.dispose();
  // The CLI repairs the same way: damage the segment again, `scry repair`, open.
  const key = [...snapshot(dir).keys()].find((k) => k.startsWith('seg/'));
  const blob = readFileSync(join(dir, key));
  writeFileSync(join(dir, key), blob.subarray(0, blob.length - 9));
  await rejects(createEngine({ storage: 'file', path: dir }), 'CORRUPT_DATA');
  assert.match(execFileSync(CLI, ['repair', dir], { encoding: 'utf8' }), /rebuilt 1 segment/);
  assert.match(execFileSync(CLI, ['repair', dir], { encoding: 'utf8' }), /intact/);
  const fixed = await createEngine({ storage: 'file', path: dir });
  assert.equal((await fixed.info()).documents, 50);
  // The CLI does not repair a folder an engine is writing.
  const cli = spawnSync(CLI, ['repair', dir], { encoding: 'utf8' });
  assert.notEqual(cli.status, 0);
  assert.match(cli.stderr, /being written by process \d+/);
  await fixed.dispose();

  writeFileSync(join(dir, 'manifest'), 'not a manifest');
  const damaged = snapshot(dir);
  await rejects(createEngine({ storage: 'file', path: dir }), 'CORRUPT_DATA');
  assert.deepEqual(snapshot(dir), damaged, 'a failed open changes nothing');
  // Repair restores the manifest exactly from the backup every commit writes beside it.
  const restored = await createEngine({ storage: 'file', path: dir, repair: true });
  const restoredInfo = await restored.info();
  assert.deepEqual(restoredInfo.repaired, { segments: 0, documents: 50, manifest: 'backup' });
  assert.equal(restoredInfo.documents, 50);
  await restored.dispose();
  // Both gone: refused, and repair rebuilds it from the documents store.
  rmSync(join(dir, 'manifest'));
  rmSync(join(dir, 'manifest.bak'));
  await rejects(createEngine({ storage: 'file', path: dir }), 'CORRUPT_DATA');
  const rebuilt = await createEngine({ storage: 'file', path: dir, repair: true });
  assert.equal((await rebuilt.info()).repaired?.manifest, 'rebuilt');
  assert.equal((await rebuilt.info()).documents, 50);
  await rebuilt.dispose();
});

test('a full disk rejects the commit and keeps the previous one', async (t) => {
  // A 512 KiB tmpfs in a private mount namespace (as root, or as a user where unprivileged
  // user namespaces are allowed).
  const dir = join(TMP, 'full');
  mkdirSync(dir);
  const script = `mount -t tmpfs -o size=512k tmpfs "$1" && exec "$2" "$3" "$1" fill`;
  const probe = spawnSync('unshare', [
    '--user',
    '--map-root-user',
    '--mount',
    'sh',
    '-c',
    `mount -t tmpfs tmpfs "$1"`,
    'sh',
    dir,
  ]);
  if (probe.status !== 0) {
    t.skip(`cannot mount a small file system here: ${String(probe.stderr).trim()}`);
    return;
  }
  const out = execFileSync(
    'unshare',
    [
      '--user',
      '--map-root-user',
      '--mount',
      'sh',
      '-c',
      script,
      'sh',
      dir,
      process.execPath,
      WRITER,
    ],
    { encoding: 'utf8' },
  );
  const r = JSON.parse(out.trim().split('\n').at(-1));
  assert.equal(r.failure?.code, 'STORAGE_QUOTA_EXCEEDED', JSON.stringify(r));
  assert.ok(r.batches > 0, JSON.stringify(r));
  // Memory holds what was committed, not the batch that failed, and still answers.
  assert.equal(r.documents, r.batches * 20);
  assert.equal(r.hits, 3);
  // Removing documents still commits, and what was committed is what opens next.
  assert.equal(r.removed, 20);
  assert.equal(r.stored, r.documents - 20);
});

test('file storage options are checked', async () => {
  await rejects(createEngine({ storage: 'file' }), 'INVALID_OPTIONS');
  await rejects(createEngine({ storage: 'file', path: '' }), 'INVALID_OPTIONS');
  await rejects(createEngine({ storage: 'memory', path: TMP }), 'INVALID_OPTIONS');
  // A path that cannot be a directory.
  const file = join(TMP, 'plain-file');
  writeFileSync(file, 'x');
  await rejects(
    createEngine({ storage: 'file', path: join(file, 'index') }),
    'STORAGE_OPEN_FAILED',
  );
});
