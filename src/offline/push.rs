//! This browser's Web Push subscription (browser only): asking for permission, subscribing
//! with the server's VAPID key through the service worker, and unsubscribing. A browser that
//! cannot reach its push service never answers `subscribe()`, so every wait is bounded.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Notification, NotificationPermission, PushManager, PushSubscription};

/// What this browser can do about pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushSupport {
    /// No service worker or Push API (iPhone and iPad: only from the Home Screen).
    Unsupported,
    /// The person blocked notifications for this site.
    Blocked,
    Ready,
}

/// A subscription as the server takes it.
pub struct Subscribed {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

pub fn support() -> PushSupport {
    let window = leptos::prelude::window();
    let has =
        |target: &JsValue, name: &str| js_sys::Reflect::has(target, &name.into()).unwrap_or(false);
    if !has(&window.navigator(), "serviceWorker")
        || !has(&window, "PushManager")
        || !has(&window, "Notification")
    {
        return PushSupport::Unsupported;
    }
    match Notification::permission() {
        NotificationPermission::Denied => PushSupport::Blocked,
        _ => PushSupport::Ready,
    }
}

/// Waits for `promise`, at most `ms`: `None` when it did not settle in time.
async fn within(promise: js_sys::Promise, ms: i32) -> Option<Result<JsValue, JsValue>> {
    let marker = JsValue::from_str("__timeout__");
    let timed = js_sys::Promise::new(&mut |resolve, _| {
        let _ = leptos::prelude::window()
            .set_timeout_with_callback_and_timeout_and_arguments_1(&resolve, ms, &marker);
    });
    let raced = js_sys::Promise::race(&js_sys::Array::of2(&promise, &timed));
    match JsFuture::from(raced).await {
        Ok(value) if value.as_string().as_deref() == Some("__timeout__") => None,
        other => Some(other),
    }
}

async fn push_manager() -> Result<PushManager, String> {
    let ready = leptos::prelude::window()
        .navigator()
        .service_worker()
        .ready()
        .map_err(|_| "This browser has no service worker.".to_string())?;
    let registration = within(ready, 10_000)
        .await
        .ok_or("The app's service worker is not running yet; reload the page and try again.")?
        .map_err(|_| "The app's service worker is not available.".to_string())?;
    let registration: web_sys::ServiceWorkerRegistration = registration.unchecked_into();
    registration
        .push_manager()
        .map_err(|_| "This browser cannot receive pushes.".to_string())
}

/// This browser's current subscription's endpoint, if it has one.
pub async fn current_endpoint() -> Option<String> {
    let manager = push_manager().await.ok()?;
    let found = within(manager.get_subscription().ok()?, 5_000)
        .await?
        .ok()?;
    let subscription: PushSubscription = found.dyn_into().ok()?;
    Some(subscription.endpoint())
}

/// Asks for permission and subscribes with the server's key.
pub async fn subscribe(vapid_public_key: &str) -> Result<Subscribed, String> {
    let permission = Notification::request_permission()
        .map_err(|_| "This browser cannot show notifications.".to_string())?;
    let answer = JsFuture::from(permission)
        .await
        .ok()
        .and_then(|v| v.as_string());
    if answer.as_deref() != Some("granted") {
        return Err("Notifications were not allowed. Allow them for this site in the browser's settings to get pushes.".into());
    }
    let manager = push_manager().await?;
    let options = web_sys::PushSubscriptionOptionsInit::new();
    options.set_user_visible_only(true);
    options.set_application_server_key(
        &js_sys::Uint8Array::from(decode_base64url(vapid_public_key)?.as_slice()).into(),
    );
    let promise = manager
        .subscribe_with_options(&options)
        .map_err(|_| "This browser refused to subscribe.".to_string())?;
    let subscription = within(promise, 15_000)
        .await
        .ok_or("This browser could not reach its push service. Try again later.")?
        .map_err(|error| format!("This browser refused to subscribe: {}", describe(&error)))?;
    let json = js_sys::Reflect::get(&subscription, &"toJSON".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call0(&subscription).ok())
        .ok_or("The subscription could not be read.")?;
    let text = |target: &JsValue, key: &str| {
        js_sys::Reflect::get(target, &key.into())
            .ok()
            .and_then(|v| v.as_string())
    };
    let keys = js_sys::Reflect::get(&json, &"keys".into()).unwrap_or(JsValue::UNDEFINED);
    match (
        text(&json, "endpoint"),
        text(&keys, "p256dh"),
        text(&keys, "auth"),
    ) {
        (Some(endpoint), Some(p256dh), Some(auth)) => Ok(Subscribed {
            endpoint,
            p256dh,
            auth,
        }),
        _ => Err("The subscription is missing its keys.".into()),
    }
}

/// Unsubscribes this browser; returns the endpoint it had.
pub async fn unsubscribe() -> Option<String> {
    let manager = push_manager().await.ok()?;
    let found = within(manager.get_subscription().ok()?, 5_000)
        .await?
        .ok()?;
    let subscription: PushSubscription = found.dyn_into().ok()?;
    let endpoint = subscription.endpoint();
    if let Ok(promise) = subscription.unsubscribe() {
        let _ = within(promise, 5_000).await;
    }
    Some(endpoint)
}

fn describe(error: &JsValue) -> String {
    js_sys::Reflect::get(error, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

/// base64url (unpadded) to bytes, with the browser's own decoder.
fn decode_base64url(text: &str) -> Result<Vec<u8>, String> {
    let mut standard: String = text.replace('-', "+").replace('_', "/");
    while !standard.len().is_multiple_of(4) {
        standard.push('=');
    }
    let binary = leptos::prelude::window()
        .atob(&standard)
        .map_err(|_| "The server's push key is not base64url.".to_string())?;
    Ok(binary.chars().map(|c| c as u32 as u8).collect())
}
