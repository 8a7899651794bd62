//! A session's life: upcoming → open → closed. The transitions are written here once and used
//! by a teacher's clicks and by the scheduler alike. Each re-reads the state under the session's
//! lock and does nothing if the transition already happened, so a retry, a second click or a
//! second instance's scheduler changes nothing (idempotent effects).

use super::attendance::{write_mark, MarkChange};
use super::events::append_event;
use super::excuse_marks::apply_approved_excuses;
use super::{is_unique_violation, Backend, Store};
use crate::domain::{JoinCode, MarkSource, SessionId, UserId, STATUS_WHEN_UNMARKED_AT_CLOSE};
use crate::error::AppResult;
use crate::protocol::{Event, EventBody};
use sqlx::AnyConnection;

/// What the scheduler did in one pass.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SchedulerPass {
    pub opened: u32,
    pub closed: u32,
    /// Upcoming sessions whose whole time passed while nothing ran (the server was down):
    /// closed without marks, so nobody is marked absent for a check-in they could not make.
    pub never_held: u32,
}

impl Store {
    /// Opens every scheduled session whose check-in window has begun (`open_before_ms` before
    /// its start), closes every open session whose end has passed, and closes as never held
    /// the upcoming ones whose end passed. Safe to run anywhere, any number of times.
    pub async fn run_due_transitions(
        &self,
        now_ms: i64,
        open_before_ms: i64,
        mut new_code: impl FnMut() -> JoinCode,
    ) -> AppResult<SchedulerPass> {
        let mut pass = SchedulerPass::default();
        let due: Vec<(i64, i64, Option<i64>, i64)> = sqlx::query_as(
            "SELECT id, is_open, ends_at_ms, starts_at_ms FROM class_sessions \
             WHERE closed_at_ms IS NULL AND (is_open = 1 OR starts_at_ms <= $1) \
             AND (ends_at_ms <= $2 OR (is_open = 0 AND starts_at_ms <= $1)) \
             ORDER BY starts_at_ms, id",
        )
        .bind(now_ms + open_before_ms)
        .bind(now_ms)
        .fetch_all(&self.pool)
        .await?;
        for (id, is_open, ends_at, _) in due {
            let ended = ends_at.is_some_and(|end| end <= now_ms);
            match (is_open != 0, ended) {
                (true, true) => {
                    if self.close_if(id, None, now_ms, |_| true).await?.is_some() {
                        pass.closed += 1;
                    }
                }
                (false, true) => pass.never_held += self.close_never_held(id, now_ms).await?,
                (false, false) => {
                    pass.opened += self.open_scheduled(id, now_ms, &mut new_code).await?
                }
                (true, false) => {}
            }
        }
        Ok(pass)
    }

    /// Closes the session if `still_wanted` agrees with its state under the lock; `None` when
    /// it was not open (already closed, or never opened). Returns how many were marked absent.
    pub(super) async fn close_if(
        &self,
        session_id: SessionId,
        by: Option<UserId>,
        now_ms: i64,
        still_wanted: impl FnOnce(Option<i64>) -> bool,
    ) -> sqlx::Result<Option<u32>> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let ends_at: Option<Option<i64>> = sqlx::query_scalar(&format!(
            "SELECT ends_at_ms FROM class_sessions WHERE id = $1{}",
            self.locking_read()
        ))
        .bind(session_id)
        .fetch_optional(&mut *tx)
        .await?;
        if !ends_at.is_some_and(still_wanted) {
            return Ok(None);
        }
        let mut log = Vec::new();
        let closed = close_locked(&mut tx, &mut log, session_id, by, now_ms).await?;
        self.commit(tx, log).await?;
        Ok(closed)
    }

    async fn close_never_held(&self, session_id: SessionId, now_ms: i64) -> sqlx::Result<u32> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        self.lock_session(&mut tx, session_id).await?;
        let changed = sqlx::query(
            "UPDATE class_sessions SET closed_at_ms = $1 \
             WHERE id = $2 AND is_open = 0 AND closed_at_ms IS NULL AND ends_at_ms <= $1",
        )
        .bind(now_ms)
        .bind(session_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(0);
        }
        let mut log = Vec::new();
        let body = EventBody::SessionClosed {
            session_id,
            marked_absent: 0,
            by_user_id: None,
        };
        append_event(&mut tx, &mut log, now_ms, body).await?;
        self.commit(tx, log).await?;
        Ok(1)
    }

    /// Opens an upcoming scheduled session. Another session of the class left open (opened by
    /// hand long before) is closed first: a class has one open session at a time.
    async fn open_scheduled(
        &self,
        session_id: SessionId,
        now_ms: i64,
        new_code: &mut impl FnMut() -> JoinCode,
    ) -> AppResult<u32> {
        let mut attempts = 0;
        loop {
            match self
                .try_open_scheduled(session_id, now_ms, &new_code())
                .await
            {
                Err(error) if is_unique_violation(&error) && attempts < 8 => attempts += 1,
                other => return Ok(other?),
            }
        }
    }

    async fn try_open_scheduled(
        &self,
        session_id: SessionId,
        now_ms: i64,
        code: &JoinCode,
    ) -> sqlx::Result<u32> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        // The lock in the read: PostgreSQL checks the condition again on the row it locked.
        let class_id: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT class_id FROM class_sessions \
             WHERE id = $1 AND is_open = 0 AND closed_at_ms IS NULL{}",
            self.locking_read()
        ))
        .bind(session_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(class_id) = class_id else {
            return Ok(0); // opened or closed meanwhile
        };
        let mut log = Vec::new();
        let other: Option<i64> =
            sqlx::query_scalar("SELECT id FROM class_sessions WHERE class_id = $1 AND is_open = 1")
                .bind(class_id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(other) = other {
            self.lock_session(&mut tx, other).await?;
            close_locked(&mut tx, &mut log, other, None, now_ms).await?;
        }
        open_locked(&mut tx, &mut log, session_id, None, code, now_ms).await?;
        self.commit(tx, log).await?;
        Ok(1)
    }
}

/// Opens an upcoming session (the caller holds its lock): draws its code and announces it.
pub(super) async fn open_locked(
    conn: &mut AnyConnection,
    log: &mut Vec<Event>,
    session_id: SessionId,
    by: Option<UserId>,
    code: &JoinCode,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE class_sessions SET is_open = 1, join_code = $1, opened_at_ms = $2, \
         opened_by = $3 WHERE id = $4 AND is_open = 0 AND closed_at_ms IS NULL",
    )
    .bind(code.as_str())
    .bind(now_ms)
    .bind(by)
    .bind(session_id)
    .execute(&mut *conn)
    .await?;
    super::check_in_rules::ensure_code_secret(conn, session_id).await?;
    let (class_id, class_name, starts_at_ms, late_after): (i64, String, i64, i64) = sqlx::query_as(
        "SELECT s.class_id, c.name, s.starts_at_ms, s.late_after_minutes \
             FROM class_sessions s JOIN classes c ON c.id = s.class_id WHERE s.id = $1",
    )
    .bind(session_id)
    .fetch_one(&mut *conn)
    .await?;
    // Announced first, so a dashboard that follows the opening sees the excuses land in it.
    let body = EventBody::SessionOpened {
        session_id,
        class_id,
        class_name,
        join_code: code.to_string(),
        starts_at_ms,
        late_after_minutes: late_after.clamp(0, u32::MAX as i64) as u32,
    };
    append_event(conn, log, now_ms, body).await?;
    apply_approved_excuses(conn, log, session_id, now_ms).await?;
    Ok(())
}

/// Closes an open session (the caller holds its lock): every active student of the class still
/// unmarked becomes absent. `None` when it was not open.
pub(super) async fn close_locked(
    conn: &mut AnyConnection,
    log: &mut Vec<Event>,
    session_id: SessionId,
    by: Option<UserId>,
    now_ms: i64,
) -> sqlx::Result<Option<u32>> {
    let class_id: Option<i64> =
        sqlx::query_scalar("SELECT class_id FROM class_sessions WHERE id = $1 AND is_open = 1")
            .bind(session_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(class_id) = class_id else {
        return Ok(None);
    };
    // An excuse approved for someone who joined the class while it was open.
    apply_approved_excuses(conn, log, session_id, now_ms).await?;
    let unmarked: Vec<(i64, String)> = sqlx::query_as(
        "SELECT u.id, u.display_name FROM enrollments e JOIN users u ON u.id = e.student_id \
         WHERE e.class_id = $1 AND u.active = 1 AND NOT EXISTS \
         (SELECT 1 FROM attendance a WHERE a.session_id = $2 AND a.student_id = u.id) \
         ORDER BY u.id",
    )
    .bind(class_id)
    .bind(session_id)
    .fetch_all(&mut *conn)
    .await?;
    for (student_id, student_name) in &unmarked {
        let change = MarkChange {
            session_id,
            student_id: *student_id,
            student_name: student_name.clone(),
            status: STATUS_WHEN_UNMARKED_AT_CLOSE,
            source: MarkSource::Automatic,
            previous: None,
            by_user_id: None,
            device: None,
        };
        write_mark(conn, log, change, now_ms).await?;
    }
    sqlx::query(
        "UPDATE class_sessions SET is_open = 0, closed_at_ms = $1, closed_by = $2 WHERE id = $3",
    )
    .bind(now_ms)
    .bind(by)
    .bind(session_id)
    .execute(&mut *conn)
    .await?;
    let marked_absent = unmarked.len() as u32;
    let body = EventBody::SessionClosed {
        session_id,
        marked_absent,
        by_user_id: by,
    };
    append_event(conn, log, now_ms, body).await?;
    Ok(Some(marked_absent))
}

/// Proof that this instance runs the scheduler: on PostgreSQL a session-level advisory lock on
/// a connection kept out of the pool (the lock ends with the connection); on SQLite, where one
/// process owns the file, nothing to hold.
pub struct LeaderLock {
    conn: Option<AnyConnection>,
}

impl LeaderLock {
    /// False once the lock's connection is gone (and with it the lock).
    pub async fn still_held(&mut self) -> bool {
        match self.conn.as_mut() {
            None => true,
            Some(conn) => sqlx::query("SELECT 1").execute(conn).await.is_ok(),
        }
    }
}

impl Store {
    /// Takes the leader lock if no other instance holds it.
    pub async fn try_lead(&self, key: i64) -> sqlx::Result<Option<LeaderLock>> {
        if self.backend == Backend::Sqlite {
            return Ok(Some(LeaderLock { conn: None }));
        }
        let mut conn = self.pool.acquire().await?.detach();
        let won: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut conn)
            .await?;
        Ok(won.then_some(LeaderLock { conn: Some(conn) }))
    }
}
