use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn pages_health_and_not_found() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let health = http
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    let login = http
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let html = login.text().await.unwrap();
    assert!(
        html.contains("Sign in") && html.contains("/pkg/rollcall"),
        "{html}"
    );

    let missing = http
        .get(format!("{}/no/such/page", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.text().await.unwrap().contains("Page not found"));
}

#[tokio::test]
async fn sign_in_cookie_bearer_and_sign_out() {
    let app = spawn_app().await;
    let anon = app.anonymous();

    for (username, password) in [("rivera", "wrong"), ("nobody", "teacher-demo")] {
        let (status, body) = anon
            .call(
                "login",
                json!({ "username": username, "password": password }),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["message"], "Wrong username or password.");
    }
    let (status, body) = anon
        .call("login", json!({ "username": "", "password": "x" }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["kind"], "bad_request");

    // Browser form: an HttpOnly, SameSite cookie.
    let response = anon
        .http
        .post(format!("{}/api/login", app.base))
        .json(&json!({ "username": "RIVERA ", "password": "teacher-demo" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("rollcall_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["user"]["role"], "teacher");
    assert_eq!(body["home"], "/teacher");
    assert_eq!(anon.ok("me", json!({})).await["username"], "rivera");
    // Page scripts never see the token unless the client asks for it.
    assert_eq!(body.get("token"), None, "{body}");

    // Bearer form, for non-browser clients.
    let token = &app.token("rivera", "teacher-demo").await;
    let http = reqwest::Client::new();
    let me = http
        .post(format!("{}/api/me", app.base))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.json::<serde_json::Value>().await.unwrap()["display_name"],
        "Ms. Rivera"
    );
    let classes = http
        .post(format!("{}/api/my_classes", app.base))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(classes.status(), StatusCode::OK);

    // Signing out ends the session, by cookie or by bearer token.
    anon.ok("logout", json!({})).await;
    assert_eq!(anon.ok("me", json!({})).await, serde_json::Value::Null);
    let logout = http
        .post(format!("{}/api/logout", app.base))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::OK);
    let after = http
        .post(format!("{}/api/my_classes", app.base))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sign_in_and_join_code_attempts_are_rate_limited() {
    let app = spawn_app_with(|config| {
        config.login_failures_per_address_per_minute = 3;
        config.check_in_attempts_per_minute = 2;
    })
    .await;
    let anon = app.anonymous();
    for _ in 0..3 {
        let (status, _) = anon
            .call(
                "login",
                json!({ "username": "rivera", "password": "guess" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = anon
        .call(
            "login",
            json!({ "username": "rivera", "password": "teacher-demo" }),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Too many failed sign-in attempts from your network"),
        "{body}"
    );

    // Join-code guesses are limited per student (log in through the store's own path: this
    // address has used up its failed sign-ins, so use a bearer session made directly).
    let store = &app.server.state.store;
    let student = rollcall::domain::Username::parse("student1").unwrap();
    let id = store.credentials(&student).await.unwrap().unwrap().id;
    let token = "t".repeat(64);
    store
        .create_auth_session(
            &rollcall::server::crypto::token_hash(&token),
            id,
            0,
            i64::MAX,
        )
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = http
            .post(format!("{}/api/check_in", app.base))
            .bearer_auth(&token)
            .json(&json!({ "code": "ZZZZZZ" }))
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::NOT_FOUND,
            StatusCode::NOT_FOUND,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}
