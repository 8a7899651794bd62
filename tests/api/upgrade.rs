//! A school already running Rollcall upgrades: a database at the previous schema (before
//! timetables, several teachers and deactivation) with classes, rosters, an open and a closed
//! session and marks is migrated on start, and everything in it is still there and works.

use crate::helpers::*;
use rollcall::server::store::Store;
use std::borrow::Cow;

/// Applies the migrations up to `version` only, as an older Rollcall would have.
async fn migrate_up_to(url: &str, version: i64) {
    let dir = if url.starts_with("postgres") {
        "migrations/postgres"
    } else {
        "migrations/sqlite"
    };
    let mut old = sqlx::migrate::Migrator::new(std::path::Path::new(dir))
        .await
        .unwrap();
    let kept: Vec<_> = old
        .migrations
        .iter()
        .filter(|m| m.version <= version)
        .cloned()
        .collect();
    old.migrations = Cow::Owned(kept);
    let pool = database(url).await;
    old.run(&pool).await.unwrap();
    pool.close().await;
}

#[tokio::test]
async fn a_database_from_before_timetables_is_upgraded_with_everything_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(&dir).await;
    let url = if url.starts_with("sqlite") {
        format!("{url}?mode=rwc")
    } else {
        url
    };
    migrate_up_to(&url, 2).await;
    let old = database(&url).await;
    for sql in [
        "INSERT INTO users (id, username, display_name, role, password_hash, created_at_ms) VALUES \
         (1, 'teach', 'Ms. T', 'teacher', 'x', 0), (2, 'ana', 'Ana', 'student', 'x', 0), \
         (3, 'bo', 'Bo', 'student', 'x', 0)",
        "INSERT INTO classes (id, name, teacher_id) VALUES (1, 'Maths 7', 1)",
        "INSERT INTO enrollments (class_id, student_id) VALUES (1, 2), (1, 3)",
        "INSERT INTO class_sessions (id, class_id, opened_by, starts_at_ms, late_after_minutes, \
         join_code, is_open, closed_at_ms) VALUES (1, 1, 1, 1000, 10, 'AAAAAA', 0, 5000), \
         (2, 1, 1, 9000, 10, 'BBBBBB', 1, NULL)",
        "INSERT INTO attendance (session_id, student_id, status, source, marked_at_ms, marked_by, \
         version) VALUES (1, 2, 'present', 'self', 2000, 2, 1), (1, 3, 'absent', 'automatic', \
         5000, NULL, 1)",
    ] {
        sqlx::query(sql).execute(&old).await.unwrap();
    }
    if url.starts_with("postgres") {
        // Explicit ids leave the sequences behind; an old server would have used them.
        for table in ["users", "classes", "class_sessions"] {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), 10)"
            ))
            .execute(&old)
            .await
            .unwrap();
        }
    }
    old.close().await;

    let (committed, _rx) = tokio::sync::mpsc::unbounded_channel();
    let store = Store::open(&url, committed)
        .await
        .expect("the upgrade runs");
    // The teacher still runs the class, the roster is intact.
    assert_eq!(store.class_teachers(1).await.unwrap(), Some(vec![1]));
    let closed = store.existing_session(1).await.unwrap();
    assert!(!closed.is_open && closed.closed_at_ms == Some(5000));
    assert_eq!(closed.opened_at_ms, Some(1000), "an old session was held");
    assert_eq!(closed.teacher_name, "Ms. T");
    let (_, snapshot) = store.session_snapshot(1).await.unwrap();
    let marks: Vec<_> = snapshot
        .roster
        .iter()
        .map(|e| {
            (
                e.username.clone(),
                e.mark.as_ref().map(|m| m.status.as_str()),
            )
        })
        .collect();
    assert_eq!(
        marks,
        [
            ("ana".into(), Some("present")),
            ("bo".into(), Some("absent"))
        ]
    );
    // The open one is still open, now with an end so it closes by itself.
    let open = store.existing_session(2).await.unwrap();
    assert!(open.is_open);
    assert_eq!(open.ends_at_ms, Some(9000 + 90 * 60_000));
    assert_eq!(open.join_code.unwrap().to_string(), "BBBBBB");
    // And the scheduler closes it (its end is long past).
    let pass = store
        .run_due_transitions(rollcall::server::now_ms(), 0, || unreachable!())
        .await
        .unwrap();
    assert_eq!(pass.closed, 1);
    assert!(!store.existing_session(2).await.unwrap().is_open);
    store.close().await;
}
