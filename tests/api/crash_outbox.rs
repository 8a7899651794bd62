//! Crash safety of the offline outbox: the server binary is killed with SIGKILL while it works
//! through one device's batch of 1,000 entries (a teacher's marks made offline), started again
//! on the same database, and the whole batch is sent again: every entry is applied exactly once,
//! the ones applied before the kill answer "duplicate", and the device's position is the last.

use crate::crash_safety::{school, School, ServerProcess, STUDENTS};
use crate::helpers::*;
use serde_json::{json, Value};
use std::time::Duration;

const DEVICE: &str = "teacher-laptop-1";

/// The teacher's offline batch from `device`: one mark of `status` for every student of the
/// school's session, in order.
pub(crate) fn teacher_batch(school: &School, device: &str, status: &str) -> Value {
    let entries: Vec<Value> = school
        .students
        .iter()
        .zip(1u64..)
        .map(|((student, _), seq)| {
            json!({ "seq": seq, "mutation_id": format!("mark-{seq}"), "captured_at_ms": 0,
                    "change": { "kind": "mark", "session_id": school.session_id,
                                "student_id": student, "status": status, "seen_version": null } })
        })
        .collect();
    json!({ "device_id": device, "entries": entries })
}

/// Sends a batch to `sync_outbox` as `token`; a batch of 1,000 takes a while on a debug build.
pub(crate) async fn upload_batch(
    base: String,
    token: String,
    body: Value,
) -> reqwest::Result<reqwest::Response> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?
        .post(format!("{base}/api/sync_outbox"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
}

#[tokio::test]
async fn killed_mid_batch_every_entry_is_applied_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(&dir).await;
    let school = school(&url).await;
    let log = |n: &str| std::fs::File::create(dir.path().join(n)).unwrap();
    let body = teacher_batch(&school, DEVICE, "present");
    let send = |base: String| upload_batch(base, school.teacher_token.clone(), body.clone());
    let db = database(&url).await;
    let position = || async {
        sqlx::query_scalar::<_, i64>("SELECT last_seq FROM outbox_devices WHERE device_id = $1")
            .bind(DEVICE)
            .fetch_optional(&db)
            .await
            .unwrap()
            .unwrap_or(0)
    };

    // Cut the batch off part of the way through.
    let mut server = ServerProcess::start(&url, log("first.log"));
    let upload = tokio::spawn(send(server.base()));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while position().await < 100 {
        assert!(tokio::time::Instant::now() < deadline, "the batch stalled");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    assert!(
        upload.await.unwrap().is_err(),
        "the batch was answered before the kill"
    );
    let applied_before = position().await;
    assert!(
        (100..STUDENTS as i64).contains(&applied_before),
        "{applied_before}"
    );
    println!("killed after {applied_before} of {STUDENTS} entries");

    // Same database, the same batch again.
    let server = ServerProcess::start(&url, log("second.log"));
    let answers: Vec<Value> = send(server.base()).await.unwrap().json().await.unwrap();
    assert_eq!(answers.len(), STUDENTS);
    let outcome = |i: usize| {
        answers[i]["answer"]["outcome"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let duplicates = (0..STUDENTS).filter(|&i| outcome(i) == "duplicate").count();
    assert_eq!(duplicates as i64, applied_before);
    assert!((0..STUDENTS).all(|i| outcome(i)
        == if (i as i64) < applied_before {
            "duplicate"
        } else {
            "applied"
        }));
    assert_eq!(position().await, STUDENTS as i64);

    // Every student marked once: one mark each at version 1, one change each, a gap-free log.
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM attendance WHERE session_id = $1")
            .bind(school.session_id)
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(versions.len(), STUDENTS);
    assert!(versions.iter().all(|&v| v == 1), "a mark was written twice");
    let changes: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM attendance_changes WHERE session_id = $1")
            .bind(school.session_id)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(changes, STUDENTS as i64);
    assert_logs_gap_free(&db).await;

    // A third time: nothing left to do.
    let again: Vec<Value> = send(server.base()).await.unwrap().json().await.unwrap();
    assert!(again.iter().all(|a| a["answer"]["outcome"] == "duplicate"));
}
