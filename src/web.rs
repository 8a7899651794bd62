//! Browser-only helpers behind one `cfg` boundary, so components call them on every target: on
//! the server they do nothing (or return nothing), which is also what the first browser render
//! must show for hydration to match.

use leptos::prelude::*;
use std::time::Duration;

pub fn local_storage_get(key: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    return window().local_storage().ok()??.get_item(key).ok()?;
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        None
    }
}

pub fn local_storage_set(key: &str, value: &str) {
    #[cfg(feature = "hydrate")]
    if let Ok(Some(storage)) = window().local_storage() {
        let _ = storage.set_item(key, value);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key, value);
}

/// Runs `f` once after `delay` in the browser; never on the server.
pub fn after(delay: Duration, f: impl FnOnce() + 'static) {
    #[cfg(feature = "hydrate")]
    leptos::leptos_dom::helpers::set_timeout(f, delay);
    #[cfg(not(feature = "hydrate"))]
    let _ = (delay, f);
}

/// Highlights something for a moment: sets the signal, clears it 1.6 s later.
pub fn flash(signal: RwSignal<bool>) {
    signal.set(true);
    after(Duration::from_millis(1600), move || signal.set(false));
}

/// The browser's clock (ms since the epoch); 0 on the server. Only for measuring how long
/// something has been on screen, never for deciding anything.
pub fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    return js_sys::Date::now();
    #[cfg(not(feature = "hydrate"))]
    0.0
}

/// A clock (ms since the epoch) that ticks every second in the browser and stays 0 on the
/// server, so nothing time-relative is rendered there.
pub fn use_ticking_now() -> ReadSignal<f64> {
    let (now, set_now) = signal(0.0);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            set_now.set(js_sys::Date::now());
            if let Ok(handle) = leptos::leptos_dom::helpers::set_interval_with_handle(
                move || set_now.set(js_sys::Date::now()),
                Duration::from_secs(1),
            ) {
                on_cleanup(move || handle.clear());
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = set_now;
    });
    now
}

// The file chosen in a file input, kept by the browser side only (a `File` cannot live in a
// signal the server renders with). `pick_file` keeps it and returns its name for the page.
#[cfg(feature = "hydrate")]
thread_local! {
    static PICKED: std::cell::RefCell<Option<web_sys::File>> = const { std::cell::RefCell::new(None) };
}

/// Keeps the file chosen in the input that fired `ev`; returns its name (`None`: no file).
pub fn pick_file(ev: &leptos::ev::Event) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let input: Option<web_sys::HtmlInputElement> = ev.target().and_then(|t| t.dyn_into().ok());
        let file = input.and_then(|i| i.files()).and_then(|files| files.get(0));
        let name = file.as_ref().map(|f| f.name());
        PICKED.with(|picked| *picked.borrow_mut() = file);
        name
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        None
    }
}

/// POSTs the picked file's bytes as `text/csv` (the browser reads them; nothing re-encodes
/// them) and reads the JSON answer, or the server's error.
pub async fn post_picked_csv<T: serde::de::DeserializeOwned>(
    path: &str,
) -> Result<T, crate::error::AppError> {
    use crate::error::{AppError, ErrorKind};
    #[cfg(feature = "hydrate")]
    {
        let unreachable = || {
            AppError::new(
                ErrorKind::Internal,
                "Rollcall cannot be reached. Check the connection and try again.",
            )
        };
        let file = PICKED
            .with(|picked| picked.borrow().clone())
            .ok_or_else(|| AppError::bad_request("Choose a file first."))?;
        let response = gloo_net::http::Request::post(path)
            .header("content-type", "text/csv")
            .body(wasm_bindgen::JsValue::from(file))
            .map_err(|_| unreachable())?
            .send()
            .await
            .map_err(|_| unreachable())?;
        if response.ok() {
            response.json::<T>().await.map_err(|_| unreachable())
        } else {
            Err(response
                .json::<AppError>()
                .await
                .unwrap_or_else(|_| unreachable()))
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = path;
        Err(AppError::new(ErrorKind::Internal, "Only in the browser."))
    }
}

/// Loads data in the browser only, whenever `source` changes: `None` until it arrives. For
/// panels nested inside a page that already streams a resource: a second, nested resource can
/// stall the server's out-of-order stream, and a plain effect renders the same (nothing) on the
/// server and at hydration.
pub fn load_in_browser<S, T, Fut>(
    source: impl Fn() -> S + 'static,
    fetch: impl Fn(S) -> Fut + 'static,
) -> RwSignal<Option<T>>
where
    S: 'static,
    T: Send + Sync + 'static,
    Fut: std::future::Future<Output = T> + 'static,
{
    let value = RwSignal::new(None);
    Effect::new(move |_| {
        let future = fetch(source());
        leptos::task::spawn_local(async move { value.set(Some(future.await)) });
    });
    value
}
