//! Crash safety of notifications: the server binary is killed with SIGKILL while its notifier
//! turns 1,000 marks into 1,000 notifications, then started again on the same database. Every
//! student ends up told exactly once: none lost (the notifier's place in the school's log moves
//! in the same transaction as what it wrote), none twice (each notification has a unique key).

use crate::crash_outbox::{teacher_batch, upload_batch};
use crate::crash_safety::{school, ServerProcess, STUDENTS};
use crate::helpers::*;
use std::time::Duration;

#[tokio::test]
async fn killed_while_notifying_every_student_is_told_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(&dir).await;
    let school = school(&url).await;
    let log = |n: &str| std::fs::File::create(dir.path().join(n)).unwrap();
    // The teacher's 1,000 marks, sent as one offline batch: each tells its student.
    let body = teacher_batch(&school, "teacher-laptop-1", "absent");
    let db = database(&url).await;
    let told = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM notifications WHERE kind = 'marked_by_teacher'",
        )
        .fetch_one(&db)
        .await
        .unwrap()
    };

    let send = |base: String| upload_batch(base, school.teacher_token.clone(), body.clone());

    let mut server = ServerProcess::start(&url, log("first.log"));
    let mut upload = tokio::spawn(send(server.base()));
    // Kill as soon as the notifier has written some, before it is through.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while told().await == 0 {
        if upload.is_finished() && told().await == 0 {
            let answer = (&mut upload).await.unwrap().unwrap();
            let status = answer.status();
            assert!(
                status.is_success(),
                "{status}: {}",
                answer.text().await.unwrap()
            );
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "nothing was notified"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill();
    upload.abort();
    let before = told().await;
    println!("killed after {before} of {STUDENTS} notifications");
    assert!(
        before < STUDENTS as i64,
        "the notifier was through before the kill"
    );

    // Same database; the batch again (its marks are applied once, whatever the kill cut).
    let server = ServerProcess::start(&url, log("second.log"));
    send(server.base())
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while told().await < STUDENTS as i64 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "notifications were lost"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(told().await, STUDENTS as i64);
    let per_student: Vec<i64> = sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE kind = 'marked_by_teacher' GROUP BY user_id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(per_student.len(), STUDENTS);
    assert!(
        per_student.iter().all(|&n| n == 1),
        "someone was told twice"
    );
    // Each student's own channel carries it once too.
    let events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM events WHERE channel LIKE 'user:%' AND body LIKE '%\"type\":\"notified\"%'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(events, STUDENTS as i64);
    assert_logs_gap_free(&db).await;
}
