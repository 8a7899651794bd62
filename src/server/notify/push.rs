//! Sending one push to one browser (RFC 8030): the payload encrypted to the browser's keys
//! (RFC 8291), signed with the server's VAPID key (RFC 8292), with TTL, Urgency and Topic per
//! kind; and what the push service's answer means for the subscription and the job.

use super::vapid::Vapid;
use crate::domain::notify::inbox::PushPayload;
use crate::domain::notify::NotificationKind;
use crate::server::store::PushSubscription;
use base64ct::{Base64UrlUnpadded, Encoding};
use std::time::Duration;
use web_push_native::p256::PublicKey;
use web_push_native::{Auth, WebPushBuilder};

/// What became of a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    Sent,
    /// 404/410: the browser unsubscribed or the subscription expired: forget it.
    Gone,
    /// 429/5xx or no answer: try again, after `retry_after_ms` when the service said so.
    Retry {
        error: String,
        retry_after_ms: Option<i64>,
    },
    /// Refused for good (a bad subscription, a payload too large): trying again will not help.
    Refused(String),
}

/// Checks the browser's keys as they arrive (p256dh: a P-256 point; auth: 16 bytes).
pub fn check_keys(p256dh: &str, auth: &str) -> Result<(), String> {
    decode_keys(p256dh, auth).map(drop)
}

fn decode_keys(p256dh: &str, auth: &str) -> Result<(PublicKey, Auth), String> {
    let point = Base64UrlUnpadded::decode_vec(p256dh.trim_end_matches('='))
        .map_err(|_| "The subscription's p256dh key is not base64url.".to_string())?;
    let public = PublicKey::from_sec1_bytes(&point)
        .map_err(|_| "The subscription's p256dh key is not a P-256 public key.".to_string())?;
    let secret = Base64UrlUnpadded::decode_vec(auth.trim_end_matches('='))
        .map_err(|_| "The subscription's auth secret is not base64url.".to_string())?;
    if secret.len() != 16 {
        return Err("The subscription's auth secret must be 16 bytes.".into());
    }
    Ok((public, Auth::clone_from_slice(&secret)))
}

/// The HTTP request for a push (built apart from sending, so tests can look at it).
pub fn build_request(
    vapid: &Vapid,
    subscription: &PushSubscription,
    payload: &PushPayload,
    kind: NotificationKind,
    topic: &str,
) -> Result<axum::http::Request<Vec<u8>>, String> {
    let (public, auth) = decode_keys(&subscription.p256dh, &subscription.auth)?;
    let endpoint = subscription
        .endpoint
        .parse()
        .map_err(|_| "The subscription's endpoint is not a URL.".to_string())?;
    let ttl = kind.ttl_seconds();
    // The VAPID signature may be valid for at most a day (RFC 8292 §2); the TTL may be longer.
    let signed_for = Duration::from_secs(u64::from(ttl).min(12 * 3600));
    let mut request = WebPushBuilder::new(endpoint, public, auth)
        .with_valid_duration(signed_for)
        .with_vapid(&vapid.key, &vapid.subject)
        .build(payload.to_json())
        .map_err(|e| format!("cannot encrypt the push: {e}"))?;
    let headers = request.headers_mut();
    headers.insert("TTL", axum::http::HeaderValue::from(ttl));
    headers.insert(
        "Urgency",
        axum::http::HeaderValue::from_static(kind.urgency().header_value()),
    );
    if let Ok(topic) = axum::http::HeaderValue::from_str(topic) {
        headers.insert("Topic", topic);
    }
    Ok(request)
}

/// Sends a push and says what its answer means.
pub async fn send(client: &reqwest::Client, request: axum::http::Request<Vec<u8>>) -> PushOutcome {
    let request = match reqwest::Request::try_from(request) {
        Ok(request) => request,
        Err(error) => return PushOutcome::Refused(format!("bad push request: {error}")),
    };
    let response = match client.execute(request).await {
        Ok(response) => response,
        Err(error) => {
            return PushOutcome::Retry {
                error: format!("push service unreachable: {error}"),
                retry_after_ms: None,
            }
        }
    };
    let status = response.status().as_u16();
    let retry_after_ms = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse::<i64>().ok())
        .map(|seconds| seconds.clamp(0, 86_400) * 1000);
    let text = response.text().await.unwrap_or_default();
    let said: String = text.chars().take(200).collect();
    outcome_of(status, retry_after_ms, &said)
}

/// The meaning of a push service's status (RFC 8030 §5, §6.2, §8.3).
pub fn outcome_of(status: u16, retry_after_ms: Option<i64>, said: &str) -> PushOutcome {
    match status {
        200..=299 => PushOutcome::Sent,
        404 | 410 => PushOutcome::Gone,
        429 | 500..=599 => PushOutcome::Retry {
            error: format!("push service answered {status} {said}"),
            retry_after_ms,
        },
        _ => PushOutcome::Refused(format!("push service answered {status} {said}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_mean_what_rfc_8030_says() {
        assert_eq!(outcome_of(201, None, ""), PushOutcome::Sent);
        assert_eq!(outcome_of(410, None, ""), PushOutcome::Gone);
        assert_eq!(outcome_of(404, None, ""), PushOutcome::Gone);
        assert!(matches!(
            outcome_of(429, Some(30_000), ""),
            PushOutcome::Retry {
                retry_after_ms: Some(30_000),
                ..
            }
        ));
        assert!(matches!(
            outcome_of(503, None, ""),
            PushOutcome::Retry { .. }
        ));
        assert!(matches!(outcome_of(413, None, ""), PushOutcome::Refused(_)));
    }

    #[test]
    fn bad_browser_keys_are_refused_with_a_sentence() {
        assert!(check_keys("not-base64!", "AAAAAAAAAAAAAAAAAAAAAA").is_err());
        assert!(check_keys("BAAA", "AAAAAAAAAAAAAAAAAAAAAA").is_err());
        let point = Base64UrlUnpadded::encode_string(
            &web_push_native::p256::SecretKey::from_slice(&[7u8; 32])
                .unwrap()
                .public_key()
                .to_sec1_bytes(),
        );
        assert!(check_keys(&point, "AAAAAAAAAAAAAAAAAAAAAA").is_ok());
        assert!(check_keys(&point, "AAAA").is_err());
    }
}
