// The adversarial cases in the browser (driven by browser.test.mjs): the built package with its
// engine in a Web Worker, stored indexes in IndexedDB (raw access below to damage them).
import * as scry from '/web/packages/scry/dist/index.js';
import { CASES } from './cases.mjs';

/** `fn(store)` in a transaction on the `blobs` store of database `db`. */
function blobs(db, mode, fn) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(db);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction('blobs', mode);
      const request = fn(tx.objectStore('blobs'));
      tx.oncomplete = () => {
        open.result.close();
        resolve(request?.result);
      };
      tx.onerror = () => reject(tx.error);
    };
  });
}

function fingerprint(v) {
  if (!(v instanceof Uint8Array || v instanceof ArrayBuffer)) return JSON.stringify(v);
  const b = new Uint8Array(v);
  let h = 0;
  for (const x of b) h = (Math.imul(h, 31) + x) | 0;
  return `${b.length}:${h}`;
}

const ctx = {
  scry,
  env: 'browser',
  site: new URL('/', location.href).href,
  staticIndex: async (entry, options) => {
    const original = await (await fetch('/target/adversarial/site/scry.json')).json();
    const next = entry(original);
    const rel = await window.adversarialStatic(
      typeof next === 'string' ? next : JSON.stringify(next),
      options ?? {},
    );
    return new URL(`/${rel}`, location.href).href;
  },
  stored: async (name) => {
    const db = `scry:${name}`;
    return {
      options: { name, storage: 'indexeddb' },
      keys: async () => (await blobs(db, 'readonly', (s) => s.getAllKeys())).sort(),
      get: (k) => blobs(db, 'readonly', (s) => s.get(k)),
      put: (k, v) => blobs(db, 'readwrite', (s) => s.put(v, k)),
      remove: (k) => blobs(db, 'readwrite', (s) => s.delete(k)),
      snapshot: async () => {
        const keys = await blobs(db, 'readonly', (s) => s.getAllKeys());
        const values = await blobs(db, 'readonly', (s) => s.getAll());
        return keys.map((k, i) => `${k}:${fingerprint(values[i])}`);
      },
    };
  },
};

window.caseNames = () =>
  CASES.filter((c) => !c.env || c.env === 'browser').map((c) => `${c.category} — ${c.name}`);

window.runCase = async (title) => {
  const c = CASES.find((x) => `${x.category} — ${x.name}` === title);
  try {
    await c.run(ctx);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: `${e?.name} ${e?.code ?? ''}: ${e?.message}\n${e?.stack ?? ''}` };
  }
};

document.body.dataset.ready = 'true';
