//! Absence warnings as people meet them: rules set by an admin, warnings in the inbox of the
//! student, their teacher and the admins, guardian e-mail to an SMTP server started here, and
//! each crossing told once (also when two instances scan at once).

use super::notifications::notifying_app;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// Opens and closes a session of Biology 9A with nobody checked in (everyone absent).
async fn missed_session(teacher: &Client) -> i64 {
    let (session, _) = teacher.open_session("Biology 9A", 10).await;
    teacher
        .ok("close_session", json!({ "session_id": session }))
        .await;
    session
}

fn warnings(inbox: &Value) -> Vec<Value> {
    inbox["notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "absence_warning")
        .cloned()
        .collect()
}

async fn warnings_within(client: &Client, count: usize, seconds: u64) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        let found = warnings(&client.ok("inbox", json!({})).await);
        if found.len() >= count || std::time::Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn two_absences_in_a_row_warn_the_student_teacher_admin_and_guardian_once() {
    let smtp = SmtpServer::start().await;
    let app = notifying_app(Some(&smtp)).await;
    let admin = app.login("admin", "admin-demo").await;
    let teacher = app.teacher().await;
    let student = app.student(4).await;
    let student4 = app.user_id("student4").await;
    let (status, body) = admin
        .call(
            "add_absence_rule",
            json!({ "rule": "consecutive_absences", "count": 1,
              "notify_admins": true, "email_guardians": true }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    admin
        .ok(
            "add_absence_rule",
            json!({ "rule": "consecutive_absences", "count": 2,
             "notify_admins": true, "email_guardians": true }),
        )
        .await;
    let (status, _) = admin
        .call(
            "add_absence_rule",
            json!({ "rule": "consecutive_absences", "count": 2,
              "notify_admins": false, "email_guardians": false }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let rules = admin.ok("absence_rules", json!({})).await;
    assert_eq!(rules["email_ready"], true);
    assert_eq!(
        rules["rules"][0]["description"],
        "2 absences in a row in a class"
    );
    let (status, _) = teacher.call("absence_rules", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = admin
        .call(
            "set_guardians",
            json!({ "username": "student4", "emails": "nope" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    admin
        .ok(
            "set_guardians",
            json!({ "username": "student4",
             "emails": "Parent@Example.org; other@example.org" }),
        )
        .await;

    missed_session(&teacher).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(warnings(&student.ok("inbox", json!({})).await).is_empty());
    missed_session(&teacher).await;

    let mine = warnings_within(&student, 1, 10).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["title"], "Absence warning: Biology 9A");
    let message = mine[0]["body"].as_str().unwrap();
    assert!(
        message.contains("2 absences in a row in Biology 9A"),
        "{message}"
    );
    assert!(message.contains("Missed: "), "{message}");
    let theirs = warnings_within(&teacher, 12, 10).await;
    assert_eq!(theirs.len(), 12, "one per student of the class");
    assert!(theirs
        .iter()
        .any(|n| n["url"] == format!("/reports/students/{student4}")));
    assert_eq!(warnings_within(&admin, 12, 10).await.len(), 12);
    let mails = smtp.wait_for(2, 10).await;
    let to_parents: Vec<_> = mails
        .iter()
        .filter(|mail| mail.to.iter().any(|to| to.contains("example.org")))
        .collect();
    assert_eq!(to_parents.len(), 2, "{mails:?}");
    assert!(to_parents[0].data.contains("Absence warning"));
    assert!(to_parents[0].from.contains("rollcall@school.test"));

    // Scanning again tells nobody anything new.
    let class_id = teacher.class_id("Biology 9A").await;
    let state = &app.server.state;
    let again = state
        .store
        .scan_class_for_warnings(
            class_id,
            &state.config.time_zone,
            rollcall::server::now_ms(),
            true,
        )
        .await
        .unwrap();
    assert_eq!(again.crossings, 12);
    assert_eq!((again.delivered.notices, again.emails), (0, 0));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.mails().len(), mails.len());

    // Recovering (present), then two more absences: a new crossing, told again.
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    student.ok("check_in", json!({ "code": code })).await;
    teacher
        .ok("close_session", json!({ "session_id": session }))
        .await;
    missed_session(&teacher).await;
    missed_session(&teacher).await;
    assert_eq!(warnings_within(&student, 2, 10).await.len(), 2);
}

#[tokio::test]
#[ignore = "PostgreSQL only: set TEST_DATABASE_URL and pass --include-ignored"]
async fn a_scan_on_two_instances_at_once_tells_each_person_once() {
    if !on_postgres() {
        return;
    }
    let first = notifying_app(None).await;
    let second = second_instance(&first).await;
    let admin = first.login("admin", "admin-demo").await;
    let teacher = first.teacher().await;
    admin
        .ok(
            "add_absence_rule",
            json!({ "rule": "rate_below", "percent": 90,
             "min_sessions": 1, "notify_admins": false, "email_guardians": false }),
        )
        .await;
    missed_session(&teacher).await;
    let class_id = teacher.class_id("Biology 9A").await;
    let scan = |app: &TestApp| {
        let state = app.server.state.clone();
        async move {
            state
                .store
                .scan_class_for_warnings(
                    class_id,
                    &state.config.time_zone,
                    rollcall::server::now_ms(),
                    false,
                )
                .await
                .unwrap()
        }
    };
    let (a, b) = tokio::join!(scan(&first), scan(&second));
    assert_eq!(a.crossings, 12);
    assert!(a.delivered.notices + b.delivered.notices <= 24);
    // Whatever the workers and the two scans did between them: each person once.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let student = first.student(1).await;
    assert_eq!(warnings(&student.ok("inbox", json!({})).await).len(), 1);
    assert_eq!(warnings(&teacher.ok("inbox", json!({})).await).len(), 12);
}
