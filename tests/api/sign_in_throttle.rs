//! Sign-in throttling under real load: a whole school behind one address gets in; guessing one
//! account's password, or spraying guesses from one address, is slowed down.

use crate::helpers::*;
use futures::StreamExt;
use reqwest::StatusCode;
use rollcall::server::client_ip::TrustedProxies;
use rollcall::server::config::Config;
use serde_json::{json, Value};
use std::time::Duration;

/// The production sign-in limits, with the test server's own address as a trusted proxy so a
/// test can speak for many client addresses through `X-Forwarded-For`.
fn production_limits_behind_a_proxy(config: &mut Config) {
    let defaults = Config::defaults(config.addr);
    config.login_free_failures = defaults.login_free_failures;
    config.login_max_backoff_seconds = defaults.login_max_backoff_seconds;
    config.login_failures_per_address_per_minute = defaults.login_failures_per_address_per_minute;
    config.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
}

/// A sign-in from `forwarded_for` (through the trusted proxy) or from the test's own address.
async fn sign_in(
    app: &TestApp,
    username: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> (StatusCode, Option<u64>, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/api/login", app.base))
        .json(&json!({ "username": username, "password": password }));
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (status, retry_after, response.json().await.unwrap())
}

/// A cheap argon2id hash (8 KiB, one pass): verification reads the cost from the hash, so these
/// accounts test the throttle, not the CPU.
fn cheap_hash(password: &str) -> String {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let params = argon2::Params::new(8, 1, 1, None).unwrap();
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn six_hundred_students_signing_in_from_one_address_all_get_in() {
    let app = spawn_app_with(production_limits_behind_a_proxy).await;
    let store = &app.server.state.store;
    let hash = cheap_hash("rush-password");
    for n in 1..=600 {
        let name = rollcall::domain::Username::parse(&format!("rush{n}")).unwrap();
        store
            .create_user(
                &name,
                &format!("Rush {n}"),
                rollcall::domain::Role::Student,
                &hash,
                0,
            )
            .await
            .unwrap();
    }
    let statuses: Vec<StatusCode> = futures::stream::iter(1..=600)
        .map(|n| {
            let app = &app;
            async move {
                sign_in(app, &format!("rush{n}"), "rush-password", None)
                    .await
                    .0
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let refused = statuses.iter().filter(|s| **s != StatusCode::OK).count();
    assert_eq!(refused, 0, "{:?}", &statuses[..20]);
}

#[tokio::test]
async fn guessing_one_accounts_password_is_slowed_down_from_any_address() {
    let app = spawn_app_with(production_limits_behind_a_proxy).await;
    let mut statuses = Vec::new();
    let mut last_refusal = None;
    for i in 0..20 {
        let address = format!("203.0.113.{i}");
        let (status, retry_after, body) = sign_in(&app, "rivera", "guess", Some(&address)).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            last_refusal = Some((retry_after, body));
        }
        statuses.push(status);
    }
    // The free failures are answered as wrong passwords; then the account must wait.
    assert!(
        statuses[..6].iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(checked <= 8, "{checked} guesses checked: {statuses:?}");
    assert_eq!(statuses[19], StatusCode::TOO_MANY_REQUESTS);
    let (retry_after, body) = last_refusal.unwrap();
    assert!(retry_after.is_some_and(|s| s >= 1), "{retry_after:?}");
    assert_eq!(body["kind"], "too_many_requests");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Too many failed sign-in attempts for this account"),
        "{body}"
    );

    // Even the right password waits out the back-off (it is not checked)…
    let (status, retry_after, _) =
        sign_in(&app, "rivera", "teacher-demo", Some("198.51.100.1")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Someone else at the same address is not held up.
    let (status, _, _) = sign_in(&app, "student1", "student-demo", Some("203.0.113.19")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = sign_in(&app, "okafor", "teacher-demo", None).await;
    assert_eq!(status, StatusCode::OK);

    // … and then gets in.
    tokio::time::sleep(Duration::from_millis(retry_after.unwrap() * 1000 + 100)).await;
    let (status, _, body) = sign_in(&app, "rivera", "teacher-demo", Some("198.51.100.1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A success forgets the failures: the next mistake is just a wrong password.
    let (status, _, _) = sign_in(&app, "rivera", "guess", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn one_address_spraying_guesses_over_many_accounts_is_slowed_down() {
    let app = spawn_app_with(|config| {
        production_limits_behind_a_proxy(config);
        config.login_failures_per_address_per_minute = 3;
    })
    .await;
    // Unknown usernames count like real ones (nothing tells them apart).
    for name in ["rivera", "nobody", "student2"] {
        let (status, _, _) = sign_in(&app, name, "guess", Some("198.51.100.7")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, retry_after, body) =
        sign_in(&app, "student3", "student-demo", Some("198.51.100.7")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after.is_some_and(|s| s >= 1));
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("from your network"),
        "{body}"
    );
    let (status, _, _) = sign_in(&app, "student3", "student-demo", Some("198.51.100.8")).await;
    assert_eq!(status, StatusCode::OK);

    // IPv6 clients are counted by their /64: a new address in it is no way around the limit.
    for n in 1..=3 {
        let address = format!("2001:db8:5:6::{n}");
        let (status, _, _) = sign_in(&app, "ghost", "guess", Some(&address)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, _) = sign_in(&app, "student4", "guess", Some("2001:db8:5:6::99")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}
