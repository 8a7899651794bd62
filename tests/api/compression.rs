//! Compressed answers: pages on the fly, the bundle from the build's precompressed copies.

use crate::helpers::*;
use leptos::config::LeptosOptions;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, VARY};

#[tokio::test]
async fn pages_are_compressed_and_the_bundle_is_sent_precompressed() {
    // A release site as `cargo leptos build --release --precompress` leaves it: each file with
    // its brotli copy beside it (a stand-in body: the server sends the copy as it is).
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let wasm = vec![7u8; 50_000];
    std::fs::write(pkg.join("rollcall.wasm"), &wasm).unwrap();
    std::fs::write(pkg.join("rollcall.wasm.br"), b"brotli copy").unwrap();
    std::fs::write(pkg.join("rollcall.css"), "body { margin: 0 }\n".repeat(100)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let options = LeptosOptions::builder()
        .output_name("rollcall")
        .site_root(site.path().to_string_lossy().to_string())
        .build();
    let config = test_config(fresh_database(&dir).await);
    let server = rollcall::startup::start(config, options).await.unwrap();
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();
    let get = |path: String, accept: &'static str| {
        let request = http.get(format!("{base}{path}"));
        let request = match accept {
            "" => request,
            accept => request.header(ACCEPT_ENCODING, accept),
        };
        async move { request.send().await.unwrap() }
    };

    // A page: gzip when the browser takes it (the body starts with gzip's magic), and much
    // smaller; as it was without the header.
    let plain = get("/login".into(), "").await;
    assert!(plain.headers().get(CONTENT_ENCODING).is_none());
    let build = plain.headers()["x-rollcall-build"]
        .to_str()
        .unwrap()
        .to_string();
    let html = plain.bytes().await.unwrap();
    let gzipped = get("/login".into(), "gzip").await;
    assert_eq!(gzipped.headers()[CONTENT_ENCODING], "gzip");
    let body = gzipped.bytes().await.unwrap();
    assert_eq!(&body[..2], &[0x1f, 0x8b]);
    assert!(
        body.len() * 2 < html.len(),
        "{} of {}",
        body.len(),
        html.len()
    );
    let brotli = get("/login".into(), "gzip, deflate, br").await;
    assert_eq!(brotli.headers()[CONTENT_ENCODING], "br");

    // The WebAssembly: the precompressed copy for a browser that takes brotli, else the file;
    // never compressed per request.
    let wasm_path = format!("/build/{build}/pkg/rollcall.wasm");
    let sent = get(wasm_path.clone(), "gzip, deflate, br, zstd").await;
    assert_eq!(sent.status(), 200);
    assert_eq!(sent.headers()[CONTENT_ENCODING], "br");
    assert_eq!(sent.headers()[VARY], "accept-encoding");
    assert_eq!(sent.headers()["content-type"], "application/wasm");
    assert_eq!(&sent.bytes().await.unwrap()[..], b"brotli copy");
    for accept in ["gzip", "br;q=0, gzip", ""] {
        let sent = get(wasm_path.clone(), accept).await;
        assert!(sent.headers().get(CONTENT_ENCODING).is_none(), "{accept}");
        assert_eq!(sent.bytes().await.unwrap(), wasm, "{accept}");
    }
    // A copy is not a file of the bundle of its own.
    let copy = get(format!("{wasm_path}.br"), "").await;
    assert_eq!(copy.status(), 404);
    // A file without a copy is compressed as it goes.
    let css = get(format!("/build/{build}/pkg/rollcall.css"), "gzip").await;
    assert_eq!(css.headers()[CONTENT_ENCODING], "gzip");
    server.shutdown().await;
}
