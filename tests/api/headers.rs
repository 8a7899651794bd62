//! Security headers on a page, an API answer and a static asset.

use crate::helpers::*;
use leptos::config::LeptosOptions;
use reqwest::header::{HeaderMap, CACHE_CONTROL, CONTENT_SECURITY_POLICY};
use serde_json::json;

fn assert_common(headers: &HeaderMap, what: &str) {
    for (name, want) in [
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
    ] {
        assert_eq!(headers[name], want, "{name} on {what}");
    }
    let policy = headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        policy.contains("frame-ancestors 'none'"),
        "{what}: {policy}"
    );
}

#[tokio::test]
async fn pages_api_answers_and_assets_carry_security_headers() {
    // A site root with one built asset in it, as `cargo leptos build` leaves it.
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    std::fs::write(site.path().join("pkg/rollcall.css"), "body { margin: 0 }").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(fresh_database(&dir).await);
    config.public_url = "https://rollcall.test".into();
    let options = LeptosOptions::builder()
        .output_name("rollcall")
        .site_root(site.path().to_string_lossy().to_string())
        .build();
    let server = rollcall::startup::start(config, options).await.unwrap();
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();

    let page = http.get(format!("{base}/login")).send().await.unwrap();
    let headers = page.headers().clone();
    let html = page.text().await.unwrap();
    assert_common(&headers, "a page");
    assert_eq!(headers[CACHE_CONTROL], "no-store");
    assert_eq!(headers["strict-transport-security"], "max-age=31536000");
    // The policy's nonce is the one on the page's inline scripts, and differs per page.
    let policy = headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("no nonce in {policy}"));
    assert!(nonce.len() >= 16, "{policy}");
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{html}");
    assert!(!policy.contains("unsafe-inline") && policy.contains("'wasm-unsafe-eval'"));
    let again = http.get(format!("{base}/login")).send().await.unwrap();
    assert!(!again.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains(nonce));

    let api = http
        .post(format!("{base}/api/me"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 200);
    assert_common(api.headers(), "an API answer");
    assert_eq!(api.headers()[CACHE_CONTROL], "no-store");

    let asset = http
        .get(format!("{base}/pkg/rollcall.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), 200);
    assert_common(asset.headers(), "a static asset");
    assert!(asset.headers().get(CACHE_CONTROL).is_none());

    // The page names its build; the bundle under that name is cached for good, another
    // build's name or a file outside the bundle is not there.
    let build = headers["x-rollcall-build"].to_str().unwrap().to_string();
    assert_eq!(build.len(), 16, "{build}");
    let stylesheet = format!("/build/{build}/pkg/rollcall.css");
    assert!(html.contains(&stylesheet), "{html}");
    let versioned = http
        .get(format!("{base}{stylesheet}"))
        .send()
        .await
        .unwrap();
    assert_eq!(versioned.status(), 200);
    assert_eq!(
        versioned.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        versioned.headers()["content-type"],
        "text/css; charset=utf-8"
    );
    assert_eq!(versioned.text().await.unwrap(), "body { margin: 0 }");
    for missing in [
        "/build/0123456789abcdef/pkg/rollcall.css".to_string(),
        format!("/build/{build}/pkg/../../Cargo.toml"),
        format!("/build/{build}/pkg/rollcall.js"),
    ] {
        let answer = http.get(format!("{base}{missing}")).send().await.unwrap();
        assert_eq!(answer.status(), 404, "{missing}");
    }

    // The service worker carries the build and its bundle, is checked on every load, and may
    // fetch from this site only.
    let worker = http.get(format!("{base}/sw.js")).send().await.unwrap();
    assert_eq!(worker.status(), 200);
    let worker_headers = worker.headers().clone();
    assert_eq!(worker_headers[CACHE_CONTROL], "no-cache");
    assert_eq!(
        worker_headers[CONTENT_SECURITY_POLICY],
        "default-src 'self'; frame-ancestors 'none'"
    );
    assert!(worker_headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let script = worker.text().await.unwrap();
    assert!(script.contains(&format!("const BUILD = \"{build}\";")));
    assert!(script.contains(&format!("\"{stylesheet}\"")));
    server.shutdown().await;
}
