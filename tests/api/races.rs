//! Concurrent writers on one session: what two tabs, two teachers or two instances do at once
//! gets a clear answer, never a 500 or a deadlock. On SQLite writers queue behind one lock; on
//! PostgreSQL they run side by side, which is where these races used to bite (scripts/test runs
//! this suite on both).

use crate::helpers::*;
use futures::future::join_all;
use reqwest::StatusCode;
use rollcall::protocol::{Channel, EventBody};
use serde_json::json;
use std::collections::HashMap;

#[tokio::test]
async fn concurrent_opens_of_one_class_all_get_the_one_open_session() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let class_id = teacher.class_id("Biology 9A").await;
    for round in 0..5 {
        let answers = join_all((0..16).map(|_| {
            teacher.call(
                "open_session",
                json!({ "class_id": class_id, "late_after_minutes": 10 }),
            )
        }))
        .await;
        let ids: Vec<i64> = answers
            .iter()
            .map(|(status, body)| {
                assert_eq!(*status, StatusCode::OK, "round {round}: {body}");
                body.as_i64().unwrap()
            })
            .collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
        teacher
            .ok("close_session", json!({ "session_id": ids[0] }))
            .await;
    }
    let opened = app
        .events(Channel::School)
        .await
        .into_iter()
        .filter(|e| matches!(e.body, EventBody::SessionOpened { .. }))
        .count();
    assert_eq!(opened, 5, "one session per round");
    app.server.shutdown().await;
}

#[tokio::test]
async fn closing_while_students_check_in_and_a_double_close_give_clear_answers() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let mut students = Vec::new();
    for n in 1..=12 {
        students.push(app.student(n).await);
    }
    for round in 0..5 {
        let (session, code) = teacher.open_session("Biology 9A", 10).await;
        let closes = join_all(
            (0..2).map(|_| teacher.call("close_session", json!({ "session_id": session }))),
        );
        let check_ins = join_all(
            students
                .iter()
                .map(|s| s.call("check_in", json!({ "code": code }))),
        );
        let (closes, check_ins) = tokio::join!(closes, check_ins);
        let absent: Vec<i64> = closes
            .iter()
            .map(|(status, body)| {
                assert_eq!(*status, StatusCode::OK, "round {round}: close: {body}");
                body.as_i64().unwrap()
            })
            .collect();
        // One close did the work, the other found it done.
        assert!(absent.contains(&0), "round {round}: {absent:?}");
        let mut checked_in = 0;
        for (status, body) in &check_ins {
            match *status {
                StatusCode::OK => checked_in += 1,
                // Too late: the session closed first. A sentence, not a server error.
                StatusCode::CONFLICT => {
                    assert!(body["message"].as_str().unwrap().contains("closed"))
                }
                other => panic!("round {round}: check-in answered {other}: {body}"),
            }
        }
        // Everyone is either checked in or marked absent by the close: nobody twice, nobody lost.
        assert_eq!(checked_in + absent.iter().sum::<i64>(), 12, "round {round}");
        let dashboard = teacher.dashboard(session).await;
        assert_eq!(dashboard["counts"]["not_marked"], 0, "round {round}");
        assert_eq!(dashboard["session"]["is_open"], false);
    }
    app.server.shutdown().await;
}

#[tokio::test]
async fn concurrent_marks_and_check_ins_record_each_change_from_the_right_previous_status() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    let student = app.student(1).await;
    let student_id = app.user_id("student1").await;
    let marks = ["absent", "excused", "late", "present", "absent", "excused"];
    let teacher_marks = join_all(marks.iter().map(|status| {
        teacher.call(
            "mark_attendance",
            json!({ "session_id": session, "student_id": student_id, "status": status }),
        )
    }));
    let check_in = student.call("check_in", json!({ "code": code }));
    let (answers, (status, body)) = tokio::join!(teacher_marks, check_in);
    for (status, body) in answers {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(status, StatusCode::OK, "{body}");
    // Replaying the log in order, each change's `previous` is the status before it: the admin
    // page's running totals depend on that.
    let mut current: HashMap<i64, Option<String>> = HashMap::new();
    let mut versions = Vec::new();
    for event in app.events(Channel::Session(session)).await {
        if let EventBody::AttendanceChanged {
            student_id,
            status,
            previous,
            version,
            ..
        } = event.body
        {
            let before = current.entry(student_id).or_default();
            assert_eq!(previous.map(|p| p.as_str().to_string()), before.clone());
            *before = Some(status.as_str().to_string());
            versions.push(version);
        }
    }
    assert_eq!(versions, (1..=versions.len() as i64).collect::<Vec<_>>());
    app.server.shutdown().await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: scripts/test runs it with TEST_DATABASE_URL"]
async fn two_instances_starting_together_on_an_empty_database_both_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(&dir).await;
    let (a, b) = tokio::join!(
        spawn_on(test_config(url.clone()), tempfile::tempdir().unwrap()),
        spawn_on(test_config(url.clone()), tempfile::tempdir().unwrap()),
    );
    // The demo school was seeded exactly once, and both serve it.
    for app in [&a, &b] {
        assert_eq!(app.server.state.store.user_count().await.unwrap(), 33);
        let teacher = app.teacher().await;
        assert_eq!(
            teacher
                .ok("my_classes", json!({}))
                .await
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }
    a.server.shutdown().await;
    b.server.shutdown().await;
}
