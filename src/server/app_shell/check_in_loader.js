// The loader of the sign-in and check-in pages, in place of Leptos' hydration script
// (check_in_loader.rs). On a slow connection their forms work as plain forms, so the
// WebAssembly waits until the check-in is done instead of sharing the link with it: the
// answer's page hydrates. It starts at once when the connection is fast or a service worker
// has the bundle in its cache, and as soon as the person does anything on the page other than
// fill in and send its form.
(function (js, wasm) {
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    delete document.documentElement.dataset.hydration;
    import(js).then((mod) => mod.default({ module_or_path: wasm }).then(() => mod.hydrate()));
  };
  const link = navigator.connection;
  const slow = !!link && (link.saveData || /2g|3g/.test(link.effectiveType || "") || link.rtt >= 400);
  if (!slow || (navigator.serviceWorker && navigator.serviceWorker.controller)) {
    start();
    return;
  }
  document.documentElement.dataset.hydration = "after-check-in";
  const elsewhere = (event) => {
    const form = event.target.closest && event.target.closest('form[method="post"]');
    if (!form) start();
  };
  for (const type of ["pointerdown", "keydown"]) {
    addEventListener(type, elsewhere, { capture: true, passive: true });
  }
})
