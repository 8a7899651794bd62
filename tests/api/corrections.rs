//! Corrections after the fact: a teacher changes a mark on a closed session, the change is in
//! the audit trail (who, when, before, after) and reaches open dashboards live. And co-teachers:
//! a class's second teacher runs it like the first.

use crate::helpers::*;
use reqwest::StatusCode;
use rollcall::protocol::{Channel, EventBody};
use serde_json::json;

#[tokio::test]
async fn a_correction_on_a_closed_session_is_audited_and_reaches_open_dashboards() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    app.student(1)
        .await
        .ok("check_in", json!({ "code": code }))
        .await;
    teacher
        .ok("close_session", json!({ "session_id": session }))
        .await;

    // A dashboard open on the closed session, following its channel.
    let token = app.token("rivera", "teacher-demo").await;
    let mut ws = app.ws(&token).await;
    let position = teacher.position(session).await;
    ws.subscribe(Channel::Session(session), Some(position))
        .await;

    let student2 = app.user_id("student2").await;
    let mark = teacher
        .ok(
            "mark_attendance",
            json!({ "session_id": session, "student_id": student2, "status": "excused" }),
        )
        .await;
    assert_eq!(mark["status"], "excused");
    assert_eq!(mark["version"], 2, "the automatic absent was version 1");
    let event = ws.event().await;
    match event.body {
        EventBody::AttendanceChanged {
            student_id,
            status,
            previous,
            ..
        } => {
            assert_eq!(student_id, student2);
            assert_eq!(status.as_str(), "excused");
            assert_eq!(previous.map(|p| p.as_str()), Some("absent"));
        }
        other => panic!("expected the correction, got {other:?}"),
    }

    let trail = teacher
        .ok("session_changes", json!({ "session_id": session }))
        .await;
    let changes = trail["changes"].as_array().unwrap();
    let of = |name: &str| -> Vec<&serde_json::Value> {
        changes
            .iter()
            .filter(|c| c["student_name"] == name)
            .collect()
    };
    let ava = of("Ava Adams");
    assert_eq!(ava.len(), 1);
    assert_eq!(
        (ava[0]["before"].clone(), ava[0]["after"].clone()),
        (json!(null), json!("present"))
    );
    assert_eq!(ava[0]["source"], "self_check_in");
    let corrected = of(changes
        .iter()
        .find(|c| c["student_id"] == student2)
        .unwrap()["student_name"]
        .as_str()
        .unwrap());
    assert_eq!(corrected.len(), 2);
    assert_eq!(corrected[0]["after"], "absent");
    assert_eq!(
        corrected[0]["by_name"],
        json!(null),
        "closing marked them, not a person"
    );
    assert_eq!(corrected[1]["before"], "absent");
    assert_eq!(corrected[1]["after"], "excused");
    assert_eq!(corrected[1]["by_name"], "Ms. Rivera");
    assert!(corrected[1]["at_ms"].as_i64() >= corrected[0]["at_ms"].as_i64());

    // The trail is the class's business only.
    for (user, password) in [("okafor", "teacher-demo"), ("student1", "student-demo")] {
        let (status, _) = app
            .login(user, password)
            .await
            .call("session_changes", json!({ "session_id": session }))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
    }
}

#[tokio::test]
async fn nobody_is_marked_in_a_session_that_has_not_started() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let class_id = teacher.class_id("Biology 9A").await;
    let meeting = json!({
        "weekdays": ["friday"], "starts_at": "08:00", "ends_at": "08:45",
        "first_day": "2030-03-01", "last_day": "2030-03-01", "late_after_minutes": 5,
    });
    teacher
        .ok(
            "add_meeting",
            json!({ "class_id": class_id, "meeting": meeting }),
        )
        .await;
    let view = teacher
        .ok("class_sessions", json!({ "class_id": class_id }))
        .await;
    let upcoming = view["upcoming"][0]["id"].as_i64().unwrap();
    let dashboard = teacher.dashboard(upcoming).await;
    assert_eq!(dashboard["session"]["phase"], "upcoming");
    assert_eq!(
        dashboard["session"]["join_code"],
        json!(null),
        "no code before it opens"
    );
    let student1 = app.user_id("student1").await;
    let (status, body) = teacher
        .call(
            "mark_attendance",
            json!({ "session_id": upcoming, "student_id": student1, "status": "present" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.to_string().contains("not started"), "{body}");
}

#[tokio::test]
async fn a_co_teacher_runs_the_class_and_loses_it_when_removed() {
    let app = spawn_app().await;
    let rivera = app.teacher().await;
    let class_id = rivera.class_id("Biology 9A").await;
    let okafor_id = app.user_id("okafor").await;
    let okafor = app.login("okafor", "teacher-demo").await;
    let (session, _) = rivera.open_session("Biology 9A", 10).await;
    let (status, _) = okafor
        .call("session_dashboard", json!({ "session_id": session }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let db = database(&app.server.state.config.database_url).await;
    sqlx::query("INSERT INTO class_teachers (class_id, teacher_id) VALUES ($1, $2)")
        .bind(class_id)
        .bind(okafor_id)
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(okafor.class_id("Biology 9A").await, class_id);
    let dashboard = okafor.dashboard(session).await;
    assert!(dashboard["session"]["teacher_name"]
        .as_str()
        .unwrap()
        .contains("Okafor"));
    let student1 = app.user_id("student1").await;
    okafor
        .ok(
            "mark_attendance",
            json!({ "session_id": session, "student_id": student1, "status": "late" }),
        )
        .await;

    sqlx::query("DELETE FROM class_teachers WHERE teacher_id = $1 AND class_id = $2")
        .bind(okafor_id)
        .bind(class_id)
        .execute(&db)
        .await
        .unwrap();
    let (status, _) = okafor
        .call("close_session", json!({ "session_id": session }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
