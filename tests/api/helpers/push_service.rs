//! A push service in the test process, playing the browser's side too: it hands out
//! subscriptions (its own endpoint with fresh P-256 keys and auth secret), and for every push
//! it checks the VAPID signature (ES256, audience, expiry, the server's public key), the TTL
//! and the encoding, then decrypts the payload with the subscription's keys. It can answer
//! 410 (gone) or 429 (slow down) on request.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64ct::{Base64UrlUnpadded, Encoding};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use web_push_native::jwt_simple::prelude::*;
use web_push_native::p256::SecretKey;
use web_push_native::Auth;

/// One push as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub subscription: String,
    pub payload: serde_json::Value,
    pub ttl: u64,
    pub urgency: Option<String>,
    pub topic: Option<String>,
    #[allow(dead_code)] // for the benchmark-style checks that time delivery
    pub at: Instant,
}

#[derive(Default)]
struct Inner {
    keys: HashMap<String, (SecretKey, Auth)>,
    received: Vec<Received>,
    gone: HashSet<String>,
    /// 429s still to answer, each with Retry-After: 1.
    throttle: u32,
    /// Refusals (bad VAPID, bad TTL, undecryptable), with why.
    refused: Vec<String>,
    /// The VAPID public key pushes must be signed with.
    expect_key: Option<String>,
}

#[derive(Clone)]
pub struct PushService {
    pub base: String,
    inner: Arc<Mutex<Inner>>,
}

/// A subscription as `pushManager.subscribe()` gives it.
pub struct TestSubscription {
    pub id: String,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

impl PushService {
    pub async fn start() -> PushService {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = axum::Router::new()
            .route("/push/{id}", post(receive))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        PushService { base, inner }
    }

    /// Pushes must carry this VAPID public key (the server's).
    pub fn expect_key(&self, key: &str) {
        self.inner.lock().unwrap().expect_key = Some(key.to_string());
    }

    pub fn subscribe(&self) -> TestSubscription {
        let id = rollcall::server::crypto::random_token(8);
        let secret = SecretKey::from_slice(&rollcall::server::crypto::random_bytes::<32>())
            .expect("32 random bytes make a P-256 key");
        let auth_bytes = rollcall::server::crypto::random_bytes::<16>();
        let p256dh = Base64UrlUnpadded::encode_string(&secret.public_key().to_sec1_bytes());
        let auth = Base64UrlUnpadded::encode_string(&auth_bytes);
        self.inner
            .lock()
            .unwrap()
            .keys
            .insert(id.clone(), (secret, Auth::clone_from_slice(&auth_bytes)));
        TestSubscription {
            endpoint: format!("{}/push/{id}", self.base),
            id,
            p256dh,
            auth,
        }
    }

    pub fn expire(&self, id: &str) {
        self.inner.lock().unwrap().gone.insert(id.to_string());
    }

    pub fn throttle(&self, times: u32) {
        self.inner.lock().unwrap().throttle = times;
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    pub fn refused(&self) -> Vec<String> {
        self.inner.lock().unwrap().refused.clone()
    }

    /// Waits up to `seconds` for at least `count` pushes.
    pub async fn wait_for(&self, count: usize, seconds: u64) -> Vec<Received> {
        let deadline = Instant::now() + std::time::Duration::from_secs(seconds);
        loop {
            let received = self.received();
            if received.len() >= count || Instant::now() > deadline {
                return received;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> (StatusCode, HeaderMap) {
    let mut inner = inner.lock().unwrap();
    let mut answer = HeaderMap::new();
    if inner.gone.contains(&id) || !inner.keys.contains_key(&id) {
        return (StatusCode::GONE, answer);
    }
    if inner.throttle > 0 {
        inner.throttle -= 1;
        answer.insert("retry-after", "1".parse().unwrap());
        return (StatusCode::TOO_MANY_REQUESTS, answer);
    }
    let checked = check(&inner, &id, &headers, &body);
    match checked {
        Ok(received) => {
            inner.received.push(received);
            (StatusCode::CREATED, answer)
        }
        Err(why) => {
            inner.refused.push(why);
            (StatusCode::BAD_REQUEST, answer)
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn check(inner: &Inner, id: &str, headers: &HeaderMap, body: &[u8]) -> Result<Received, String> {
    // VAPID (RFC 8292): "vapid t=<JWT>, k=<public key>".
    let authorization = header(headers, "authorization").ok_or("no Authorization")?;
    let rest = authorization
        .strip_prefix("vapid ")
        .ok_or("not a vapid Authorization")?;
    let mut token = None;
    let mut key = None;
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => token = Some(value),
            Some(("k", value)) => key = Some(value),
            _ => {}
        }
    }
    let (token, key) = (token.ok_or("no t=")?, key.ok_or("no k=")?);
    if inner.expect_key.as_deref() != Some(key) {
        return Err(format!("signed with another key {key}"));
    }
    let public = ES256PublicKey::from_bytes(
        &Base64UrlUnpadded::decode_vec(key).map_err(|_| "k is not base64url")?,
    )
    .map_err(|e| format!("k is not a P-256 key: {e}"))?;
    let options = VerificationOptions {
        allowed_audiences: Some(HashSet::from(["http://127.0.0.1".to_string()])),
        ..Default::default()
    };
    let claims = public
        .verify_token::<NoCustomClaims>(token, Some(options))
        .map_err(|e| format!("bad VAPID JWT: {e}"))?;
    let subject = claims.subject.unwrap_or_default();
    if !(subject.starts_with("mailto:") || subject.starts_with("https:")) {
        return Err(format!("bad VAPID subject {subject:?}"));
    }
    let expires = claims.expires_at.ok_or("no exp")?.as_secs();
    let now = Clock::now_since_epoch().as_secs();
    if expires > now + 24 * 3600 {
        return Err("exp more than 24 h ahead".into());
    }
    let ttl: u64 = header(headers, "ttl")
        .and_then(|v| v.parse().ok())
        .ok_or("no TTL")?;
    if header(headers, "content-encoding") != Some("aes128gcm") {
        return Err("not aes128gcm".into());
    }
    let (secret, auth) = inner.keys.get(id).ok_or("unknown subscription")?;
    let plain = web_push_native::decrypt(body.to_vec(), secret, auth)
        .map_err(|e| format!("cannot decrypt: {e}"))?;
    let payload = serde_json::from_slice(&plain).map_err(|e| format!("not JSON: {e}"))?;
    Ok(Received {
        subscription: id.to_string(),
        payload,
        ttl,
        urgency: header(headers, "urgency").map(str::to_string),
        topic: header(headers, "topic").map(str::to_string),
        at: Instant::now(),
    })
}
