//! Reading the database behind a server directly (its own connection pool, SQLite or
//! PostgreSQL), and signing people in without a password: for tests that must check what was
//! stored, not what the server says.

use rollcall::domain::UserId;
use rollcall::server::crypto::{random_token, token_hash};
use rollcall::server::now_ms;
use rollcall::server::store::Store;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};

/// A bearer token for a user, made straight in the store (no password, no argon2).
pub async fn bearer_token(store: &Store, user_id: UserId) -> String {
    let token = random_token(32);
    let now = now_ms();
    store
        .create_auth_session(&token_hash(&token), user_id, now, now + 3_600_000)
        .await
        .expect("auth session stored");
    token
}

impl super::TestApp {
    /// A client that signs its requests with a bearer token made in the store (no cookie, no
    /// sign-in round trip).
    pub async fn bearer_client(&self, username: &str) -> super::Client {
        let token = bearer_token(&self.server.state.store, self.user_id(username).await).await;
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        super::Client {
            http: reqwest::Client::builder()
                .default_headers(headers)
                .build()
                .unwrap(),
            base: self.base.clone(),
        }
    }
}

/// A connection pool of its own to a server's database.
pub async fn database(url: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::pool::PoolOptions::new()
        .max_connections(2)
        .connect(url)
        .await
        .expect("database reachable")
}

/// One row of the event log, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LoggedEvent {
    pub channel: String,
    pub seq: i64,
    /// The body's `type` (e.g. `attendance_changed`).
    pub kind: String,
    pub body: String,
}

pub async fn event_log(db: &sqlx::AnyPool) -> Vec<LoggedEvent> {
    let rows: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT channel, seq, body FROM events ORDER BY channel, seq")
            .fetch_all(db)
            .await
            .unwrap();
    rows.into_iter()
        .map(|(channel, seq, body)| LoggedEvent {
            kind: serde_json::from_str::<Value>(&body).unwrap()["type"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            channel,
            seq,
            body,
        })
        .collect()
}

/// Every channel's log holds seqs 1..=n without a gap, and its recorded position is n. Both are
/// read in one snapshot: the server may still be committing (its notifier, say) meanwhile.
pub async fn assert_logs_gap_free(db: &sqlx::AnyPool) {
    let mut tx = db.begin().await.unwrap();
    // PostgreSQL needs this for one snapshot across statements; SQLite's read transaction is
    // one already and refuses the statement, which leaves the transaction as it was.
    let _ = sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .execute(&mut *tx)
        .await;
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT channel, seq FROM events ORDER BY channel, seq")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
    let positions: Vec<(String, i64)> = sqlx::query_as("SELECT name, last_seq FROM channels")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut seqs: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (channel, seq) in rows {
        seqs.entry(channel).or_default().push(seq);
    }
    for (channel, last_seq) in positions {
        let seqs = seqs.remove(&channel).unwrap_or_default();
        let expected: Vec<i64> = (1..=last_seq).collect();
        assert_eq!(
            seqs, expected,
            "the log of {channel} has a gap or a stray seq"
        );
    }
    assert!(
        seqs.is_empty(),
        "events on channels without a log: {seqs:?}"
    );
}

/// What a refused request must not change: people, classes, timetables, sessions, marks, their
/// audit trail and the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Fingerprint {
    pub rows: Vec<String>,
    pub events: Vec<LoggedEvent>,
}

const FINGERPRINT_QUERIES: &[&str] = &[
    "SELECT 'user ' || CAST(id AS TEXT) || ' ' || username || ' ' || display_name || ' ' \
     || role || ' ' || password_hash || ' ' || CAST(active AS TEXT) || ' ' \
     || CAST(must_change_password AS TEXT) FROM users",
    "SELECT 'class ' || CAST(id AS TEXT) || ' ' || name || ' ' || CAST(archived AS TEXT) \
     FROM classes",
    "SELECT 'teaches ' || CAST(class_id AS TEXT) || ' ' || CAST(teacher_id AS TEXT) \
     FROM class_teachers",
    "SELECT 'enrolled ' || CAST(class_id AS TEXT) || ' ' || CAST(student_id AS TEXT) \
     FROM enrollments",
    "SELECT 'meeting ' || CAST(id AS TEXT) || ' ' || CAST(class_id AS TEXT) || ' ' \
     || CAST(weekdays AS TEXT) || ' ' || starts_at || ' ' || ends_at || ' ' || first_day \
     || ' ' || last_day FROM class_meetings",
    "SELECT 'holiday ' || CAST(id AS TEXT) || ' ' || name || ' ' || first_day || ' ' || last_day \
     FROM holidays",
    "SELECT 'session ' || CAST(id AS TEXT) || ' ' || COALESCE(join_code, '-') || ' ' \
     || CAST(is_open AS TEXT) || ' ' || CAST(late_after_minutes AS TEXT) || ' ' \
     || CAST(starts_at_ms AS TEXT) || ' ' || COALESCE(CAST(closed_at_ms AS TEXT), '-') \
     FROM class_sessions",
    "SELECT 'mark ' || CAST(session_id AS TEXT) || ' ' || CAST(student_id AS TEXT) || ' ' \
     || status || ' ' || source || ' ' || CAST(version AS TEXT) FROM attendance",
    "SELECT 'change ' || CAST(id AS TEXT) FROM attendance_changes",
];

impl Fingerprint {
    pub async fn read(db: &sqlx::AnyPool) -> Fingerprint {
        let mut rows = Vec::new();
        for query in FINGERPRINT_QUERIES {
            let found: Vec<String> = sqlx::query_scalar(query).fetch_all(db).await.unwrap();
            rows.extend(found);
        }
        rows.sort();
        Fingerprint {
            rows,
            events: event_log(db).await,
        }
    }

    /// Panics unless `after` differs from `self` at most by new refusal notices (a refused
    /// check-in is reported to the teacher concerned, by design).
    pub fn assert_unchanged_but_refusals(&self, after: &Fingerprint, what: &str) {
        assert_eq!(
            self.rows, after.rows,
            "a refused request changed rows: {what}"
        );
        let before: HashSet<&LoggedEvent> = self.events.iter().collect();
        let kept = after.events.iter().filter(|e| before.contains(e)).count();
        assert_eq!(
            kept,
            self.events.len(),
            "a refused request rewrote the log: {what}"
        );
        // Notifications come from the notifier, which reads earlier (accepted) events of the
        // school's log in the background; a refused request logs none there (checked here).
        for event in after.events.iter().filter(|e| !before.contains(e)) {
            assert!(
                ["check_in_refused", "notified"].contains(&event.kind.as_str()),
                "a refused request logged an event: {what}: {event:?}"
            );
        }
    }
}
