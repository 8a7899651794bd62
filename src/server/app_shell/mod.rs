//! The installable, offline app shell: the browser bundle served under a URL that names its
//! build (`/build/<id>/pkg/…`), and the service worker with that build inside it.
//!
//! The build id is a hash of the bundle's files, computed when the server first needs it, so
//! it is right however the files got there. A page of one build never loads another build's
//! WebAssembly: its URLs differ, a new build brings a new worker (its script differs), and the
//! new worker drops the old caches (docs/protocol.md, "The app shell").

mod check_in_loader;
pub use check_in_loader::check_in_loader;

use super::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use leptos::prelude::LeptosOptions;
use sha2::{Digest, Sha256};
use std::path::{Path as FsPath, PathBuf};

/// Pages and images the worker keeps for offline use besides the bundle.
const STATIC_FILES: [&str; 4] = [
    "/favicon.svg",
    "/manifest.webmanifest",
    "/icons/icon-192.png",
    "/icons/icon-512.png",
];

/// The response header that names the build a page belongs to (the worker keeps only pages of
/// its own build).
pub const BUILD_HEADER: &str = "x-rollcall-build";

pub struct Bundle {
    pub id: String,
    pkg_dir: PathBuf,
    /// Paths below the pkg directory, `/`-separated, sorted.
    files: Vec<String>,
    /// The build's precompressed copies of them (`rollcall.wasm.br`, `….gz`), which a release
    /// build with `--precompress` writes beside each file.
    precompressed: Vec<String>,
}

/// The encodings with a precompressed copy, best first: the file's suffix and its name.
const PRECOMPRESSED: [(&str, &str); 2] = [(".br", "br"), (".gz", "gzip")];

/// Where a page's scripts and stylesheet come from: `/build/<id>`, the `root` of Leptos'
/// hydration scripts. Called while rendering a page, where the state is in context.
pub fn asset_root() -> String {
    leptos::prelude::use_context::<AppState>()
        .map(|state| format!("/build/{}", state.bundle.id))
        .unwrap_or_default()
}

impl Bundle {
    /// The bundle in the site's pkg directory, read at start (a new build is a restart).
    pub fn of_site(options: &LeptosOptions) -> Bundle {
        let pkg_dir = FsPath::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
        Bundle::read(pkg_dir)
    }

    fn read(pkg_dir: PathBuf) -> Bundle {
        let mut files = Vec::new();
        list_files(&pkg_dir, "", &mut files);
        // TypeScript declarations are for editors, not browsers.
        files.retain(|file| !file.ends_with(".d.ts"));
        let (precompressed, mut files): (Vec<String>, Vec<String>) =
            files.into_iter().partition(|file| {
                PRECOMPRESSED
                    .iter()
                    .any(|(suffix, _)| file.ends_with(suffix))
            });
        files.sort();
        let mut hash = Sha256::new();
        for file in &files {
            hash.update(file.as_bytes());
            hash.update([0]);
            hash.update(std::fs::read(pkg_dir.join(file)).unwrap_or_default());
        }
        let id = hex(&hash.finalize()[..8]);
        Bundle {
            id,
            pkg_dir,
            files,
            precompressed,
        }
    }
}

fn list_files(dir: &FsPath, prefix: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = format!("{prefix}{name}");
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => list_files(&entry.path(), &format!("{path}/"), out),
            Ok(_) => out.push(path),
            Err(_) => {}
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `GET /build/{build}/pkg/{*file}`: a file of the current bundle, cached for a year (its URL
/// changes with its content). Another build's file is gone: 404 tells the page to reload.
/// A precompressed copy is sent when the browser takes its encoding: the WebAssembly is a
/// quarter of its size in brotli, and nothing compresses it per request.
pub async fn asset(
    State(state): State<AppState>,
    Path((build, file)): Path<(String, String)>,
    request_headers: HeaderMap,
) -> Response {
    let bundle = &state.bundle;
    if build != bundle.id || !bundle.files.contains(&file) {
        return (
            StatusCode::NOT_FOUND,
            "This file belongs to another version of Rollcall. Reload the page.",
        )
            .into_response();
    }
    let accepted = request_headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let encoding = PRECOMPRESSED.iter().find(|(suffix, name)| {
        bundle.precompressed.contains(&format!("{file}{suffix}")) && accepts(accepted, name)
    });
    let stored = match encoding {
        Some((suffix, _)) => format!("{file}{suffix}"),
        None => file.clone(),
    };
    let Ok(bytes) = tokio::fs::read(bundle.pkg_dir.join(&stored)).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    if let Some((_, name)) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&file)),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    response
}

/// Whether an `Accept-Encoding` value takes `encoding` (named, or `*`, and not with `q=0`).
fn accepts(accept_encoding: &str, encoding: &str) -> bool {
    accept_encoding.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let name = parts.next().unwrap_or("");
        let refused = parts.any(|param| {
            param
                .strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (name.eq_ignore_ascii_case(encoding) || name == "*") && !refused
    })
}

fn content_type(file: &str) -> &'static str {
    match file.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// `GET /sw.js`: the service worker of the current build. Browsers check it on every
/// navigation (`no-cache`), so a deploy reaches them on their next page load.
pub async fn service_worker(State(state): State<AppState>) -> Response {
    let mut response = worker_script(&state.bundle).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn worker_script(bundle: &Bundle) -> String {
    let precache: Vec<String> = bundle
        .files
        .iter()
        .map(|file| format!("/build/{}/pkg/{file}", bundle.id))
        .collect();
    let precache = serde_json::to_string(&precache).unwrap_or_else(|_| "[]".into());
    let extras = serde_json::to_string(&STATIC_FILES).unwrap_or_else(|_| "[]".into());
    include_str!("service_worker.js")
        .replace("\"__BUILD__\"", &format!("{:?}", bundle.id))
        .replace("[\"__PRECACHE__\"]", &precache)
        .replace("[\"__EXTRAS__\"]", &extras)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle_of(files: &[(&str, &str)]) -> (tempfile::TempDir, Bundle) {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        let bundle = Bundle::read(dir.path().to_path_buf());
        (dir, bundle)
    }

    #[test]
    fn the_build_id_follows_the_content_of_every_file() {
        let (_a, a) = bundle_of(&[("rollcall.js", "a"), ("rollcall.wasm", "w")]);
        let (_b, b) = bundle_of(&[("rollcall.js", "a"), ("rollcall.wasm", "w")]);
        let (_c, c) = bundle_of(&[("rollcall.js", "a"), ("rollcall.wasm", "W")]);
        let (_d, d) = bundle_of(&[
            ("rollcall.js", "a"),
            ("snippets/x/inline0.js", ""),
            ("rollcall.d.ts", ""),
        ]);
        assert_eq!(a.id, b.id);
        assert_ne!(a.id, c.id);
        assert_ne!(a.id, d.id);
        assert_eq!(a.id.len(), 16);
        assert_eq!(d.files, ["rollcall.js", "snippets/x/inline0.js"]);
    }

    #[test]
    fn precompressed_copies_are_not_files_of_their_own() {
        let (_dir, bundle) = bundle_of(&[
            ("rollcall.wasm", "w"),
            ("rollcall.wasm.br", "b"),
            ("rollcall.wasm.gz", "g"),
        ]);
        assert_eq!(bundle.files, ["rollcall.wasm"]);
        assert_eq!(bundle.precompressed.len(), 2);
    }

    #[test]
    fn an_encoding_is_taken_when_named_or_starred_and_not_refused() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("br;q=0.5", "br"));
        assert!(accepts("*", "gzip"));
        assert!(accepts("GZIP", "gzip"));
        assert!(!accepts("gzip", "br"));
        assert!(!accepts("br;q=0, gzip", "br"));
        assert!(!accepts("", "br"));
        assert!(!accepts("brotli", "br"));
    }

    #[test]
    fn the_worker_names_its_build_and_precaches_its_bundle() {
        let (_dir, bundle) = bundle_of(&[("rollcall.js", "a"), ("rollcall.wasm", "w")]);
        let script = worker_script(&bundle);
        assert!(script.contains(&format!("const BUILD = \"{}\";", bundle.id)));
        assert!(script.contains(&format!("\"/build/{}/pkg/rollcall.wasm\"", bundle.id)));
        assert!(script.contains("\"/manifest.webmanifest\""));
        assert!(!script.contains("__"), "a placeholder is left: {script}");
    }
}
