// The demo's service worker: offline after the first visit. At install it keeps the app shell
// (precache.json, written by scripts/build.py: the page, scripts, styles, wasm, images) in a
// cache named after the build (scripts/build.py stamps BUILD below with a hash of those files, so
// a new build installs a new worker and drops the old cache). Precached files are answered from
// the cache; anything else goes to the network. The model and the static index are not
// duplicated here: the scry package keeps them in Cache Storage itself (content-checked) and
// reads them from there offline.
const BUILD = 'dev';
const CACHE = `scry-demo-${BUILD}`;
const SKIP = [/\/models\//, /\/collections\/node\//];

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const list = await (await fetch('precache.json', { cache: 'no-cache' })).json();
      // Straight from the server (not the HTTP cache): the files of this build.
      await cache.addAll(list.map((url) => new Request(url, { cache: 'reload' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith('scry-demo-') && key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (SKIP.some((re) => re.test(url.pathname))) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      return (await cache.match(request, { ignoreSearch: true })) ?? fetch(request);
    })(),
  );
});
