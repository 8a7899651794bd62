//! Requests from other sites: forged posts riding on the session cookie are refused and change
//! nothing; the sign-in works as a plain form; the token reaches only clients that ask for it.

use crate::helpers::*;
use reqwest::header::{CONTENT_TYPE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::{redirect, StatusCode};
use serde_json::{json, Value};

/// POSTs `body` to `/api/<function>` with the teacher's cookie and the given headers.
async fn forged(
    teacher: &Client,
    function: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> (StatusCode, Value) {
    let mut request = teacher
        .http
        .post(format!("{}/api/{function}", teacher.base))
        .body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn cookie_posts_from_other_sites_or_in_other_formats_are_refused() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (session, _) = teacher.open_session("Biology 9A", 10).await;
    let before = teacher.dashboard(session).await;
    let student_id = roster_entry(&before, "student1")["student_id"].clone();
    let mark = json!({ "session_id": session, "student_id": student_id, "status": "excused" });
    let close = json!({ "session_id": session });
    // Another port of the same host is the same *site* but another origin.
    let sibling = app.base.replace("127.0.0.1:", "127.0.0.1:1");
    let json = ("content-type", "application/json");

    type Attempt<'a> = (&'a str, Vec<(&'a str, &'a str)>, StatusCode);
    let attempts: Vec<Attempt> = vec![
        // The `no-cors` fetch of the review: text/plain, from the site's own origin even.
        (
            "text/plain",
            vec![("content-type", "text/plain")],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "a form post",
            vec![("content-type", "application/x-www-form-urlencoded")],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "a foreign Origin",
            vec![json, ("origin", "http://evil.example")],
            StatusCode::FORBIDDEN,
        ),
        (
            "a sibling origin",
            vec![json, ("origin", sibling.as_str())],
            StatusCode::FORBIDDEN,
        ),
        (
            "Sec-Fetch-Site: same-site",
            vec![json, ("sec-fetch-site", "same-site")],
            StatusCode::FORBIDDEN,
        ),
    ];
    for (what, headers, want) in &attempts {
        for (function, body) in [("mark_attendance", &mark), ("close_session", &close)] {
            let (status, answer) = forged(&teacher, function, headers, body).await;
            assert_eq!(status, *want, "{function} with {what}: {answer}");
            assert!(
                answer["message"].as_str().is_some_and(|m| m.len() > 20),
                "{answer}"
            );
        }
    }
    // A cookie with no word of its origin (the helper client adds Origin; a bare one does not).
    let bare = reqwest::Client::new()
        .post(format!("{}/api/close_session", app.base))
        .header(
            "cookie",
            format!(
                "rollcall_session={}",
                app.token("rivera", "teacher-demo").await
            ),
        )
        .json(&close)
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), StatusCode::FORBIDDEN);

    // Nothing changed: the session is open and the student still unmarked.
    let after = teacher.dashboard(session).await;
    assert_eq!(after["session"]["is_open"], true, "{after}");
    assert_eq!(
        roster_entry(&after, "student1")["mark"],
        Value::Null,
        "{after}"
    );
    assert_eq!(before["position"], after["position"]);
    // The same requests from the site's own page work.
    teacher.ok("mark_attendance", mark).await;
}

#[tokio::test]
async fn sign_in_cannot_be_forged_from_another_site() {
    let app = spawn_app().await;
    let http = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    // The review's text/plain form, shaped to be valid JSON.
    let text_plain = http
        .post(format!("{}/api/login", app.base))
        .header(ORIGIN, "http://evil.example")
        .header(CONTENT_TYPE, "text/plain")
        .body(r#"{"username":"student2","password":"student-demo","pad":"="}"#)
        .send()
        .await
        .unwrap();
    let form = http
        .post(format!("{}/login", app.base))
        .header(ORIGIN, "http://evil.example")
        .form(&[("username", "student2"), ("password", "student-demo")])
        .send()
        .await
        .unwrap();
    for refused in [text_plain, form] {
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert!(refused.headers().get(SET_COOKIE).is_none());
    }
}

#[tokio::test]
async fn the_plain_form_signs_in_and_redirects_only_within_the_site() {
    let app = spawn_app().await;
    let http = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let post = |fields: Vec<(&'static str, &'static str)>| {
        http.post(format!("{}/login", app.base))
            .header(ORIGIN, app.base.as_str())
            .form(&fields)
            .send()
    };
    let signed_in = post(vec![
        ("username", "rivera"),
        ("password", "teacher-demo"),
        ("next", "/teacher/sessions/3?x=1"),
    ])
    .await
    .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()[LOCATION], "/teacher/sessions/3?x=1");
    let cookie = signed_in.headers()[SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.starts_with("rollcall_session=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let me = http
        .post(format!("{}/api/me", app.base))
        .header(ORIGIN, app.base.as_str())
        .header("cookie", session)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(me.json::<Value>().await.unwrap()["username"], "rivera");

    for next in [
        "/\\evil.example",
        "/\t/evil.example",
        "//evil.example",
        "https://evil.example",
    ] {
        let response = http
            .post(format!("{}/login", app.base))
            .header(ORIGIN, app.base.as_str())
            .form(&[
                ("username", "rivera"),
                ("password", "teacher-demo"),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()[LOCATION], "/teacher", "{next:?}");
    }

    let failed = post(vec![
        ("username", "rivera"),
        ("password", "not-the-password"),
        ("next", "/teacher"),
    ])
    .await
    .unwrap();
    assert_eq!(failed.status(), StatusCode::SEE_OTHER);
    let location = failed.headers()[LOCATION].to_str().unwrap();
    assert_eq!(location, "/login?error=unauthenticated&next=%2Fteacher");
    assert!(failed.headers().get(SET_COOKIE).is_none());
}

#[tokio::test]
async fn the_token_is_in_the_answer_only_when_asked_for() {
    let app = spawn_app().await;
    let anon = app.anonymous();
    let browser = anon
        .ok(
            "login",
            json!({ "username": "rivera", "password": "teacher-demo" }),
        )
        .await;
    assert_eq!(browser.get("token"), None, "{browser}");
    let script = anon
        .ok(
            "login",
            json!({ "username": "rivera", "password": "teacher-demo", "bearer": true }),
        )
        .await;
    assert_eq!(script["token"].as_str().map(str::len), Some(64), "{script}");
}

#[tokio::test]
async fn over_https_the_cookie_is_host_prefixed_and_the_plain_name_ignored() {
    let app = spawn_app_with(|config| {
        config.public_url = "https://rollcall.test".into();
        config.secure_cookies = true;
    })
    .await;
    let response = reqwest::Client::new()
        .post(format!("{}/api/login", app.base))
        .json(&json!({ "username": "rivera", "password": "teacher-demo" }))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("__Host-rollcall_session=")
            && cookie.contains("; Path=/;")
            && cookie.contains("Secure"),
        "{cookie}"
    );
    let token = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    let me = |cookie: String| {
        reqwest::Client::new()
            .post(format!("{}/api/me", app.base))
            .header(ORIGIN, "https://rollcall.test")
            .header("cookie", cookie)
            .json(&json!({}))
            .send()
    };
    let signed_in = me(format!("__Host-rollcall_session={token}"))
        .await
        .unwrap();
    assert_eq!(
        signed_in.json::<Value>().await.unwrap()["username"],
        "rivera"
    );
    let planted = me(format!("rollcall_session={token}")).await.unwrap();
    assert_eq!(planted.json::<Value>().await.unwrap(), Value::Null);
}
