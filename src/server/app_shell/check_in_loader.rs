//! The loader of the pages on a student's way to a check-in (the sign-in page, the check-in
//! page): on a slow link they should not download 0.8 MB of WebAssembly while the sign-in and
//! the check-in are on their way, since their forms work without it.
//!
//! Every other page (and these on a fast link, or with the bundle cached by the service
//! worker) hydrates as Leptos' `HydrationScripts` would; the script decides in the browser
//! from `navigator.connection` (docs/benchmarks.md, "A phone on slow 3G").

use axum::http::request::Parts;
use leptos::prelude::LeptosOptions;

const LOADER: &str = include_str!("check_in_loader.js");

/// Whether the page at `path?query` is on the way to a check-in: the sign-in page, or a
/// check-in page before its check-in (`/checkin` or a QR link `/checkin/<code>`, not the
/// answer of a check-in that went through, `?done=…`).
pub fn on_the_way_to_check_in(path: &str, query: Option<&str>) -> bool {
    if path == "/login" {
        return true;
    }
    let is_check_in = path == "/checkin"
        || path
            .strip_prefix("/checkin/")
            .is_some_and(|code| !code.is_empty() && !code.contains('/'));
    let done = query
        .unwrap_or("")
        .split('&')
        .any(|pair| pair == "done" || pair.starts_with("done="));
    is_check_in && !done
}

/// The loader for the page being rendered, when it is on the way to a check-in;
/// `root` is where the bundle's URLs start (`asset_root`).
pub fn check_in_loader(options: &LeptosOptions, root: &str) -> Option<String> {
    let parts = leptos::prelude::use_context::<Parts>()?;
    if !on_the_way_to_check_in(parts.uri.path(), parts.uri.query()) {
        return None;
    }
    let (js, wasm) = bundle_urls(options, root);
    Some(format!("{LOADER}({js:?}, {wasm:?});"))
}

/// The script's and the WebAssembly's URLs, named as `HydrationScripts` names them (without
/// hashed file names, which Rollcall does not use: the build is in `root`).
fn bundle_urls(options: &LeptosOptions, root: &str) -> (String, String) {
    let pkg = &options.site_pkg_dir;
    let name = &options.output_name;
    // cargo-leptos names the WebAssembly after the crate; wasm-bindgen alone adds `_bg`.
    let suffix = if option_env!("LEPTOS_OUTPUT_NAME").is_none() {
        "_bg"
    } else {
        ""
    };
    (
        format!("{root}/{pkg}/{name}.js"),
        format!("{root}/{pkg}/{name}{suffix}.wasm"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_check_in_pages_before_their_check_in_wait() {
        assert!(on_the_way_to_check_in("/checkin", None));
        assert!(on_the_way_to_check_in("/checkin/K7QM2X", Some("s=4&w=17")));
        assert!(on_the_way_to_check_in(
            "/checkin/K7QM2X",
            Some("error=expired")
        ));
        assert!(!on_the_way_to_check_in("/checkin", Some("done=present")));
        assert!(!on_the_way_to_check_in("/checkin", Some("x=1&done")));
        assert!(!on_the_way_to_check_in("/checkin/", None));
        assert!(!on_the_way_to_check_in("/checkin/K7/x", None));
        assert!(!on_the_way_to_check_in("/checkins", None));
        assert!(!on_the_way_to_check_in("/teacher/sessions/4", None));
        assert!(!on_the_way_to_check_in("/", None));
        assert!(on_the_way_to_check_in(
            "/login",
            Some("next=/checkin/K7QM2X")
        ));
        assert!(!on_the_way_to_check_in("/login/x", None));
    }

    #[test]
    fn the_loader_names_the_bundle_of_its_build() {
        let options = LeptosOptions::builder().output_name("rollcall").build();
        let (js, wasm) = bundle_urls(&options, "/build/abc");
        assert_eq!(js, "/build/abc/pkg/rollcall.js");
        assert!(
            wasm == "/build/abc/pkg/rollcall.wasm" || wasm == "/build/abc/pkg/rollcall_bg.wasm"
        );
        assert!(
            LOADER.trim_end().ends_with(')'),
            "the loader is called with the URLs"
        );
    }
}
