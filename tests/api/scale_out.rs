//! Several instances on one PostgreSQL: events committed on one reach sockets on the others
//! (LISTEN/NOTIFY), and a client can resume on a different instance than it left.
//! Ignored by default; scripts/test runs it on PostgreSQL with `--include-ignored`.

use crate::helpers::*;
use rollcall::protocol::{Channel, EventBody, StreamPosition};
use serde_json::json;

#[tokio::test]
#[ignore = "needs PostgreSQL: scripts/test runs it with TEST_DATABASE_URL"]
async fn a_check_in_on_one_instance_reaches_a_socket_on_another_and_resume_crosses_instances() {
    assert!(
        on_postgres(),
        "set TEST_DATABASE_URL to a PostgreSQL server"
    );
    let a = spawn_app().await;
    let b = second_instance(&a).await;
    assert_ne!(a.server.addr, b.server.addr);

    let teacher_on_a = a.teacher().await;
    let (session, code) = teacher_on_a.open_session("Biology 9A", 10).await;
    let channel = Channel::Session(session);
    let token = a.token("rivera", "teacher-demo").await; // sessions are shared too

    // Watch on B, check in on A.
    let mut on_b = b.ws(&token).await;
    let start = teacher_on_a.position(session).await;
    on_b.subscribe(channel, Some(start.clone())).await;
    a.student(1)
        .await
        .ok("check_in", json!({ "code": code }))
        .await;
    let event = on_b.event().await;
    assert_eq!(event.seq, start.seq + 1);
    assert!(
        matches!(event.body, EventBody::AttendanceChanged { ref student_name, .. } if student_name == "Ava Adams")
    );

    // Leave B; two check-ins happen on B; come back on A and resume.
    drop(on_b);
    for n in 2..=3 {
        b.student(n)
            .await
            .ok("check_in", json!({ "code": code }))
            .await;
    }
    let mut on_a = a.ws(&token).await;
    let since = StreamPosition {
        epoch: start.epoch.clone(),
        seq: event.seq,
    };
    let (_, recovered, replayed) = on_a.subscribe(channel, Some(since)).await;
    assert!(recovered);
    assert_eq!(replayed, 2);
    assert_eq!(on_a.event().await.seq, event.seq + 1);
    assert_eq!(on_a.event().await.seq, event.seq + 2);
    // And live again, from the other instance.
    b.student(4)
        .await
        .ok("check_in", json!({ "code": code }))
        .await;
    assert_eq!(on_a.event().await.seq, event.seq + 3);

    // Cut every instance's LISTEN connection: they reconnect and catch up from the log.
    let admin_url = std::env::var("TEST_DATABASE_URL").unwrap();
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url)
        .await
        .unwrap();
    let cut: Vec<(bool,)> = sqlx::query_as(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%'",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(!cut.is_empty(), "no LISTEN connection found");
    b.student(5)
        .await
        .ok("check_in", json!({ "code": code }))
        .await;
    assert_eq!(on_a.event().await.seq, event.seq + 4);
}

#[tokio::test]
#[ignore = "needs PostgreSQL: scripts/test runs it with TEST_DATABASE_URL"]
async fn two_instances_open_and_close_a_scheduled_session_exactly_once() {
    use std::time::Duration;

    assert!(
        on_postgres(),
        "set TEST_DATABASE_URL to a PostgreSQL server"
    );
    let fast = |c: &mut rollcall::server::config::Config| {
        crate::timetable::berlin_fast_scheduler(c);
        c.check_in_opens_minutes = 0;
    };
    let a = spawn_app_with(fast).await;
    let mut config = test_config(a.server.state.config.database_url.clone());
    fast(&mut config);
    let b = spawn_on(config, tempfile::tempdir().unwrap()).await;

    let teacher = b.teacher().await;
    let class_id = teacher.class_id("Biology 9A").await;
    let (meeting, start, _) =
        meeting_soon(&a, Duration::from_secs(1), Duration::from_secs(3), 5).await;
    teacher
        .ok(
            "add_meeting",
            json!({ "class_id": class_id, "meeting": meeting }),
        )
        .await;
    let session = crate::timetable::listed_sessions(&teacher, class_id)
        .await
        .into_iter()
        .find(|s| s["starts_at_ms"] == start)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let closed = wait_for_dashboard(&teacher, session, Duration::from_secs(10), "closing", |d| {
        d["session"]["phase"] == "closed"
    })
    .await;
    let students = closed["roster"].as_array().unwrap().len();
    assert!(students > 0);

    // Give a second scheduler pass on either instance time to (wrongly) act again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = a.events(Channel::Session(session)).await;
    let count = |kind: fn(&EventBody) -> bool| log.iter().filter(|e| kind(&e.body)).count();
    assert_eq!(count(|b| matches!(b, EventBody::SessionOpened { .. })), 1);
    assert_eq!(count(|b| matches!(b, EventBody::SessionClosed { .. })), 1);
    assert_eq!(
        count(|b| matches!(b, EventBody::AttendanceChanged { .. })),
        students,
        "each student marked absent once"
    );
    let db = database(&a.server.state.config.database_url).await;
    let (marks, max_version, changes): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), MAX(version), \
         (SELECT COUNT(*) FROM attendance_changes WHERE session_id = $1) \
         FROM attendance WHERE session_id = $1",
    )
    .bind(session)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(
        (marks, max_version, changes),
        (students as i64, 1, students as i64)
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL: scripts/test runs it with TEST_DATABASE_URL"]
async fn a_rotating_code_shown_by_one_instance_is_accepted_by_another() {
    assert!(
        on_postgres(),
        "set TEST_DATABASE_URL to a PostgreSQL server"
    );
    let a = spawn_app().await;
    let b = second_instance(&a).await;
    let teacher = a.teacher().await;
    let (session, _) = teacher.open_session("Biology 9A", 10).await;
    teacher
        .ok(
            "set_session_check_in_rules",
            json!({ "session_id": session, "rules": { "rotate_every_seconds": 30 } }),
        )
        .await;
    // The teacher's screen on A receives the code; a student on B scans it (its QR link).
    let token = a.token("rivera", "teacher-demo").await;
    let mut on_a = a.ws(&token).await;
    on_a.subscribe(Channel::Session(session), None).await;
    let shown = crate::presence::next_code(&mut on_a).await;
    let window = shown.rotation.unwrap().window;
    let receipt = b
        .student(1)
        .await
        .ok(
            "check_in",
            json!({ "code": shown.code, "session": session, "window": window }),
        )
        .await;
    assert_eq!(receipt["status"], "present");
    assert!(receipt["held"].is_null());
    // And typed on B without the link.
    let receipt = b
        .student(2)
        .await
        .ok("check_in", json!({ "code": shown.code }))
        .await;
    assert_eq!(receipt["status"], "present");
}
