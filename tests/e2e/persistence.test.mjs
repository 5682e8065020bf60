// Persistence in IndexedDB through the built npm package (`storage: 'indexeddb'`): reloads,
// two tabs writing at once, and the browser killed in the middle of commits. Serves the
// repository root; the page exposes the package (tests/e2e/pages/model.html).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { startServer } from '../../scripts/serve.mjs';
import { ARGS, launch } from './browser.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The size of the quota test's disk (Chromium's profile takes a few MB of it). */
const QUOTA_MB = 40;

let server;
let browser;

before(async () => {
  server = await startServer({ root: ROOT, port: 0 });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage(context) {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(`${server.url}tests/e2e/pages/model.html`);
  await page.waitForSelector('body[data-ready]', { state: 'attached' });
  return page;
}

/** Opens the index `name` in the page (as `window.engine`); resolves to its document count. */
function open(page, name) {
  return page.evaluate(async (name) => {
    window.engine = await window.scry.createEngine({ name, storage: 'indexeddb' });
    return (await window.engine.info()).documents;
  }, name);
}

const docs = (prefix, n, words = 20) =>
  Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    title: `${prefix} document ${i}`,
    body: `${prefix} body ${i} `.repeat(words),
  }));

test('what is committed is there after a reload; a removal too', async () => {
  const context = await browser.newContext();
  const page = await openPage(context);
  assert.equal(await open(page, 'reload'), 0);
  await page.evaluate(
    async (batches) => {
      for (const b of batches) await window.engine.add(b);
      await window.engine.remove(['first-3']);
    },
    [docs('first', 30), docs('second', 20)],
  );
  await page.reload();
  await page.waitForSelector('body[data-ready]', { state: 'attached' });
  assert.equal(await open(page, 'reload'), 49);
  assert.equal(await page.evaluate(async () => (await window.engine.info()).storage), 'indexeddb');
  const ids = await page.evaluate(async () =>
    (await window.engine.search('second body 7', { k: 3 })).map((h) => h.id),
  );
  assert.equal(ids[0], 'second-7');
  const gone = await page.evaluate(async () =>
    (await window.engine.search('first body 3', { k: 50 })).map((h) => h.id),
  );
  assert.ok(!gone.includes('first-3'));
  await context.close();
});

test('two tabs adding at once: every document is there, in both tabs', async () => {
  const context = await browser.newContext();
  const [a, b] = [await openPage(context), await openPage(context)];
  await Promise.all([open(a, 'tabs'), open(b, 'tabs')]);
  const write = (page, tab) =>
    page.evaluate(async (tab) => {
      for (let i = 0; i < 15; i++) {
        await window.engine.add(
          Array.from({ length: 4 }, (_, j) => ({ id: `${tab}-${i}-${j}`, body: `tab ${tab}` })),
        );
      }
    }, tab);
  await Promise.all([write(a, 'a'), write(b, 'b')]);
  // Each tab's last change caught up with the other's commits under the lock; a later change
  // (or the BroadcastChannel) brings the other up to date.
  await a.evaluate(() => window.engine.add([{ id: 'last-a', body: 'last' }]));
  await b.evaluate(() => window.engine.add([{ id: 'last-b', body: 'last' }]));
  await a.evaluate(() => window.engine.add([{ id: 'last-a2', body: 'last' }]));
  const count = (p) => p.evaluate(async () => (await window.engine.info()).documents);
  assert.equal(await count(a), 123);
  const c = await openPage(context);
  assert.equal(await open(c, 'tabs'), 123);
  await context.close();
});

test('the browser killed during commits: always exactly one whole commit, 20 times', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scry-crash-'));
  try {
    let committed = 0; // batches known to be complete
    // The previous round's add resolved before the kill: its batch must have landed.
    let mustLand = false;
    // Round 20 only checks what round 19 left.
    for (let round = 0; round <= 20; round++) {
      const context = await chromium.launchPersistentContext(dir, {
        executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
        headless: true,
        args: ARGS,
      });
      const page = await openPage(context);
      const count = await open(page, 'crash');
      if (mustLand) {
        // A commit that resolved is durable, kill or no kill.
        assert.equal(
          count,
          (committed + 1) * 100,
          `round ${round}: the previous round's add resolved before the kill, but is lost`,
        );
      } else {
        // The previous round's batch either landed whole or not at all.
        assert.ok(
          count === committed * 100 || count === (committed + 1) * 100,
          `round ${round}: ${count} documents, expected ${committed * 100} or ${(committed + 1) * 100}`,
        );
      }
      if (count === (committed + 1) * 100) committed++;
      const last = await page.evaluate(async (n) => {
        if (n === 0) return [];
        const hits = await window.engine.search(`batch${n - 1}`, { k: 100, mode: 'text' });
        return hits.map((h) => h.id);
      }, committed);
      if (committed > 0) assert.equal(last.length, 100, `round ${round}: batch not whole`);
      if (round === 20) {
        await context.close();
        break;
      }
      // Start a large commit and kill the browser at a different moment each round: at once in
      // the first two rounds (nothing can have landed), after the commit resolved in the last
      // two (it must have), and 20–445 ms in between (wherever the commit happens to be).
      // The add fails when the kill interrupts it; one that resolved first must land.
      let resolved = false;
      const adding = page
        .evaluate(
          (batch) => window.engine.add(batch),
          docs(`batch${committed}`, 100, 400).map((d) => ({
            ...d,
            body: `batch${committed} ${d.body}`,
          })),
        )
        .then(
          () => {
            resolved = true;
          },
          () => {},
        );
      if (round >= 18) {
        await adding;
        assert.ok(resolved, `round ${round}: the add failed without a kill`);
      } else if (round >= 2) await new Promise((r) => setTimeout(r, 20 + (round - 2) * 25));
      // Read before the kill starts: an add resolving while the browser closes is not counted.
      mustLand = resolved;
      await context.close();
    }
    console.log(`# crash test: ${committed} of 20 killed commits had landed`);
    assert.ok(
      committed >= 2 && committed <= 18,
      `the kills before and after the commit were told apart (${committed} landed)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the browser clears the database under two tabs: what they hold is written back', async () => {
  const context = await browser.newContext();
  const [a, b] = [await openPage(context), await openPage(context)];
  assert.equal(await open(a, 'evict'), 0);
  await a.evaluate((d) => window.engine.add(d), docs('held', 30));
  assert.equal(await open(b, 'evict'), 30);
  // What "Clear site data" or an eviction under storage pressure does: the origin's IndexedDB
  // is deleted and the browser closes the engines' connections (in their workers).
  const cdp = await context.newCDPSession(a);
  await cdp.send('Storage.clearDataForOrigin', {
    origin: new URL(server.url).origin,
    storageTypes: 'indexeddb',
  });
  assert.deepEqual(await a.evaluate(() => indexedDB.databases()), []);
  // Both tabs still answer from memory.
  const hits = (p) =>
    p.evaluate(async () => (await window.engine.search('held body 12', { k: 1 }))[0]?.id);
  assert.equal(await hits(a), 'held-12');
  // The next change writes everything back first, then itself.
  await a.evaluate((d) => window.engine.add(d), docs('after', 5));
  const info = await a.evaluate(() => window.engine.info());
  assert.equal(info.documents, 35);
  assert.equal(info.evictions, 1);
  // The other tab's next change finds the database written back and takes it.
  await b.evaluate(() => window.engine.add([{ id: 'from-b', body: 'the second tab' }]));
  const infoB = await b.evaluate(() => window.engine.info());
  assert.equal(infoB.documents, 36);
  assert.equal(infoB.evictions, 1);
  assert.equal(await hits(b), 'held-12');
  // What is stored is everything: a reload finds it.
  await a.reload();
  await a.waitForSelector('body[data-ready]', { state: 'attached' });
  assert.equal(await open(a, 'evict'), 36);
  assert.equal(await hits(a), 'held-12');
  await context.close();
});

test('a page that started afresh in a cleared database is never written over', async () => {
  const context = await browser.newContext();
  const a = await openPage(context);
  assert.equal(await open(a, 'afresh'), 0);
  await a.evaluate((d) => window.engine.add(d), docs('old', 20));
  const cdp = await context.newCDPSession(a);
  await cdp.send('Storage.clearDataForOrigin', {
    origin: new URL(server.url).origin,
    storageTypes: 'indexeddb',
  });
  // A new page finds the database empty and starts a new index in it.
  const c = await openPage(context);
  assert.equal(await open(c, 'afresh'), 0);
  await c.evaluate(() => window.engine.add([{ id: 'new-1', body: 'a new beginning' }]));
  // The old page's next change would overwrite it: refused, with the reason.
  const refused = await a.evaluate(() =>
    window.engine
      .add([{ id: 'late', body: 'too late' }])
      .then(() => 'added')
      .catch((e) => `${e.code}: ${e.message}`),
  );
  assert.match(refused, /^STORAGE_EVICTED: .*only in memory/);
  // It still answers from memory; the new index is intact.
  const top = await a.evaluate(
    async () => (await window.engine.search('old body 4', { k: 1 }))[0]?.id,
  );
  assert.equal(top, 'old-4');
  const fresh = await openPage(context);
  assert.equal(await open(fresh, 'afresh'), 1);
  await context.close();
});

/** Raw access to the index's IndexedDB blobs from the page: `fn(store)` in a transaction. */
const RAW = `
  window.rawBlobs = (db, mode, fn) => new Promise((resolve, reject) => {
    const open = indexedDB.open(db);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction('blobs', mode);
      const out = fn(tx.objectStore('blobs'));
      tx.oncomplete = () => { open.result.close(); resolve(out.result ?? out.value); };
      tx.onerror = () => reject(tx.error);
    };
  });
  window.crc32 = (bytes) => {
    let c = ~0;
    for (const b of bytes) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    }
    return ~c >>> 0;
  };
  window.snapshot = async (db) => {
    const keys = await window.rawBlobs(db, 'readonly', (s) => s.getAllKeys());
    const values = await window.rawBlobs(db, 'readonly', (s) => s.getAll());
    return keys.map((k, i) => k + ':' + values[i].length + ':' + window.crc32(values[i]));
  };
`;

test('a damaged segment or a newer format: typed errors, nothing modified; repair', async () => {
  const context = await browser.newContext();
  const page = await openPage(context);
  await page.evaluate(RAW);
  await open(page, 'damage');
  await page.evaluate((d) => window.engine.add(d), docs('kept', 40));
  const before = await page.evaluate(() => window.snapshot('scry:damage'));
  // A newer manifest version with a valid checksum.
  const version = await page.evaluate(async () => {
    const m = await window.rawBlobs('scry:damage', 'readonly', (s) => s.get('manifest'));
    const bytes = new Uint8Array(m);
    const version = bytes[8];
    bytes[8] = 99; // version, little-endian u16 at offset 8
    const crc = window.crc32(bytes.subarray(0, bytes.length - 4));
    new DataView(bytes.buffer).setUint32(bytes.length - 4, crc, true);
    await window.rawBlobs('scry:damage', 'readwrite', (s) => s.put(bytes, 'manifest'));
    return version;
  });
  const newer = await page.evaluate(() => window.snapshot('scry:damage'));
  const code = (p) =>
    p.evaluate(() =>
      window.scry
        .createEngine({ name: 'damage', storage: 'indexeddb' })
        .then(() => 'opened')
        .catch((e) => `${e.name} ${e.code}: ${e.message}`),
    );
  assert.match(await code(page), /^ScryError UNSUPPORTED_VERSION: /);
  assert.deepEqual(await page.evaluate(() => window.snapshot('scry:damage')), newer);
  // Back to the real manifest; then one flipped byte inside a segment's meta file (read when
  // the index opens).
  await page.evaluate(async (version) => {
    const keys = await window.rawBlobs('scry:damage', 'readonly', (s) => s.getAllKeys());
    const m = await window.rawBlobs('scry:damage', 'readonly', (s) => s.get('manifest'));
    const bytes = new Uint8Array(m);
    bytes[8] = version;
    const crc = window.crc32(bytes.subarray(0, bytes.length - 4));
    new DataView(bytes.buffer).setUint32(bytes.length - 4, crc, true);
    await window.rawBlobs('scry:damage', 'readwrite', (s) => s.put(bytes, 'manifest'));
    const seg = keys.find((k) => k.startsWith('seg/'));
    const blob = new Uint8Array(
      await window.rawBlobs('scry:damage', 'readonly', (s) => s.get(seg)),
    );
    blob[blob.length >> 1] ^= 0x10;
    await window.rawBlobs('scry:damage', 'readwrite', (s) => s.put(blob, seg));
  }, version);
  const damaged = await page.evaluate(() => window.snapshot('scry:damage'));
  assert.equal(damaged.length, before.length);
  assert.match(await code(page), /^ScryError CORRUPT_DATA: .*segment [0-9a-f]{32}/);
  assert.deepEqual(await page.evaluate(() => window.snapshot('scry:damage')), damaged);
  // Asked to, the engine rebuilds the segment from the documents store and commits it.
  const repaired = await page.evaluate(async () => {
    const engine = await window.scry.createEngine({
      name: 'damage',
      storage: 'indexeddb',
      repair: true,
    });
    const info = await engine.info();
    const hits = await engine.search('kept body 7', { k: 1 });
    await engine.dispose();
    return { documents: info.documents, repaired: info.repaired, top: hits[0]?.id };
  });
  assert.deepEqual(repaired, {
    documents: 40,
    repaired: { segments: 1, documents: 40 },
    top: 'kept-7',
  });
  // What is stored now opens without repair, and is the index as it was before the damage.
  assert.equal(await code(page), 'opened');
  const now = await page.evaluate(() => window.snapshot('scry:damage'));
  // The manifest and its backup change (a new generation); every other record is as it was.
  const blobs = (s) => s.filter((k) => !/^manifest(\.bak)?:/.test(k)).sort();
  assert.deepEqual(blobs(now), blobs(before), 'the rebuilt segment is the original, byte for byte');

  // A flipped byte in a chunk (postings, text), read only when first used: the index opens, and
  // the first query that reads the chunk rejects, naming the segment; nothing is served from it.
  const flipChunks = (prefix) =>
    page.evaluate(async (prefix) => {
      const keys = await window.rawBlobs('scry:damage', 'readonly', (s) => s.getAllKeys());
      const chunks = keys.filter((k) => k.startsWith(prefix));
      for (const key of chunks) {
        const blob = new Uint8Array(
          await window.rawBlobs('scry:damage', 'readonly', (s) => s.get(key)),
        );
        blob[blob.length >> 1] ^= 0x08;
        await window.rawBlobs('scry:damage', 'readwrite', (s) => s.put(blob, key));
      }
      return chunks.length;
    }, prefix);
  assert.ok((await flipChunks('chunk/docs/')) >= 1);
  const query = (repair) =>
    page.evaluate(async (repair) => {
      const engine = await window.scry.createEngine({
        name: 'damage',
        storage: 'indexeddb',
        ...(repair ? { repair } : {}),
      });
      try {
        const hits = await engine.search('kept body 7', { k: 1 });
        const info = await engine.info();
        return { top: hits[0]?.id, repaired: info.repaired };
      } catch (e) {
        return `${e.name} ${e.code}: ${e.message}`;
      } finally {
        await engine.dispose();
      }
    }, repair);
  assert.match(
    await query(false),
    /^ScryError CORRUPT_DATA: .*segment [0-9a-f]{32} \(chunk docs\//,
  );
  // With repair: the segment is rebuilt when the damage is found, and the query answers.
  assert.deepEqual(await query(true), {
    top: 'kept-7',
    repaired: { segments: 1, documents: 40 },
  });
  assert.deepEqual(
    blobs(await page.evaluate(() => window.snapshot('scry:damage'))),
    blobs(before),
    'rebuilt byte for byte again',
  );
  await context.close();
});

test("parts collected by another tab's commit: the index reloads and answers from it", async () => {
  const context = await browser.newContext();
  const page = await openPage(context);
  await page.evaluate(RAW);
  await page.evaluate(() => {
    window.dumps = [];
    // Every record of the database, kept to be written back later.
    window.dump = async (db) => {
      const keys = await window.rawBlobs(db, 'readonly', (s) => s.getAllKeys());
      const values = await window.rawBlobs(db, 'readonly', (s) => s.getAll());
      window.dumps.push(keys.map((k, i) => [k, values[i]]));
      return window.dumps.length - 1;
    };
    // The database becomes dump `i`: what another tab's commit and its garbage collection
    // leave, without the message that tab sends.
    window.restore = (db, i) =>
      window.rawBlobs(db, 'readwrite', (s) => {
        s.clear();
        for (const [k, v] of window.dumps[i]) s.put(v, k);
        return {};
      });
  });
  const db = 'scry:collected';
  await open(page, 'collected');
  await page.evaluate((d) => window.engine.add(d), docs('old', 40));
  await page.evaluate(() => window.engine.dispose());
  const before = await page.evaluate((db) => window.dump(db), db);
  // Every document replaced; background maintenance then drops the old segment and collects its
  // chunks.
  await open(page, 'collected');
  const replaced = docs('old', 40).map((d, i) => ({ ...d, body: `new body ${i} `.repeat(20) }));
  await page.evaluate((d) => window.engine.update(d), replaced);
  const collected = await page.evaluate(async (db) => {
    // Gone: the old segment (its meta file) and the chunks only it had (the titles did not
    // change: their postings chunks are shared, content-named, and stay).
    const meta = (keys) => keys.filter((k) => k.startsWith('seg/'));
    const old = window.dumps[0].map(([k]) => k);
    for (let i = 0; i < 200; i++) {
      const now = new Set(await window.rawBlobs(db, 'readonly', (s) => s.getAllKeys()));
      const gone = old.filter((k) => k.startsWith('chunk/') && !now.has(k));
      if (meta(old).every((k) => !now.has(k)) && gone.length > 0) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }, db);
  assert.ok(collected, 'maintenance collected the old chunks');
  await page.evaluate(() => window.engine.dispose());
  const after = await page.evaluate((db) => window.dump(db), db);
  // An engine opens the earlier commit (its meta files only), then the later one lands.
  await page.evaluate(([db, i]) => window.restore(db, i), [db, before]);
  const got = await page.evaluate(
    async ([db, i]) => {
      const engine = await window.scry.createEngine({ name: 'collected', storage: 'indexeddb' });
      try {
        await window.restore(db, i);
        const hits = await engine.search('body 7', { k: 1 });
        return {
          top: hits[0]?.id,
          text: hits[0]?.snippet.text,
          documents: (await engine.info()).documents,
        };
      } finally {
        await engine.dispose();
      }
    },
    [db, after],
  );
  // The chunks it needed were gone: it reloaded, and answers from the later commit.
  assert.equal(got.top, 'old-7');
  assert.match(got.text, /new body 7/);
  assert.equal(got.documents, 40);
  await context.close();
});

test('a full disk (quota exceeded) mid-commit: a typed error, the previous commit kept', async (t) => {
  // Chromium's profile on a small tmpfs in a private mount namespace: a write past its end is
  // IndexedDB's QuotaExceededError. The wrapper mounts it over the profile, then runs Chromium.
  const probe = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'true']);
  if (probe.status !== 0) {
    t.skip(`no private mount namespace here: ${String(probe.stderr).trim()}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'scry-quota-'));
  const profile = join(dir, 'profile');
  mkdirSync(profile);
  const wrapper = join(dir, 'chromium.sh');
  const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  writeFileSync(
    wrapper,
    `#!/bin/sh\nexec unshare --user --map-root-user --mount sh -c ` +
      `'mount -t tmpfs -o size=${QUOTA_MB}m tmpfs "$0" && exec "${chromiumPath}" "$@"' "${profile}" "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: wrapper,
    headless: true,
    args: ARGS,
  });
  try {
    const page = await openPage(context);
    assert.equal(await open(page, 'quota'), 0);
    // Batches of 500 documents of pseudo-random words (they do not compress away) until a
    // commit fails.
    const r = await page.evaluate(async () => {
      let seed = 7;
      const word = () => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return (seed >>> 8).toString(36);
      };
      const batch = (n) =>
        Array.from({ length: 500 }, (_, i) => ({
          id: `q${n}-${i}`,
          title: `quota batch${n} ${word()}`,
          body: Array.from({ length: 120 }, word).join(' '),
        }));
      let n = 0;
      let failure;
      for (; n < 400; n++) {
        try {
          await window.engine.add(batch(n));
        } catch (e) {
          failure = `${e.code}: ${e.message}`;
          break;
        }
      }
      const info = await window.engine.info();
      // Ids, not hit counts: typo tolerance also finds `batch${n}` for `batch${n - 1}`.
      const hits = await window.engine.search(`batch${n - 1}`, { k: 500, mode: 'text' });
      const lastBatch = hits.filter((h) => h.id.startsWith(`q${n - 1}-`)).length;
      return { n, failure, documents: info.documents, lastBatch };
    });
    console.log(`# quota test: ${JSON.stringify(r)}`);
    assert.match(r.failure ?? '', /^STORAGE_QUOTA_EXCEEDED: /, JSON.stringify(r));
    assert.ok(r.n >= 2, `some batches fit first: ${JSON.stringify(r)}`);
    // The engine in memory is the last commit: the failed batch is not there, the one before is.
    assert.equal(r.documents, r.n * 500);
    assert.equal(r.lastBatch, 500);
    // And so is the stored index, after a reload.
    await page.reload();
    await page.waitForSelector('body[data-ready]', { state: 'attached' });
    assert.equal(await open(page, 'quota'), r.n * 500);
    const stored = await page.evaluate(async (n) => {
      const hits = await window.engine.search(`batch${n}`, { k: 500, mode: 'text' });
      return hits.filter((h) => h.id.startsWith(`q${n}-`)).length;
    }, r.n);
    assert.equal(stored, 0, 'nothing of the failed batch was stored');
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
