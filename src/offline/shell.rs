//! The service worker's page side (browser only): registration, durable storage, and
//! forgetting the kept pages at sign-out.

use super::OfflineStatus;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};

/// Registers `/sw.js` (the server writes the current build into it) and asks the browser to
/// keep this site's storage: an outbox that the browser may evict is no outbox. Browsers that
/// refuse (iOS Safari outside the Home Screen deletes storage after 7 days) get a hint to
/// install the app.
pub fn register(status: OfflineStatus) {
    let navigator = window().navigator();
    if js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
        let promise = navigator.service_worker().register("/sw.js");
        spawn_local(async move {
            if let Err(error) = JsFuture::from(promise).await {
                leptos::logging::warn!("the service worker did not register: {error:?}");
            }
        });
    }
    if js_sys::Reflect::has(&navigator, &"storage".into()).unwrap_or(false) {
        let storage = navigator.storage();
        spawn_local(async move {
            let persisted = match storage.persist() {
                Ok(promise) => JsFuture::from(promise).await.ok().and_then(|v| v.as_bool()),
                Err(_) => None,
            };
            status.persisted.set(persisted);
            status
                .suggest_install
                .set(ios_tab() && persisted != Some(true));
        });
    }
}

/// Deletes every kept page (all builds), from the page itself: it works with or without an
/// active worker.
pub async fn forget_pages() {
    let Ok(caches) = window().caches() else {
        return;
    };
    let Ok(names) = JsFuture::from(caches.keys()).await else {
        return;
    };
    let names: js_sys::Array = names.unchecked_into();
    for name in names.iter().filter_map(|n| n.as_string()) {
        if name.starts_with("rollcall-pages-") {
            let _ = JsFuture::from(caches.delete(&name)).await;
        }
    }
}

/// Is this an iPhone or iPad browser tab rather than the installed app? (Its storage lasts a
/// week without a visit.)
fn ios_tab() -> bool {
    let agent = window().navigator().user_agent().unwrap_or_default();
    let ios = agent.contains("iPhone") || agent.contains("iPad");
    let standalone = window()
        .match_media("(display-mode: standalone)")
        .ok()
        .flatten()
        .is_some_and(|query| query.matches());
    ios && !standalone
}
