//! Ending a sign-in ends its live connections: signing out, expiry, a password change or an
//! administrator's reset close the WebSocket with 4001 and a reason, and polling answers 401.
//! One user's sockets are capped (the oldest closes with 4009).

use crate::helpers::*;
use reqwest::StatusCode;
use rollcall::protocol::{close_code, Channel};
use serde_json::json;

#[tokio::test]
async fn signing_out_closes_that_sign_ins_sockets_with_4001() {
    let app = spawn_app().await;
    let rivera = app.user_id("rivera").await;
    let leaving = app.token("rivera", "teacher-demo").await;
    let staying = app.token("rivera", "teacher-demo").await;
    let mut leaving_ws = app.ws(&leaving).await;
    let mut staying_ws = app.ws(&staying).await;
    leaving_ws.still_open(rivera).await;

    let (status, _) = call_as(&app, &leaving, "logout", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        leaving_ws.closed_with_reason().await,
        (close_code::UNAUTHENTICATED, "signed out".to_string())
    );
    assert_eq!(
        poll_status(&app, &leaving, Channel::User(rivera)).await,
        StatusCode::UNAUTHORIZED
    );
    // The same person's other sign-in is untouched.
    staying_ws.still_open(rivera).await;
    assert_eq!(
        poll_status(&app, &staying, Channel::User(rivera)).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_expired_sign_in_closes_its_socket() {
    let app = spawn_app().await;
    let rivera = app.user_id("rivera").await;
    let token = "e".repeat(64);
    let now = rollcall::server::now_ms();
    app.server
        .state
        .store
        .create_auth_session(
            &rollcall::server::crypto::token_hash(&token),
            rivera,
            now,
            now + 1500,
        )
        .await
        .unwrap();
    let mut ws = app.ws(&token).await;
    ws.still_open(rivera).await;
    assert_eq!(
        ws.closed_with_reason().await,
        (close_code::UNAUTHENTICATED, "sign-in expired".to_string())
    );
    assert_eq!(
        poll_status(&app, &token, Channel::User(rivera)).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_password_change_ends_the_other_sign_ins_when_asked() {
    let app = spawn_app().await;
    let rivera = app.user_id("rivera").await;
    let here = app.token("rivera", "teacher-demo").await;
    let elsewhere = app.token("rivera", "teacher-demo").await;
    let mut here_ws = app.ws(&here).await;
    let mut elsewhere_ws = app.ws(&elsewhere).await;

    // Refusals first: nothing changes.
    let change = |current: &str, new: &str, others: bool| json!({ "current_password": current, "new_password": new, "sign_out_others": others });
    let (status, body) = call_as(
        &app,
        &here,
        "change_password",
        change("guess", "blue kite garden", true),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["message"], "Your current password is not right.");
    let (status, body) = call_as(
        &app,
        &here,
        "change_password",
        change("teacher-demo", "short", true),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("at least 10"),
        "{body}"
    );

    // Without signing out the others, everything stays open.
    call_ok(
        &app,
        &here,
        "change_password",
        change("teacher-demo", "blue kite garden", false),
    )
    .await;
    elsewhere_ws.still_open(rivera).await;
    // Asked to: the other sign-in's socket closes and its polling is refused.
    call_ok(
        &app,
        &here,
        "change_password",
        change("blue kite garden", "green owl meadow", true),
    )
    .await;
    assert_eq!(
        elsewhere_ws.closed_with_reason().await,
        (close_code::UNAUTHENTICATED, "password changed".to_string())
    );
    assert_eq!(
        poll_status(&app, &elsewhere, Channel::User(rivera)).await,
        StatusCode::UNAUTHORIZED
    );
    here_ws.still_open(rivera).await;
    assert_eq!(
        poll_status(&app, &here, Channel::User(rivera)).await,
        StatusCode::OK
    );
    // The old password no longer signs in; the new one does.
    let (status, _) = app
        .anonymous()
        .call(
            "login",
            json!({ "username": "rivera", "password": "teacher-demo" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.login("rivera", "green owl meadow").await;
}

#[tokio::test]
async fn an_admin_reset_ends_every_sign_in_and_forces_a_new_password() {
    let app = spawn_app().await;
    let rivera = app.user_id("rivera").await;
    let admin = app.token("admin", "admin-demo").await;
    let old = app.token("rivera", "teacher-demo").await;
    let mut old_ws = app.ws(&old).await;

    // Only admins reset, only existing users, only with an acceptable password.
    let reset =
        |username: &str, password: &str| json!({ "username": username, "new_password": password });
    let (status, _) = call_as(
        &app,
        &old,
        "reset_password",
        reset("student1", "temporary pass 1"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = call_as(
        &app,
        &admin,
        "reset_password",
        reset("nobody", "temporary pass 1"),
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (StatusCode::NOT_FOUND, Some("There is no user nobody."))
    );
    let (status, _) = call_as(
        &app,
        &admin,
        "reset_password",
        reset("rivera", "admin-demo"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    call_ok(
        &app,
        &admin,
        "reset_password",
        reset("rivera", "temporary pass 1"),
    )
    .await;
    assert_eq!(
        old_ws.closed_with_reason().await,
        (close_code::UNAUTHENTICATED, "password changed".to_string())
    );
    let (status, _) = call_as(&app, &old, "my_classes", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Signing in works, but only to choose a new password.
    let (status, body) = app
        .anonymous()
        .call(
            "login",
            json!({ "username": "rivera", "password": "temporary pass 1", "bearer": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user"]["must_change_password"], true);
    assert_eq!(body["home"], "/account/password");
    let token = body["token"].as_str().unwrap().to_string();
    let (status, body) = call_as(&app, &token, "my_classes", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Choose a new password"),
        "{body}"
    );
    assert_eq!(
        poll_status(&app, &token, Channel::User(rivera)).await,
        StatusCode::FORBIDDEN
    );
    let upgrade = tokio_tungstenite::connect_async(app.ws_request(Some(&token))).await;
    assert!(
        matches!(upgrade, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 403),
        "{upgrade:?}"
    );
    assert_eq!(
        call_ok(&app, &token, "me", json!({})).await["must_change_password"],
        true
    );

    let change = json!({
        "current_password": "temporary pass 1",
        "new_password": "my own secret phrase",
        "sign_out_others": false
    });
    call_ok(&app, &token, "change_password", change).await;
    assert_eq!(
        call_ok(&app, &token, "me", json!({})).await["must_change_password"],
        false
    );
    call_ok(&app, &token, "my_classes", json!({})).await;
    app.ws(&token).await.still_open(rivera).await;
}

#[tokio::test]
async fn past_the_per_user_cap_the_oldest_socket_is_replaced() {
    let app = spawn_app_with(|config| config.ws_per_user = 2).await;
    let rivera = app.user_id("rivera").await;
    let token = app.token("rivera", "teacher-demo").await;
    let mut first = app.ws(&token).await;
    let mut second = app.ws(&token).await;
    // Another user's sockets do not count.
    let admin = app.token("admin", "admin-demo").await;
    let _admin_ws = (app.ws(&admin).await, app.ws(&admin).await);
    first.still_open(rivera).await;
    let mut third = app.ws(&token).await;
    assert_eq!(
        first.closed_with_reason().await,
        (
            close_code::REPLACED,
            "replaced by a newer connection".to_string()
        )
    );
    second.still_open(rivera).await;
    third.still_open(rivera).await;
    assert_eq!(app.server.state.connections.count_for_user(rivera), 2);
}

#[tokio::test]
#[ignore = "needs PostgreSQL: scripts/test runs it with TEST_DATABASE_URL"]
async fn signing_out_on_one_instance_closes_sockets_on_another() {
    assert!(
        std::env::var("TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres")),
        "set TEST_DATABASE_URL to a PostgreSQL server"
    );
    let a = spawn_app().await;
    let config = test_config(a.server.state.config.database_url.clone());
    let b = spawn_on(config, tempfile::tempdir().unwrap()).await;
    let rivera = a.user_id("rivera").await;
    let token = a.token("rivera", "teacher-demo").await;
    let other = a.token("rivera", "teacher-demo").await;
    let mut on_b = b.ws(&token).await;
    let mut other_on_b = b.ws(&other).await;
    on_b.still_open(rivera).await;
    let (status, _) = call_as(&a, &token, "logout", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        on_b.closed_with_reason().await,
        (close_code::UNAUTHENTICATED, "signed out".to_string())
    );
    // A password change on B reaches A's sockets the same way.
    let mut other_on_a = a.ws(&other).await;
    let admin = b.token("admin", "admin-demo").await;
    let reset = json!({ "username": "rivera", "new_password": "temporary pass 1" });
    call_ok(&b, &admin, "reset_password", reset).await;
    assert_eq!(other_on_a.closed_with().await, close_code::UNAUTHENTICATED);
    assert_eq!(other_on_b.closed_with().await, close_code::UNAUTHENTICATED);
}
