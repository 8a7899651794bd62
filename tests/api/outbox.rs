//! The offline outbox's upload (`sync_outbox`): entries applied once in order, gaps refused,
//! presence proven by a scanned rotating code after the session closed, and teachers' offline
//! marks meeting what changed meanwhile.

use crate::helpers::*;
use reqwest::StatusCode;
use rollcall::domain::rotating_code::{code_for, window_at};
use rollcall::protocol::{Channel, EventBody};
use serde_json::{json, Value};

const DEVICE: &str = "phone-7f3a-01";

fn check_in(seq: u64, change: Value) -> Value {
    let mut change = change;
    change["kind"] = json!("check_in");
    json!({ "seq": seq, "mutation_id": format!("m-{seq}"), "captured_at_ms": 0, "change": change })
}

fn mark(seq: u64, session: i64, student: &Value, status: &str, seen: Option<i64>) -> Value {
    json!({ "seq": seq, "mutation_id": format!("m-{seq}"), "captured_at_ms": 0, "change": {
        "kind": "mark", "session_id": session, "student_id": student, "status": status,
        "seen_version": seen,
    }})
}

async fn sync(client: &Client, entries: Vec<Value>) -> Vec<Value> {
    let answer = client
        .ok(
            "sync_outbox",
            json!({ "device_id": DEVICE, "entries": entries }),
        )
        .await;
    answer
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["answer"].clone())
        .collect()
}

#[tokio::test]
async fn a_batch_sent_twice_applies_once_and_a_gap_is_refused() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    let student = app.student(1).await;
    let batch = vec![check_in(1, json!({ "code": code }))];
    let first = sync(&student, batch.clone()).await;
    assert_eq!(first[0]["outcome"], "applied", "{first:?}");
    assert_eq!(first[0]["mark"]["status"], "present");
    let again = sync(&student, batch).await;
    assert_eq!(again[0]["outcome"], "duplicate");
    let changes = app
        .events(Channel::Session(session))
        .await
        .into_iter()
        .filter(|e| matches!(e.body, EventBody::AttendanceChanged { .. }))
        .count();
    assert_eq!(changes, 1, "applied once");

    // Entry 2 never arrived: 3 and 4 are refused with the one expected, and change nothing.
    let holed = sync(
        &student,
        vec![
            check_in(3, json!({ "code": code })),
            check_in(4, json!({ "code": code })),
        ],
    )
    .await;
    assert!(
        holed
            .iter()
            .all(|a| a["outcome"] == "gap" && a["expected"] == 2),
        "{holed:?}"
    );
    // Entry 2 then goes through (already marked: the earlier check-in stands).
    let next = sync(&student, vec![check_in(2, json!({ "code": code }))]).await;
    assert_eq!(next[0]["outcome"], "applied");
    assert_eq!(next[0]["mark"]["version"], 1);

    // Input that makes no sense is refused as a whole, with a sentence.
    let (status, answer) = student
        .call("sync_outbox", json!({ "device_id": "x", "entries": [] }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("device_id"));
    // Too many entries: over the body limit (64 KB by default) or the entry limit.
    let many = vec![check_in(9, json!({ "code": code })); 1001];
    let (status, answer) = student
        .call(
            "sync_outbox",
            json!({ "device_id": DEVICE, "entries": many }),
        )
        .await;
    assert!(status.is_client_error(), "{status} {answer}");
    assert!(answer["message"].as_str().unwrap().len() > 20, "{answer}");
    let (status, _) = app
        .anonymous()
        .call("sync_outbox", json!({ "device_id": DEVICE, "entries": [] }))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_scanned_code_proves_presence_after_the_session_closed() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (session, _) = teacher.open_session("Biology 9A", 10).await;
    teacher
        .ok(
            "set_session_check_in_rules",
            json!({ "session_id": session, "rules": { "rotate_every_seconds": 15 } }),
        )
        .await;
    let code = app.server.state.store.session_code(session).await.unwrap();
    let secret = code.unwrap().rotating.unwrap().0;
    let window = window_at(rollcall::server::now_ms(), 15);
    let scanned = code_for(secret.as_bytes(), session, 15, window).to_string();
    // The classroom had no network; the session closes before anyone is back online.
    teacher
        .ok("close_session", json!({ "session_id": session }))
        .await;

    let proven = sync(
        &app.student(2).await,
        vec![check_in(
            1,
            json!({ "code": scanned, "session_id": session, "window": window }),
        )],
    )
    .await;
    assert_eq!(proven[0]["outcome"], "applied", "{proven:?}");
    assert_eq!(proven[0]["mark"]["status"], "present");
    assert_eq!(proven[0]["mark"]["source"], "self_check_in");

    let dashboard = teacher.dashboard(session).await;
    assert_eq!(
        roster_entry(&dashboard, "student2")["mark"]["status"],
        "present"
    );
    assert_eq!(
        roster_entry(&dashboard, "student3")["mark"]["status"],
        "absent"
    );

    // A fixed code typed offline proves nothing about when: after closing, the teacher decides.
    let (chemistry, fixed) = teacher.open_session("Chemistry 10B", 10).await;
    teacher
        .ok("close_session", json!({ "session_id": chemistry }))
        .await;
    let typed = sync(
        &app.student(13).await,
        vec![check_in(1, json!({ "code": fixed }))],
    )
    .await;
    assert_eq!(typed[0]["outcome"], "needs_review", "{typed:?}");
    let dashboard = teacher.dashboard(chemistry).await;
    let held = dashboard["held"].as_array().unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["reasons"], json!(["unproven"]));
    assert_eq!(
        roster_entry(&dashboard, "student13")["mark"]["status"],
        "absent"
    );

    // A link that does not check out proves nothing.
    let forged = sync(
        &app.student(4).await,
        vec![check_in(
            1,
            json!({ "code": "K7QM2X", "session_id": session, "window": window }),
        )],
    )
    .await;
    assert_eq!(forged[0]["outcome"], "refused", "{forged:?}");
}

#[tokio::test]
async fn a_teachers_offline_mark_beats_a_check_in_and_meets_another_teachers_as_a_conflict() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    let dashboard = teacher.dashboard(session).await;
    let student1 = roster_entry(&dashboard, "student1")["student_id"].clone();
    let student2 = roster_entry(&dashboard, "student2")["student_id"].clone();
    app.student(1)
        .await
        .ok("check_in", json!({ "code": code }))
        .await;
    let admin = app.login("admin", "admin-demo").await;
    admin
        .ok(
            "mark_attendance",
            json!({ "session_id": session, "student_id": student2, "status": "excused" }),
        )
        .await;

    // Offline, the teacher saw both unmarked and marked them absent.
    let answers = sync(
        &teacher,
        vec![
            mark(1, session, &student1, "absent", None),
            mark(2, session, &student2, "absent", None),
        ],
    )
    .await;
    assert_eq!(answers[0]["outcome"], "applied", "{answers:?}");
    assert_eq!(answers[0]["mark"]["status"], "absent");
    assert_eq!(answers[1]["outcome"], "conflict");
    assert_eq!(answers[1]["yours"], "absent");
    assert_eq!(answers[1]["theirs"]["status"], "excused");
    // One click: the teacher keeps theirs, having seen the other.
    let seen = answers[1]["theirs"]["version"].as_i64();
    let resolved = sync(&teacher, vec![mark(3, session, &student2, "absent", seen)]).await;
    assert_eq!(resolved[0]["outcome"], "applied");
    assert_eq!(resolved[0]["mark"]["status"], "absent");

    // A student's device cannot mark; the entry is answered and the queue moves on.
    let student = app.student(5).await;
    let answers = sync(
        &student,
        vec![
            mark(1, session, &student1, "present", None),
            check_in(2, json!({ "code": code })),
        ],
    )
    .await;
    assert_eq!(answers[0]["outcome"], "refused");
    assert_eq!(answers[1]["outcome"], "applied");
    // Another teacher's class: refused, nothing changed.
    let other = app.login("okafor", "teacher-demo").await;
    let answers = sync(&other, vec![mark(1, session, &student1, "present", None)]).await;
    assert_eq!(answers[0]["outcome"], "refused");
    let dashboard = teacher.dashboard(session).await;
    assert_eq!(
        roster_entry(&dashboard, "student1")["mark"]["status"],
        "absent"
    );
}

#[tokio::test]
async fn entries_kept_for_someone_else_are_not_applied_to_whoever_is_signed_in() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    let student = app.student(1).await;
    let me = student.ok("me", json!({})).await;
    let other = me["id"].as_i64().unwrap() + 1;
    let (status, answer) = student
        .call(
            "sync_outbox",
            json!({ "device_id": DEVICE, "entries": [check_in(1, json!({ "code": code }))],
                    "for_user": other }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert!(answer["message"]
        .as_str()
        .unwrap()
        .contains("saved on this device by someone else"));
    let marks = app
        .events(Channel::Session(session))
        .await
        .into_iter()
        .filter(|e| matches!(e.body, EventBody::AttendanceChanged { .. }))
        .count();
    assert_eq!(marks, 0, "nothing applied");
    // Kept for this student: applied.
    let answer = student
        .ok(
            "sync_outbox",
            json!({ "device_id": DEVICE, "entries": [check_in(1, json!({ "code": code }))],
                    "for_user": me["id"] }),
        )
        .await;
    assert_eq!(answer[0]["answer"]["outcome"], "applied", "{answer}");
}
