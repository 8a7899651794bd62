//! Security headers on every answer: a Content-Security-Policy (with a fresh nonce for each
//! page, which Leptos puts on its own inline scripts), no framing, no MIME sniffing, no
//! referrer to other sites, HSTS over https, and no caching of anything but static assets.

use super::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use leptos::nonce::Nonce;

/// Adds the headers; puts the page's nonce in the request for the renderer ([`provide_nonce`]).
pub async fn add_security_headers(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = Nonce::new();
    request.extensions_mut().insert(nonce.clone());
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    let https = state.config.public_url.starts_with("https://");
    let reload_port = std::env::var_os("LEPTOS_WATCH").map(|_| state.leptos_options.reload_port);
    apply(response.headers_mut(), &path, &nonce, https, reload_port);
    if is_page(response.headers()) {
        if let Ok(build) = HeaderValue::from_str(&state.bundle.id) {
            response
                .headers_mut()
                .insert(super::app_shell::BUILD_HEADER, build);
        }
    }
    response
}

fn is_page(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("text/html"))
}

/// Inside the Leptos renderer: uses the nonce of this request's policy for the inline scripts.
pub fn provide_nonce() {
    let nonce = leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Nonce>().cloned());
    if let Some(nonce) = nonce {
        leptos::prelude::provide_context(nonce);
    }
}

/// The policy for an HTML page: scripts only from this site or carrying the nonce (Leptos'
/// hydration and resource scripts), WebAssembly compilation allowed, styles only from the
/// stylesheet, no plugins, no `<base>`, forms only to this site, never inside a frame.
pub fn page_policy(nonce: &str, reload_port: Option<u32>) -> String {
    // `cargo leptos watch` reloads the page over its own WebSocket port.
    let reload = reload_port
        .map(|port| format!(" ws://*:{port}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'{reload}; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Anything that is not a page (JSON, assets) runs nothing and shows inside no frame.
pub const OTHER_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// The service worker's own policy (a worker's script answer sets it): it fetches and caches
/// this site's pages and bundle, nothing else.
pub const WORKER_POLICY: &str = "default-src 'self'; frame-ancestors 'none'";

pub fn apply(
    headers: &mut HeaderMap,
    path: &str,
    nonce: &str,
    https: bool,
    reload_port: Option<u32>,
) {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let policy = if content_type.starts_with("text/html") {
        page_policy(nonce, reload_port)
    } else if path == "/sw.js" {
        WORKER_POLICY.to_string()
    } else {
        OTHER_POLICY.to_string()
    };
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    let fixed = [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    // Pages and API answers carry people's names and attendance: never keep them (shared PCs,
    // the back button after sign-out). The built assets under /pkg and images may be cached.
    let static_asset = path.starts_with("/pkg/")
        || path.starts_with("/build/")
        || content_type.starts_with("image/");
    if !static_asset && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(path: &str, content_type: &str, https: bool) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, content_type.parse().unwrap());
        apply(&mut headers, path, "n0nce", https, None);
        headers
    }

    #[test]
    fn pages_get_a_nonce_policy_and_no_store() {
        let page = answer("/teacher", "text/html; charset=utf-8", false);
        let policy = page[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            policy.contains("script-src 'self' 'nonce-n0nce' 'wasm-unsafe-eval'"),
            "{policy}"
        );
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert_eq!(page[header::CACHE_CONTROL], "no-store");
        assert_eq!(page[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(page[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(page[header::REFERRER_POLICY], "same-origin");
        assert!(!page.contains_key(header::STRICT_TRANSPORT_SECURITY));
    }

    #[test]
    fn assets_may_be_cached_and_https_adds_hsts() {
        let script = answer("/pkg/rollcall.js", "text/javascript", true);
        assert!(!script.contains_key(header::CACHE_CONTROL));
        assert_eq!(script[header::CONTENT_SECURITY_POLICY], OTHER_POLICY);
        assert_eq!(
            script[header::STRICT_TRANSPORT_SECURITY],
            "max-age=31536000"
        );
        let api = answer("/api/me", "application/json", true);
        assert_eq!(api[header::CACHE_CONTROL], "no-store");
    }
}
