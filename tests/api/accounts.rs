//! First start without published passwords: no demo unless asked for, and the first
//! administrator created from the command line (the real binary, over a real database).

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `rollcall <args>` on `database_url` with `stdin` piped in; returns (success, output).
fn rollcall(database_url: &str, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rollcall"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the rollcall binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test]
async fn a_fresh_database_has_no_accounts_unless_the_demo_is_asked_for() {
    let app = spawn_app_with(|config| config.seed_demo = false).await;
    assert!(!app.server.seeded_demo);
    assert_eq!(app.server.state.store.user_count().await.unwrap(), 0);
    let (status, _) = app
        .anonymous()
        .call(
            "login",
            json!({ "username": "admin", "password": "admin-demo" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.anonymous().ok("site_info", json!({})).await["demo"],
        false
    );

    // Asked for: seeded on the first start only, and the pages say it is the demo.
    let demo = spawn_app().await;
    assert!(demo.server.seeded_demo);
    assert_eq!(
        demo.anonymous().ok("site_info", json!({})).await["demo"],
        true
    );
    let again = spawn_on(
        test_config(demo.server.state.config.database_url.clone()),
        tempfile::tempdir().unwrap(),
    )
    .await;
    assert!(!again.server.seeded_demo);
}

#[tokio::test]
async fn the_first_administrator_is_created_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(&dir).await;
    let create = ["admin", "create", "head", "--name", "Dr. Head"];

    let (ok, output) = rollcall(&url, &create, "short\n");
    assert!(!ok && output.contains("at least 10 characters"), "{output}");
    let (ok, output) = rollcall(&url, &create, "a long school passphrase\n");
    assert!(ok, "{output}");
    assert!(
        output.contains("Created the administrator head"),
        "{output}"
    );
    let (ok, output) = rollcall(&url, &create, "another long passphrase\n");
    assert!(
        !ok && output.contains("The username head is taken."),
        "{output}"
    );

    let mut config = test_config(url.clone());
    config.seed_demo = false;
    let app = spawn_on(config, dir).await;
    let (status, body) = app
        .anonymous()
        .call(
            "login",
            json!({ "username": "head", "password": "a long school passphrase", "bearer": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["role"], "admin");
    assert_eq!(body["user"]["display_name"], "Dr. Head");
    assert_eq!(body["user"]["must_change_password"], false);
    let token = body["token"].as_str().unwrap().to_string();

    // Locked out: a new password from the shell, and every sign-in of the account ends.
    let (ok, output) = rollcall(
        &url,
        &["admin", "reset-password", "head"],
        "a fresh passphrase\n",
    );
    assert!(ok, "{output}");
    let (status, _) = call_as(&app, &token, "me", json!({})).await;
    assert_eq!(status, StatusCode::OK); // `me` answers null when signed out
    assert_eq!(
        call_ok(&app, &token, "me", json!({})).await,
        serde_json::Value::Null
    );
    app.login("head", "a fresh passphrase").await;
    let (ok, output) = rollcall(
        &url,
        &["admin", "reset-password", "nobody"],
        "a fresh passphrase\n",
    );
    assert!(
        !ok && output.contains("There is no user nobody."),
        "{output}"
    );
}
