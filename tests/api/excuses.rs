//! Absence excuses over HTTP: a student sends one, the class's teacher approves it and the
//! session's mark becomes excused (live, audited); one approved ahead marks the session when it
//! opens; retries add nothing; "mark all present" leaves excused, teacher and check-in marks
//! alone; bad input is refused with a sentence and nothing written.

use crate::helpers::*;
use reqwest::StatusCode;
use rollcall::protocol::{Channel, EventBody};
use rollcall::server::now_ms;
use serde_json::{json, Value};

fn today(app: &TestApp) -> String {
    app.server.state.config.time_zone.date_label(now_ms())
}

fn excuse(student: Option<&str>, classes: &[i64], first: &str, last: &str, reason: &str) -> Value {
    json!({ "excuse": {
        "student": student, "class_ids": classes,
        "first_day": first, "last_day": last, "reason": reason,
    }})
}

#[tokio::test]
async fn an_approved_excuse_marks_a_past_absence_excused_live_and_only_once() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let biology = teacher.class_id("Biology 9A").await;
    let (session, _) = teacher.open_session("Biology 9A", 10).await;
    teacher
        .ok("close_session", json!({ "session_id": session }))
        .await;
    assert_eq!(
        roster_entry(&teacher.dashboard(session).await, "student1")["mark"]["status"],
        "absent"
    );

    let student = app.student(1).await;
    let day = today(&app);
    let body = excuse(None, &[biology], &day, &day, "Dentist appointment");
    let sent = student.ok("submit_excuse", body.clone()).await;
    let id = sent[0]["id"].as_i64().unwrap();
    assert_eq!(sent[0]["state"], "pending");
    // A retry (the answer was lost) finds the first, it does not add a second.
    let again = student.ok("submit_excuse", body).await;
    assert_eq!(again[0]["id"], id);
    let mine = student.ok("list_excuses", json!({})).await;
    assert_eq!(mine["excuses"].as_array().unwrap().len(), 1);
    assert_eq!(mine["can_decide"], false);

    // A dashboard open on the closed session sees the change arrive.
    let token = app.token("rivera", "teacher-demo").await;
    let mut ws = app.ws(&token).await;
    ws.subscribe(
        Channel::Session(session),
        Some(teacher.position(session).await),
    )
    .await;
    let pending = teacher
        .ok("list_excuses", json!({ "state": "pending" }))
        .await;
    assert_eq!(pending["excuses"][0]["reason"], "Dentist appointment");
    let decided = teacher
        .ok(
            "decide_excuse",
            json!({ "excuse_id": id, "decision": "approve" }),
        )
        .await;
    assert_eq!(decided["state"], "approved");
    assert_eq!(decided["sessions_excused"], 1);
    match ws.event().await.body {
        EventBody::AttendanceChanged {
            status, previous, ..
        } => {
            assert_eq!(status.as_str(), "excused");
            assert_eq!(previous.map(|p| p.as_str()), Some("absent"));
        }
        other => panic!("expected the excused mark, got {other:?}"),
    }
    let dashboard = teacher.dashboard(session).await;
    let mark = &roster_entry(&dashboard, "student1")["mark"];
    assert_eq!(mark["status"], "excused");
    assert_eq!(mark["version"], 2);

    // The same decision again changes nothing; the other way is refused.
    let again = teacher
        .ok(
            "decide_excuse",
            json!({ "excuse_id": id, "decision": "approve" }),
        )
        .await;
    assert_eq!(again["state"], "approved");
    let (status, answer) = teacher
        .call(
            "decide_excuse",
            json!({ "excuse_id": id, "decision": "decline" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(
        roster_entry(&teacher.dashboard(session).await, "student1")["mark"]["version"],
        2
    );
    // The trail says who excused them.
    let trail = teacher
        .ok("session_changes", json!({ "session_id": session }))
        .await;
    let last = trail["changes"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|c| c["student_name"] == "Ava Adams")
        .unwrap()
        .clone();
    assert_eq!(last["after"], "excused");
    assert!(
        last["by_name"].as_str().unwrap().contains("Rivera"),
        "{last}"
    );
    // Withdrawing a decided excuse is refused.
    let (status, _) = student
        .call("withdraw_excuse", json!({ "excuse_id": id }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn an_excuse_approved_ahead_marks_the_session_when_it_opens_and_check_in_keeps_it() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let student = app.student(2).await;
    let day = today(&app);
    // For all of student2's classes (Biology 9A): approved before any session exists.
    let sent = student
        .ok(
            "submit_excuse",
            excuse(None, &[], &day, &day, "Family funeral"),
        )
        .await;
    assert_eq!(sent.as_array().unwrap().len(), 1);
    let id = sent[0]["id"].as_i64().unwrap();
    let decided = teacher
        .ok(
            "decide_excuse",
            json!({ "excuse_id": id, "decision": "approve" }),
        )
        .await;
    assert_eq!(decided["sessions_excused"], 0);

    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    let dashboard = teacher.dashboard(session).await;
    assert_eq!(
        roster_entry(&dashboard, "student2")["mark"]["status"],
        "excused"
    );
    assert_eq!(dashboard["counts"]["excused"], 1);
    // Checking in anyway answers with the excused mark, it does not overwrite it.
    let receipt = student.ok("check_in", json!({ "code": code })).await;
    assert_eq!(receipt["status"], "excused", "{receipt}");
    let absent = teacher
        .ok("close_session", json!({ "session_id": session }))
        .await;
    assert_eq!(
        absent, 11,
        "everyone else unmarked is absent; student2 stays excused"
    );
    assert_eq!(
        roster_entry(&teacher.dashboard(session).await, "student2")["mark"]["status"],
        "excused"
    );
}

#[tokio::test]
async fn mark_all_present_leaves_excused_teacher_and_check_in_marks_alone() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let day = today(&app);
    let id = app
        .student(2)
        .await
        .ok(
            "submit_excuse",
            excuse(None, &[], &day, &day, "Sick with flu"),
        )
        .await[0]["id"]
        .as_i64()
        .unwrap();
    teacher
        .ok(
            "decide_excuse",
            json!({ "excuse_id": id, "decision": "approve" }),
        )
        .await;
    let (session, code) = teacher.open_session("Biology 9A", 0).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    app.student(1)
        .await
        .ok("check_in", json!({ "code": code }))
        .await; // late: the threshold is 0
    let student3 = app.user_id("student3").await;
    teacher
        .ok(
            "mark_attendance",
            json!({ "session_id": session, "student_id": student3, "status": "absent" }),
        )
        .await;
    let changed = teacher
        .ok("mark_all_present", json!({ "session_id": session }))
        .await;
    assert_eq!(
        changed, 9,
        "12 students: one late, one excused, one marked absent"
    );
    let dashboard = teacher.dashboard(session).await;
    let status = |name: &str| roster_entry(&dashboard, name)["mark"]["status"].clone();
    assert_eq!(status("student1"), "late");
    assert_eq!(status("student2"), "excused");
    assert_eq!(status("student3"), "absent");
    assert_eq!(status("student4"), "present");
    // Pressing it again changes nobody.
    let again = teacher
        .ok("mark_all_present", json!({ "session_id": session }))
        .await;
    assert_eq!(again, 0);
}

#[tokio::test]
async fn bad_excuses_are_refused_with_a_reason_and_nothing_is_stored() {
    let app = spawn_app().await;
    let student = app.student(1).await;
    let teacher = app.teacher().await;
    let other_teacher = app.login("okafor", "teacher-demo").await;
    let day = today(&app);
    let history = other_teacher.class_id("History 9C").await;
    let cases: Vec<(&Client, Value, StatusCode)> = vec![
        (
            &student,
            excuse(None, &[], &day, &day, "x"),
            StatusCode::BAD_REQUEST,
        ),
        (
            &student,
            excuse(None, &[], "2026-13-01", &day, "Sick today"),
            StatusCode::BAD_REQUEST,
        ),
        (
            &student,
            excuse(None, &[], "2026-09-10", "2026-09-01", "Sick today"),
            StatusCode::BAD_REQUEST,
        ),
        (
            &student,
            excuse(None, &[], "2026-01-01", "2026-12-31", "A long trip"),
            StatusCode::BAD_REQUEST,
        ),
        // Someone else's absence, or a class they are not in.
        (
            &student,
            excuse(Some("student5"), &[], &day, &day, "Sick today"),
            StatusCode::FORBIDDEN,
        ),
        (
            &student,
            excuse(None, &[history], &day, &day, "Sick today"),
            StatusCode::NOT_FOUND,
        ),
        // Staff must say whom; a teacher only for their own classes.
        (
            &teacher,
            excuse(None, &[], &day, &day, "Sick today"),
            StatusCode::BAD_REQUEST,
        ),
        (
            &teacher,
            excuse(Some("nobody"), &[], &day, &day, "Sick today"),
            StatusCode::NOT_FOUND,
        ),
        (
            &other_teacher,
            excuse(Some("student1"), &[], &day, &day, "Sick today"),
            StatusCode::FORBIDDEN,
        ),
    ];
    for (client, body, want) in cases {
        let (status, answer) = client.call("submit_excuse", body.clone()).await;
        assert_eq!(status, want, "{body}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().ends_with('.'),
            "{answer}"
        );
    }
    let all = app
        .login("admin", "admin-demo")
        .await
        .ok("list_excuses", json!({}))
        .await;
    assert_eq!(
        all["excuses"].as_array().unwrap().len(),
        0,
        "nothing was stored"
    );

    // A teacher may send one for their student; it waits for a decision like any other.
    let sent = teacher
        .ok(
            "submit_excuse",
            excuse(Some("student1"), &[], &day, &day, "Called in sick"),
        )
        .await;
    assert_eq!(sent[0]["submitted_by_name"], "Ms. Rivera");
    assert_eq!(sent[0]["state"], "pending");
    // The other teacher does not see it, and cannot decide it.
    let theirs = other_teacher.ok("list_excuses", json!({})).await;
    assert_eq!(theirs["excuses"].as_array().unwrap().len(), 0);
    let (status, _) = other_teacher
        .call(
            "decide_excuse",
            json!({ "excuse_id": sent[0]["id"], "decision": "approve" }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The student withdraws it; twice is fine.
    for _ in 0..2 {
        student
            .ok("withdraw_excuse", json!({ "excuse_id": sent[0]["id"] }))
            .await;
    }
}
