// The demo's service worker: offline after the first visit. At install it keeps the app shell
// (precache.json, written by scripts/build.py: the page, scripts, styles, wasm, images). Later
// same-origin GETs are answered from that cache at once and revalidated in the background
// (stale-while-revalidate: an update shows on the next visit); what is not cached goes to the
// network and is kept. The model and the static index are not duplicated here: the scry package
// keeps them in Cache Storage itself (content-checked) and reads them from there offline.
const CACHE = 'scry-demo-v1';
const SKIP = [/\/models\//, /\/collections\/node\//];

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const list = await (await fetch('precache.json', { cache: 'no-cache' })).json();
      await cache.addAll(list);
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

async function refresh(cache, request) {
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (SKIP.some((re) => re.test(url.pathname))) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const hit = await cache.match(request, { ignoreSearch: true });
      if (hit) {
        event.waitUntil(refresh(cache, request).catch(() => undefined));
        return hit;
      }
      return refresh(cache, request);
    })(),
  );
});
