// Rollcall's service worker. The server writes in BUILD and PRECACHE for the bundle it serves,
// so each build is a new worker with caches of its own: a page never meets another build's
// WebAssembly. The bundle is cached first (its URLs name the build); the pages a person needs
// offline (check-in, the teacher's sessions) come from the network first and from the cache
// when it cannot be reached; everything else (server functions, the API, the live channel)
// goes to the network untouched, so no answer about attendance is ever served stale.

const BUILD = "__BUILD__";
// The bundle (the worker installs only with all of it) and the icons and manifest (kept when
// they can be fetched).
const PRECACHE = ["__PRECACHE__"];
const EXTRAS = ["__EXTRAS__"];
const ASSETS = "rollcall-assets-" + BUILD;
const PAGES = "rollcall-pages-" + BUILD;

// The pages kept for offline use (by path; the query is not part of the key).
const SHELL_PAGES = [
  /^\/checkin$/,
  /^\/teacher$/,
  /^\/teacher\/sessions\/\d+$/,
  /^\/teacher\/sessions\/\d+\/present$/,
];
const CHECK_IN_LINK = /^\/checkin\/([A-Za-z0-9]{1,12})$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(ASSETS)
      .then((cache) =>
        cache.addAll(PRECACHE).then(() => Promise.all(EXTRAS.map((url) => cache.add(url).catch(() => {})))),
      )
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      // Pages kept by the previous build are fetched again for this one (while online), so a
      // deploy does not cost anyone their offline dashboard.
      for (const name of names) {
        if (name.startsWith("rollcall-pages-") && name !== PAGES) {
          const old = await caches.open(name);
          for (const request of await old.keys()) {
            await keepPage(new URL(request.url).pathname).catch(() => {});
          }
        }
      }
      for (const name of names) {
        if (name.startsWith("rollcall-") && name !== ASSETS && name !== PAGES) {
          await caches.delete(name);
        }
      }
      await self.clients.claim();
      // The pages already open when this worker arrived are the ones wanted offline.
      for (const client of await self.clients.matchAll({ type: "window" })) {
        const path = new URL(client.url).pathname;
        const page = isShellPage(path) ? path : CHECK_IN_LINK.test(path) ? "/checkin" : null;
        if (page) await keepPage(page).catch(() => {});
      }
    })(),
  );
});

self.addEventListener("message", (event) => {
  // Sent at sign-out: pages carry people's names and must not outlive the sign-in.
  if (event.data && event.data.type === "forget-pages") {
    event.waitUntil(caches.delete(PAGES));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/build/") || EXTRAS.includes(url.pathname)) {
    event.respondWith(fromCacheFirst(request, url));
  } else if (request.mode === "navigate" && (isShellPage(url.pathname) || CHECK_IN_LINK.test(url.pathname))) {
    event.respondWith(fromNetworkFirst(event, url));
  }
});

function isShellPage(path) {
  return SHELL_PAGES.some((pattern) => pattern.test(path));
}

async function fromCacheFirst(request, url) {
  const cached = await caches.match(request, { cacheName: ASSETS });
  if (cached) return cached;
  const response = await fetch(request);
  // Only this build's files join this build's cache.
  if (response.ok && url.pathname.startsWith("/build/" + BUILD + "/")) {
    const cache = await caches.open(ASSETS);
    await cache.put(request, response.clone());
  }
  return response;
}

async function fromNetworkFirst(event, url) {
  try {
    const response = await fetch(event.request);
    if (isShellPage(url.pathname) && isKeepable(response)) {
      const cache = await caches.open(PAGES);
      await cache.put(url.pathname, response.clone());
    } else if (CHECK_IN_LINK.test(url.pathname)) {
      // A QR link is new every time; the plain check-in page is what opens offline next time.
      event.waitUntil(keepPage("/checkin").catch(() => {}));
    }
    return response;
  } catch (offline) {
    const cached = await caches.match(url.pathname, { cacheName: PAGES });
    if (cached) return cached;
    const link = url.pathname.match(CHECK_IN_LINK);
    if (link && (await caches.match("/checkin", { cacheName: PAGES }))) {
      // The check-in page takes the link's code from its query and keeps it on the phone.
      const query = new URLSearchParams(url.search);
      query.set("code", link[1]);
      query.set("offline", "1");
      return Response.redirect("/checkin?" + query.toString(), 302);
    }
    return offlinePage();
  }
}

// A page of this build, signed in (a redirect to the sign-in page is not kept).
function isKeepable(response) {
  return (
    response.ok &&
    !response.redirected &&
    response.headers.get("x-rollcall-build") === BUILD &&
    (response.headers.get("content-type") || "").startsWith("text/html")
  );
}

async function keepPage(path) {
  const response = await fetch(path, { credentials: "same-origin" });
  if (isKeepable(response)) {
    const cache = await caches.open(PAGES);
    await cache.put(path, response);
  }
}

function offlinePage() {
  const html =
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    "<title>Offline · Rollcall</title></head><body>" +
    "<h1>You are offline</h1>" +
    "<p>This page has not been opened on this device while online, so it cannot be shown now. " +
    "Open it again when the network is back.</p>" +
    '<p><a href="/checkin">Check in</a></p></body></html>';
  return new Response(html, {
    status: 503,
    headers: { "content-type": "text/html; charset=utf-8" },
  });
}

// ---- Web Push (server::notify): show what the server sent, with its actions, and open the
// right page on a click. The payload is PushPayload (domain::notify::inbox).
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (unreadable) {
    data = { title: "Rollcall", body: event.data ? event.data.text() : "" };
  }
  const actions = Array.isArray(data.actions) ? data.actions : [];
  const urls = {};
  for (const action of actions) urls[action.action] = action.url;
  const options = {
    body: data.body || "",
    tag: data.tag || String(data.id || "rollcall"),
    // A newer push about the same thing replaces the shown one, and still says so.
    renotify: Boolean(data.tag),
    icon: "/icons/icon-192.png",
    badge: "/icons/icon-192.png",
    data: { url: data.url || "/notifications", urls, id: data.id },
    actions: actions.slice(0, 2).map((a) => ({ action: a.action, title: a.title })),
  };
  event.waitUntil(self.registration.showNotification(data.title || "Rollcall", options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  const target = (data.urls && data.urls[event.action]) || data.url || "/notifications";
  const url = new URL(target, self.location.origin);
  if (url.origin !== self.location.origin) return;
  event.waitUntil(
    (async () => {
      const open = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const client of open) {
        if (new URL(client.url).pathname === url.pathname && "focus" in client) {
          await client.focus();
          if (url.hash && "navigate" in client) await client.navigate(url.href);
          return;
        }
      }
      await self.clients.openWindow(url.href);
    })()
  );
});
