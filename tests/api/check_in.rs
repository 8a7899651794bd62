use crate::helpers::*;
use reqwest::StatusCode;
use rollcall::protocol::{Channel, EventBody};
use serde_json::json;

#[tokio::test]
async fn student_checks_in_and_teacher_sees_it_with_one_event() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    let dashboard = teacher.dashboard(session).await;
    assert_eq!(dashboard["counts"]["not_marked"], 12);
    assert!(dashboard["session"]["qr_svg"]
        .as_str()
        .unwrap()
        .contains("<svg"));
    assert_eq!(
        dashboard["session"]["check_in_url"],
        format!("http://rollcall.test/checkin/{code}")
    );

    let student = app.student(1).await;
    // Typed the way people type: lower case, with a space.
    let typed = format!("{} {}", &code[..3], &code[3..]).to_lowercase();
    let receipt = student.ok("check_in", json!({ "code": typed })).await;
    assert_eq!(receipt["status"], "present");
    assert_eq!(receipt["already_marked"], false);
    assert_eq!(receipt["class_name"], "Biology 9A");

    // Twice is idempotent: the same answer, no second record or event.
    let again = student.ok("check_in", json!({ "code": code })).await;
    assert_eq!(again["already_marked"], true);
    assert_eq!(again["marked_at_ms"], receipt["marked_at_ms"]);

    let dashboard = teacher.dashboard(session).await;
    let entry = roster_entry(&dashboard, "student1");
    assert_eq!(entry["mark"]["status"], "present");
    assert_eq!(entry["mark"]["source"], "self_check_in");
    assert_eq!(dashboard["counts"]["present"], 1);
    assert_eq!(dashboard["counts"]["not_marked"], 11);

    let events = app.events(Channel::Session(session)).await;
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
    assert!(matches!(events[0].body, EventBody::SessionOpened { .. }));
    match &events[1].body {
        EventBody::AttendanceChanged {
            student_name,
            status,
            device,
            ..
        } => {
            assert_eq!(student_name, "Ava Adams");
            assert_eq!(status.as_str(), "present");
            assert!(device.as_deref().unwrap_or("").contains("127.0.0.1"));
        }
        other => panic!("unexpected {other:?}"),
    }

    let history = student.ok("my_attendance", json!({})).await;
    assert_eq!(history[0]["class_name"], "Biology 9A");
    assert_eq!(history[0]["status"], "present");
}

#[tokio::test]
async fn late_after_threshold_teacher_override_and_close() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    // A zero-minute threshold makes any check-in after the start late.
    let (session, code) = teacher.open_session("Biology 9A", 0).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let s2 = app.student(2).await;
    assert_eq!(
        s2.ok("check_in", json!({ "code": code })).await["status"],
        "late"
    );

    // The teacher overrides the self check-in; the student's next check-in keeps it.
    let student2_id =
        roster_entry(&teacher.dashboard(session).await, "student2")["student_id"].clone();
    let mark = teacher
        .ok(
            "mark_attendance",
            json!({ "session_id": session, "student_id": student2_id, "status": "excused" }),
        )
        .await;
    assert_eq!(mark["source"], "teacher");
    assert_eq!(mark["version"], 2);
    let receipt = s2.ok("check_in", json!({ "code": code })).await;
    assert_eq!(receipt["status"], "excused");
    assert_eq!(receipt["already_marked"], true);

    // Marking the same status again is a no-op.
    let same = teacher
        .ok(
            "mark_attendance",
            json!({ "session_id": session, "student_id": student2_id, "status": "excused" }),
        )
        .await;
    assert_eq!(same["version"], 2);

    // Closing marks the 11 unmarked absent, once.
    assert_eq!(
        teacher
            .ok("close_session", json!({ "session_id": session }))
            .await,
        11
    );
    assert_eq!(
        teacher
            .ok("close_session", json!({ "session_id": session }))
            .await,
        0
    );
    let dashboard = teacher.dashboard(session).await;
    assert_eq!(dashboard["session"]["is_open"], false);
    assert_eq!(dashboard["counts"]["absent"], 11);
    assert_eq!(dashboard["counts"]["excused"], 1);
    assert_eq!(dashboard["counts"]["not_marked"], 0);
    assert_eq!(
        roster_entry(&dashboard, "student5")["mark"]["source"],
        "automatic"
    );

    // After closing, check-in is refused with a reason and nothing changes.
    let s3 = app.student(3).await;
    let (status, body) = s3.call("check_in", json!({ "code": code })).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body["message"].as_str().unwrap().contains("closed"),
        "{body}"
    );
    assert_eq!(
        teacher.dashboard(session).await["counts"],
        dashboard["counts"]
    );

    // opened + late + override + 11 absent + closed + the refused late check-in, gap-free.
    let events = app.events(Channel::Session(session)).await;
    assert_eq!(events.len(), 16);
    assert!(events
        .iter()
        .enumerate()
        .all(|(i, e)| e.seq == i as i64 + 1));
    assert!(matches!(
        events[14].body,
        EventBody::SessionClosed {
            marked_absent: 11,
            ..
        }
    ));
    assert!(matches!(
        events[15].body,
        EventBody::CheckInRefused {
            reason: rollcall::domain::CheckInRefusal::SessionClosed,
            ..
        }
    ));

    // The class can be opened again with a new session.
    let (next, _) = teacher.open_session("Biology 9A", 10).await;
    assert_ne!(next, session);
}

#[tokio::test]
async fn refused_check_ins_explain_why_and_change_nothing() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    let before = teacher.dashboard(session).await;
    let unused = if code == "ABCDEF" { "ABCDEG" } else { "ABCDEF" };

    // student30 is in History 9C, not Biology 9A.
    let outsider = app.student(30).await;
    let (status, body) = outsider.call("check_in", json!({ "code": code })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("not on the roster"),
        "{body}"
    );

    let student = app.student(1).await;
    let (status, body) = student.call("check_in", json!({ "code": unused })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("No open session has that code"));

    let (status, body) = student.call("check_in", json!({ "code": "12" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("6 letters"),
        "{body}"
    );

    // The attendance is untouched; the teacher is told about the two refused attempts.
    let after = teacher.dashboard(session).await;
    assert_eq!(after["roster"], before["roster"]);
    assert_eq!(after["counts"], before["counts"]);
    let events = app.events(Channel::Session(session)).await;
    let refusals: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::CheckInRefused {
                student_name,
                reason,
                ..
            } => Some((student_name.as_str(), *reason)),
            _ => None,
        })
        .collect();
    use rollcall::domain::CheckInRefusal::*;
    assert_eq!(
        refusals,
        [("Dina Fischer", NotOnRoster), ("Ava Adams", WrongCode)]
    );
    assert_eq!(events.len(), 3);
}

#[tokio::test]
async fn concurrent_check_ins_all_land_with_gap_free_offsets() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    let mut students = Vec::new();
    for n in 1..=12 {
        students.push(app.student(n).await);
    }
    let attempts = students.iter().flat_map(|s| {
        let code = code.clone();
        // Each student taps twice at once.
        [0, 1].map(move |_| {
            let code = code.clone();
            async move { s.call("check_in", json!({ "code": code })).await }
        })
    });
    for (status, body) in futures::future::join_all(attempts).await {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let dashboard = teacher.dashboard(session).await;
    assert_eq!(dashboard["counts"]["present"], 12);
    let events = app.events(Channel::Session(session)).await;
    assert_eq!(events.len(), 13);
    assert!(events
        .iter()
        .enumerate()
        .all(|(i, e)| e.seq == i as i64 + 1));
}

/// The dashboard snapshot carries its own history and the log position it reflects, so a
/// dashboard follows from there: with a replay limit of 2 and more refusals than that, a
/// subscribe from the snapshot still recovers, where one from the start of the log could not
/// (the reload loop: recovered:false → reload → subscribe from 0 → recovered:false → …).
#[tokio::test]
async fn a_snapshot_carries_its_history_and_resumes_past_the_replay_limit() {
    let app = spawn_app_with(|c| c.max_replay = 2).await;
    let teacher = app.teacher().await;
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    let student = app.student(1).await;
    for _ in 0..4 {
        student.call("check_in", json!({ "code": "ZZZZZZ" })).await;
    }
    student.ok("check_in", json!({ "code": code })).await;
    let dashboard = teacher.dashboard(session).await;
    let recent = dashboard["recent"].as_array().unwrap();
    let types: Vec<&str> = recent
        .iter()
        .map(|e| e["body"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "session_opened",
            "check_in_refused",
            "check_in_refused",
            "check_in_refused",
            "check_in_refused",
            "attendance_changed"
        ]
    );
    let position: rollcall::protocol::StreamPosition =
        serde_json::from_value(dashboard["position"].clone()).unwrap();
    assert_eq!(recent.last().unwrap()["seq"], position.seq);

    let token = app.token("rivera", "teacher-demo").await;
    let mut ws = app.ws(&token).await;
    let channel = Channel::Session(session);
    let (_, recovered, replayed) = ws.subscribe(channel, Some(position.clone())).await;
    assert!(recovered, "following from the snapshot recovers");
    assert_eq!(replayed, 0);
    // From the start of the log it cannot: that is what used to loop.
    let from_start = rollcall::protocol::StreamPosition {
        epoch: position.epoch,
        seq: 0,
    };
    let (_, recovered, _) = ws.subscribe(channel, Some(from_start)).await;
    assert!(!recovered);
    app.server.shutdown().await;
}

/// The plain check-in form (before the WebAssembly): answered with the page itself, one round
/// trip for a phone on a slow link, with a script that shows the answer's own address.
#[tokio::test]
async fn the_check_in_form_is_answered_with_the_page_itself() {
    let app = spawn_app().await;
    let (_, code) = app.teacher().await.open_session("Biology 9A", 10).await;
    let student = app.student(2).await;
    let post = |code: String| {
        student
            .http
            .post(format!("{}/checkin", app.base))
            .form(&[("code", code)])
            .send()
    };

    let answer = post(code.to_lowercase()).await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK, "no redirect to follow");
    let policy = answer.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let page = answer.text().await.unwrap();
    assert!(page.contains("checked in: present"), "{page}");
    let script = r#"history.replaceState(null,"","/checkin?done=present");"#;
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap();
    assert!(
        page.contains(&format!(r#"<script nonce="{nonce}">{script}</script>"#)),
        "the address script runs under the page's policy: {page}"
    );
    // A retry marks nothing twice and says so.
    let again = post(code.clone()).await.unwrap().text().await.unwrap();
    assert!(again.contains("already checked in"), "{again}");

    // A refusal: its status, its sentence, the typed code kept in the form and the address.
    let refused = post("ZZZZ99".into()).await.unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let page = refused.text().await.unwrap();
    assert!(page.contains("No open session has that code"), "{page}");
    assert!(page.contains(r#""/checkin/ZZZZ99?error="#), "{page}");
    assert!(page.contains(r#"value="ZZZZ99""#), "{page}");

    // Signed out: to sign-in, and back to this code after.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/checkin", app.base))
        .header("origin", app.base.as_str())
        .form(&[("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        anonymous.headers()["location"],
        format!("/login?next=%2Fcheckin%2F{code}").as_str()
    );
    // A page asked for plainly carries no address script.
    let plain = student.http.get(format!("{}/checkin", app.base)).send();
    assert!(!plain
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("replaceState"));
}
