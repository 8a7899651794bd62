//! Check-in that proves presence: rotating codes (pushed live, checked by window), one student
//! per device, allowed networks, the review queue and the audit, as a student, a teacher and an
//! attacker would meet them over HTTP and WebSocket.

use crate::helpers::*;
use crate::reports::{get_csv, parse_csv};
use reqwest::StatusCode;
use rollcall::domain::rotating_code::{code_for, window_at};
use rollcall::protocol::{Channel, CodeShown, EventBody, ServerMessage};
use serde_json::{json, Value};

/// Turns on a rotating code (every `period` s) for the session; returns its secret.
async fn rotate(app: &TestApp, teacher: &Client, session: i64, period: u32) -> String {
    let rules = teacher
        .ok(
            "set_session_check_in_rules",
            json!({ "session_id": session, "rules": { "rotate_every_seconds": period } }),
        )
        .await;
    assert_eq!(rules["rotate_every_seconds"], period);
    let code = app.server.state.store.session_code(session).await.unwrap();
    code.unwrap().rotating.expect("rotating now").0
}

fn now_ms() -> i64 {
    rollcall::server::now_ms()
}

async fn counts(teacher: &Client, session: i64) -> Value {
    teacher.dashboard(session).await["counts"].clone()
}

/// The next `Code` frame (skipping events and answering pings), within 8 s.
pub(crate) async fn next_code(ws: &mut Ws) -> CodeShown {
    use futures::StreamExt;
    use rollcall::protocol::ClientMessage;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(8);
    loop {
        let frame = tokio::time::timeout_at(deadline, ws.stream.next())
            .await
            .expect("a code within 8 s")
            .expect("socket open")
            .expect("frame ok");
        let Message::Text(text) = frame else { continue };
        match serde_json::from_str(&text).unwrap() {
            ServerMessage::Code(shown) => return shown,
            ServerMessage::Ping { nonce, .. } => ws.send(&ClientMessage::Pong { nonce }).await,
            _ => {}
        }
    }
}

/// Waits, if need be, until at least a second of the current window is left, so a code
/// computed now is still of the same window when the server checks it.
async fn steady(period: u32) {
    let period_ms = i64::from(period) * 1000;
    let left = period_ms - now_ms().rem_euclid(period_ms);
    if left < 1_000 {
        tokio::time::sleep(std::time::Duration::from_millis(left as u64 + 20)).await;
    }
}

#[tokio::test]
async fn a_rotating_code_is_pushed_live_and_accepted_only_in_its_window_and_grace() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (session, fixed) = teacher.open_session("Biology 9A", 10).await;
    let token = app.token("rivera", "teacher-demo").await;
    let mut ws = app.ws(&token).await;
    ws.subscribe(Channel::Session(session), None).await;
    let secret = rotate(&app, &teacher, session, 5).await;

    // The rules change reaches the dashboard, and the code follows at once, then every 5 s.
    let first = next_code(&mut ws).await;
    let rotation = first.rotation.expect("a rotating code says so");
    assert_eq!(rotation.period_seconds, 5);
    assert!(rotation.changes_in_ms > 0 && rotation.changes_in_ms <= 5_000);
    assert_eq!(
        first.code,
        code_for(secret.as_bytes(), session, 5, rotation.window).to_string()
    );
    assert!(
        first.check_in_url.ends_with(&format!(
            "/checkin/{}?s={session}&w={}",
            first.code, rotation.window
        )),
        "{}",
        first.check_in_url
    );
    assert!(first.qr_svg.contains("<svg"));
    let second = next_code(&mut ws).await;
    assert_eq!(second.rotation.unwrap().window, rotation.window + 1);
    assert_ne!(second.code, first.code);
    // The snapshot shows the code of the moment too.
    let dashboard = teacher.dashboard(session).await;
    assert!(dashboard["session"]["rotation"]["window"].as_i64().unwrap() > rotation.window);

    let before = counts(&teacher, session).await;
    let student = app.student(1).await;
    let window = window_at(now_ms(), 5);
    let code = |w: i64| code_for(secret.as_bytes(), session, 5, w).to_string();
    // The session's fixed code no longer works: it rotates now.
    let (status, body) = student.call("check_in", json!({ "code": fixed })).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // Three windows back: expired, typed or scanned, with a sentence that says what to do.
    for body in [
        json!({ "code": code(window - 3) }),
        json!({ "code": code(window - 3), "session": session, "window": window - 3 }),
    ] {
        let (status, answer) = student.call("check_in", body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        assert!(
            answer["message"].as_str().unwrap().contains("expired"),
            "{answer}"
        );
    }
    // A window the server has not reached, or a link whose window and code disagree: wrong.
    for body in [
        json!({ "code": code(window + 5) }),
        json!({ "code": code(window + 5), "session": session, "window": window + 5 }),
        json!({ "code": "K7QM2X", "session": session, "window": window }),
    ] {
        let (status, answer) = student.call("check_in", body.clone()).await;
        if status == StatusCode::OK {
            panic!("accepted {body}: {answer}");
        }
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{answer}");
    }
    assert_eq!(
        counts(&teacher, session).await,
        before,
        "refusals mark nobody"
    );

    // The previous window's code, scanned: inside the grace, accepted.
    steady(5).await;
    let previous = window_at(now_ms(), 5) - 1;
    let receipt = student
        .ok(
            "check_in",
            json!({ "code": code(previous), "session": session, "window": previous }),
        )
        .await;
    assert_eq!(receipt["status"], "present");
    assert!(receipt["held"].is_null());
    // Typed, the current code works for the next student.
    steady(5).await;
    let now = window_at(now_ms(), 5);
    let receipt = app
        .student(2)
        .await
        .ok("check_in", json!({ "code": code(now).to_lowercase() }))
        .await;
    assert_eq!(receipt["status"], "present");

    // Refused attempts are in the audit with their reasons; the teacher was told of each.
    let refused = app
        .events(Channel::Session(session))
        .await
        .into_iter()
        .filter(|e| matches!(e.body, EventBody::CheckInRefused { .. }))
        .count();
    assert!(refused >= 3, "{refused}");
    let audit = teacher
        .ok("session_audit", json!({ "session_id": session }))
        .await;
    let attempts = audit["attempts"].as_array().unwrap();
    assert!(attempts.iter().any(|a| a["why"] == "expired code"));
    assert!(attempts
        .iter()
        .any(|a| a["outcome"] == "accepted" && a["code_window"] == previous));

    // Back to a fixed code: the code frames stop and the fixed code works again.
    teacher
        .ok(
            "set_session_check_in_rules",
            json!({ "session_id": session, "rules": null }),
        )
        .await;
    let receipt = app
        .student(3)
        .await
        .ok("check_in", json!({ "code": fixed }))
        .await;
    assert_eq!(receipt["status"], "present");
}

#[tokio::test]
async fn a_code_from_another_session_is_refused_with_a_clear_answer() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (biology, _) = teacher.open_session("Biology 9A", 10).await;
    let (chemistry, _) = teacher.open_session("Chemistry 10B", 10).await;
    let secret = rotate(&app, &teacher, chemistry, 15).await;
    rotate(&app, &teacher, biology, 15).await;
    let window = window_at(now_ms(), 15);
    let chemistry_code = code_for(secret.as_bytes(), chemistry, 15, window).to_string();
    // student1 is in Biology only: Chemistry's current code is not theirs to use, typed or
    // dressed up as a Biology link.
    let student = app.student(1).await;
    let before = counts(&teacher, biology).await;
    for body in [
        json!({ "code": chemistry_code }),
        json!({ "code": chemistry_code, "session": biology, "window": window }),
    ] {
        let (status, answer) = student.call("check_in", body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
        assert!(
            answer["message"].as_str().unwrap().contains("roster"),
            "{answer}"
        );
    }
    assert_eq!(counts(&teacher, biology).await, before);
}

#[tokio::test]
async fn a_second_student_on_one_device_waits_for_the_teachers_review() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    teacher
        .ok(
            "set_session_check_in_rules",
            json!({ "session_id": session, "rules": { "one_student_per_device": true } }),
        )
        .await;
    let token = app.token("rivera", "teacher-demo").await;
    let mut ws = app.ws(&token).await;
    ws.subscribe(
        Channel::Session(session),
        Some(teacher.position(session).await),
    )
    .await;

    // One phone: student1 checks in, signs out; student2 signs in on it and checks in.
    let phone = app.anonymous();
    let sign_in =
        |n: usize| json!({ "username": format!("student{n}"), "password": "student-demo" });
    phone.ok("login", sign_in(1)).await;
    let first = phone.ok("check_in", json!({ "code": code })).await;
    assert!(first["held"].is_null());
    phone.ok("logout", json!({})).await;
    phone.ok("login", sign_in(2)).await;
    let held = phone.ok("check_in", json!({ "code": code })).await;
    assert_eq!(held["held"]["reasons"], json!(["shared_device"]), "{held}");
    assert!(held["held"]["message"]
        .as_str()
        .unwrap()
        .contains("another student"));
    // A retry finds the same waiting check-in.
    let again = phone.ok("check_in", json!({ "code": code })).await;
    assert_eq!(again["held"]["attempt_id"], held["held"]["attempt_id"]);
    let attempt_id = held["held"]["attempt_id"].as_i64().unwrap();

    // The teacher sees it live and in the snapshot; nothing is marked yet.
    let event = loop {
        let event = ws.event().await;
        if matches!(event.body, EventBody::CheckInHeld { .. }) {
            break event;
        }
    };
    assert!(matches!(event.body, EventBody::CheckInHeld { attempt_id: a, .. } if a == attempt_id));
    let dashboard = teacher.dashboard(session).await;
    assert_eq!(dashboard["held"].as_array().unwrap().len(), 1);
    assert!(roster_entry(&dashboard, "student2")["mark"].is_null());

    // Accept: student2 is present; the same decision again changes nothing; the other is 409.
    let review =
        |accept: bool| json!({ "session_id": session, "attempt_id": attempt_id, "accept": accept });
    let mark = teacher.ok("review_check_in", review(true)).await;
    assert_eq!(mark["status"], "present");
    let again = teacher.ok("review_check_in", review(true)).await;
    assert_eq!(again["version"], mark["version"]);
    let (status, answer) = teacher.call("review_check_in", review(false)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    let dashboard = teacher.dashboard(session).await;
    assert!(dashboard["held"].as_array().unwrap().is_empty());
    assert_eq!(
        roster_entry(&dashboard, "student2")["mark"]["status"],
        "present"
    );

    // A third student on the phone: rejected, and stays unmarked.
    phone.ok("logout", json!({})).await;
    phone.ok("login", sign_in(3)).await;
    let third = phone.ok("check_in", json!({ "code": code })).await;
    let third_id = third["held"]["attempt_id"].as_i64().unwrap();
    let rejected = teacher
        .ok(
            "review_check_in",
            json!({ "session_id": session, "attempt_id": third_id, "accept": false }),
        )
        .await;
    assert!(rejected.is_null());
    let dashboard = teacher.dashboard(session).await;
    assert!(roster_entry(&dashboard, "student3")["mark"].is_null());

    // A held check-in settled by the student checking in from their own phone.
    phone.ok("logout", json!({})).await;
    phone.ok("login", sign_in(4)).await;
    let fourth = phone.ok("check_in", json!({ "code": code })).await;
    assert!(fourth["held"].is_object());
    let own = app
        .student(4)
        .await
        .ok("check_in", json!({ "code": code }))
        .await;
    assert!(own["held"].is_null() && own["status"] == "present", "{own}");
    assert!(teacher.dashboard(session).await["held"]
        .as_array()
        .unwrap()
        .is_empty());

    // The audit has every attempt with its device; both phones differ; the CSV agrees.
    let audit = teacher
        .ok("session_audit", json!({ "session_id": session }))
        .await;
    let attempts = audit["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 5, "{attempts:?}");
    let device = |i: usize| attempts[i]["device_id"].as_str().unwrap().to_string();
    assert!((1..4).all(|i| device(i) == device(0)));
    assert_ne!(device(4), device(0));
    assert_eq!(attempts[1]["review"], "accepted");
    assert_eq!(attempts[1]["reviewed_by"], "Ms. Rivera");
    assert_eq!(attempts[2]["review"], "rejected");
    assert_eq!(attempts[3]["review"], "superseded");
    assert!(attempts[0]["ip"].as_str().unwrap().contains("127.0.0.1"));
    let (status, text, _) = get_csv(
        &teacher,
        "/api/reports/check-ins.csv",
        &[("session", session.to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let rows = parse_csv(&text);
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[1][3], "held");
    assert_eq!(rows[1][11], "accepted");
}

#[tokio::test]
async fn check_ins_from_outside_the_network_are_held_or_refused_as_configured() {
    // Behind a proxy at 127.0.0.1 that says who the client is.
    let app = spawn_app_with(|config| {
        config.trusted_proxies = rollcall::server::client_ip::IpRanges::parse("127.0.0.1").unwrap();
    })
    .await;
    let teacher = app.teacher().await;
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    let rules = |network: &str| {
        json!({ "session_id": session, "rules": {
            "network": network, "networks": ["10.20.0.0/16", " 192.0.2.7 "],
        }})
    };
    let saved = teacher
        .ok("set_session_check_in_rules", rules("review"))
        .await;
    assert_eq!(saved["networks"], json!(["10.20.0.0/16", "192.0.2.7"]));
    let from = |ip: &str| {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", ip.parse().unwrap());
        headers
    };
    let check_in = |n: usize, ip: &'static str| {
        let app = &app;
        let code = code.clone();
        async move {
            let student = app.student(n).await;
            let response = student
                .http
                .post(format!("{}/api/check_in", student.base))
                .headers(from(ip))
                .json(&json!({ "code": code }))
                .send()
                .await
                .unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    // Inside: accepted. Outside: held, with the reason.
    let (status, inside) = check_in(1, "10.20.3.4").await;
    assert_eq!(
        (status, inside["status"].clone()),
        (StatusCode::OK, json!("present"))
    );
    assert!(inside["held"].is_null(), "{inside}");
    let (_, outside) = check_in(2, "203.0.113.9").await;
    assert_eq!(
        outside["held"]["reasons"],
        json!(["outside_network"]),
        "{outside}"
    );

    // Refuse: a 403 that says what to do, and no mark.
    teacher
        .ok("set_session_check_in_rules", rules("refuse"))
        .await;
    let (status, refused) = check_in(3, "203.0.113.9").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("Wi-Fi"),
        "{refused}"
    );
    let dashboard = teacher.dashboard(session).await;
    assert!(roster_entry(&dashboard, "student3")["mark"].is_null());
    let (status, _) = check_in(4, "192.0.2.7").await;
    assert_eq!(status, StatusCode::OK);

    // Rules a person could get wrong get a sentence and change nothing.
    for (bad, says) in [
        (
            json!({ "network": "review", "networks": ["banana"] }),
            "banana",
        ),
        (
            json!({ "network": "review", "networks": [] }),
            "ROLLCALL_CHECK_IN_NETWORKS",
        ),
        (json!({ "rotate_every_seconds": 2 }), "5 to 300"),
    ] {
        let (status, answer) = teacher
            .call(
                "set_session_check_in_rules",
                json!({ "session_id": session, "rules": bad }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(says),
            "{answer}"
        );
    }
    let dashboard = teacher.dashboard(session).await;
    assert_eq!(dashboard["session"]["rules"]["network"], "refuse");
}

#[tokio::test]
async fn class_rules_apply_to_its_sessions_and_polling_carries_the_code() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let biology = teacher.class_id("Biology 9A").await;
    let saved = teacher
        .ok(
            "set_class_check_in_rules",
            json!({ "class_id": biology, "rules": { "rotate_every_seconds": 20 } }),
        )
        .await;
    assert_eq!(saved["rotate_every_seconds"], 20);
    let read = teacher
        .ok("class_check_in_rules", json!({ "class_id": biology }))
        .await;
    assert_eq!(read, saved);
    let (session, _) = teacher.open_session("Biology 9A", 10).await;
    let dashboard = teacher.dashboard(session).await;
    assert_eq!(dashboard["session"]["rules"]["rotate_every_seconds"], 20);
    let shown = dashboard["session"]["join_code"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(dashboard["session"]["check_in_url"]
        .as_str()
        .unwrap()
        .contains(&format!("?s={session}&w=")));

    // The polling fallback gives the code of the moment with the events.
    let token = app.token("rivera", "teacher-demo").await;
    let polled: Value = reqwest::Client::new()
        .get(format!("{}/api/updates", app.base))
        .query(&[("channel", format!("session:{session}"))])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(polled["code"]["rotation"]["period_seconds"], 20, "{polled}");
    assert!(polled["code"]["code"].is_string());

    let receipt = app
        .student(1)
        .await
        .ok("check_in", json!({ "code": shown }))
        .await;
    assert_eq!(receipt["status"], "present");

    // Changing the class's rules reaches its open session at once.
    teacher
        .ok(
            "set_class_check_in_rules",
            json!({ "class_id": biology, "rules": {} }),
        )
        .await;
    let events = app.events(Channel::Session(session)).await;
    assert!(matches!(
        events.last().unwrap().body,
        EventBody::CheckInRulesChanged { ref rules, .. } if rules.rotate_every_seconds.is_none()
    ));
}
