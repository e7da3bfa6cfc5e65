/* Service worker of the mobile reporting app (scope /dispatch/m/).
 * The app shell is cached so that the page opens without a network; reports themselves are
 * queued in IndexedDB by mobile.js and never cached here. No CDN: every file is ours. */
const CACHE = "zhifa-mobile-v1";
const SHELL = [
  "/dispatch/m/",
  "__STATIC__dispatch/mobile.js",
  "__STATIC__dispatch/mobile.css",
  "__STATIC__dispatch/icon-192.png",
  "/dispatch/m/manifest.webmanifest",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return; // reports are posted by the page, never replayed here
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate" && url.pathname === "/dispatch/m/") {
    // Network first so a signed-in user gets a fresh CSRF token; the cached shell when offline.
    event.respondWith(
      fetch(req)
        .then((resp) => {
          if (resp.ok && !resp.redirected) {
            const copy = resp.clone();
            caches.open(CACHE).then((c) => c.put("/dispatch/m/", copy));
          }
          return resp;
        })
        .catch(() => caches.match("/dispatch/m/"))
    );
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(req).then((hit) => hit || fetch(req)));
  }
});
