//! Opening class sessions and reading one with its roster.

use super::attendance::Actor;
use super::classes::teachers_of;
use super::events::{position_in, recent_events_in};
use super::lifecycle::{close_locked, open_locked};
use super::rows::{RosterRow, SessionRow, SESSION_COLUMNS};
use super::{is_unique_violation, Store};
use crate::domain::{ClassId, ClassSession, JoinCode, RosterEntry, SessionId};
use crate::error::{AppError, AppResult};
use crate::protocol::{Channel, Event, StreamPosition};
use sqlx::AnyConnection;

/// A session's roster (its class's active students, and anyone already marked in it, so a
/// student who left the class still shows in the sessions they attended) and recent history, read together at one position of its log.
#[derive(Debug, Clone)]
pub struct SessionSnapshot {
    pub roster: Vec<RosterEntry>,
    /// The log position the roster reflects; follow the session's channel from here.
    pub position: StreamPosition,
    /// The last events up to `position`, oldest first (for the feed and notifications).
    pub recent: Vec<Event>,
}

/// How many past events a snapshot carries for the dashboard's feed and notifications.
pub const SNAPSHOT_HISTORY: i64 = 200;

/// What opening a class's session by hand may do besides starting a new one.
#[derive(Debug, Clone, Copy)]
pub struct OpenByHand {
    pub late_after_minutes: u32,
    pub now_ms: i64,
    /// The start of today in the school's time zone: an open session from before it is closed,
    /// never reused.
    pub today_starts_ms: i64,
    /// An upcoming scheduled session starting before this opens early instead of a new one.
    pub adopt_scheduled_before_ms: i64,
    /// When a new, unscheduled session closes by itself.
    pub unscheduled_ends_ms: i64,
}

impl Store {
    /// Opens a session of the class by hand: the one already open today (a double click, two
    /// tabs or two instances), else the next scheduled one if it starts soon (early), else a
    /// new unscheduled one. A concurrent open that wins the race, or a join code that another
    /// class took meanwhile, shows up as a unique violation: try again, and the next attempt
    /// finds the open session or draws a new code.
    pub async fn open_session(
        &self,
        class_id: ClassId,
        actor: &Actor,
        plan: OpenByHand,
        mut new_code: impl FnMut() -> JoinCode,
    ) -> AppResult<SessionId> {
        let mut attempts = 0;
        loop {
            let code = new_code();
            match self.try_open_session(class_id, actor, plan, &code).await {
                Err(error) if is_unique_violation(&error) && attempts < 8 => attempts += 1,
                other => return Ok(other?),
            }
        }
    }

    async fn try_open_session(
        &self,
        class_id: ClassId,
        actor: &Actor,
        plan: OpenByHand,
        code: &JoinCode,
    ) -> sqlx::Result<SessionId> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let mut log = Vec::new();
        let open: Option<(i64, i64)> = sqlx::query_as(
            "SELECT id, starts_at_ms FROM class_sessions WHERE class_id = $1 AND is_open = 1",
        )
        .bind(class_id)
        .fetch_optional(&mut *tx)
        .await?;
        match open {
            Some((id, starts)) if starts >= plan.today_starts_ms => return Ok(id),
            Some((stale, _)) => {
                self.lock_session(&mut tx, stale).await?;
                close_locked(&mut tx, &mut log, stale, None, plan.now_ms).await?;
            }
            None => {}
        }
        let scheduled: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM class_sessions WHERE class_id = $1 AND is_open = 0 \
             AND closed_at_ms IS NULL AND starts_at_ms < $2 AND ends_at_ms > $3 \
             ORDER BY starts_at_ms LIMIT 1",
        )
        .bind(class_id)
        .bind(plan.adopt_scheduled_before_ms)
        .bind(plan.now_ms)
        .fetch_optional(&mut *tx)
        .await?;
        let session_id = match scheduled {
            Some(id) => {
                self.lock_session(&mut tx, id).await?;
                id
            }
            None => {
                sqlx::query_scalar(
                    "INSERT INTO class_sessions \
                     (class_id, starts_at_ms, ends_at_ms, late_after_minutes, is_open) \
                     VALUES ($1, $2, $3, $4, 0) RETURNING id",
                )
                .bind(class_id)
                .bind(plan.now_ms)
                .bind(plan.unscheduled_ends_ms)
                .bind(plan.late_after_minutes as i64)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        open_locked(
            &mut tx,
            &mut log,
            session_id,
            Some(actor.user_id),
            code,
            plan.now_ms,
        )
        .await?;
        self.commit(tx, log).await?;
        Ok(session_id)
    }

    pub async fn session(&self, session_id: SessionId) -> AppResult<Option<ClassSession>> {
        let mut conn = self.pool.acquire().await?;
        Ok(session_in(&mut conn, session_id).await?)
    }

    /// The session as it is now, or a 404 with a sentence.
    pub async fn existing_session(&self, session_id: SessionId) -> AppResult<ClassSession> {
        self.session(session_id)
            .await?
            .ok_or_else(|| AppError::not_found("There is no such class session."))
    }

    /// The session with its roster (each student's mark, by name) and its recent events, all
    /// read in one consistent transaction at one position of the session's log.
    pub async fn session_snapshot(
        &self,
        session_id: SessionId,
    ) -> AppResult<(ClassSession, SessionSnapshot)> {
        let channel = Channel::Session(session_id);
        self.ensure_channel(channel).await?;
        let mut tx = self.read_tx().await?;
        let session = session_in(&mut tx, session_id)
            .await?
            .ok_or_else(|| AppError::not_found("There is no such class session."))?;
        let position = position_in(&mut tx, channel).await?;
        let rows: Vec<RosterRow> = sqlx::query_as(
            "SELECT u.id AS student_id, u.display_name, u.username, a.status, a.source, \
             a.marked_at_ms, a.version \
             FROM users u LEFT JOIN attendance a ON a.session_id = $1 AND a.student_id = u.id \
             WHERE u.id IN (SELECT e.student_id FROM enrollments e \
                 JOIN users v ON v.id = e.student_id WHERE e.class_id = $2 AND v.active = 1 \
               UNION SELECT m.student_id FROM attendance m WHERE m.session_id = $1) \
             ORDER BY u.display_name, u.id",
        )
        .bind(session.id)
        .bind(session.class_id)
        .fetch_all(&mut *tx)
        .await?;
        let recent = recent_events_in(&mut tx, channel, position.seq, SNAPSHOT_HISTORY).await?;
        tx.commit().await?;
        let snapshot = SessionSnapshot {
            roster: rows.into_iter().map(RosterEntry::from).collect(),
            position,
            recent,
        };
        Ok((session, snapshot))
    }
}

/// One session with its class's teachers, read on the given connection.
pub(super) async fn session_in(
    conn: &mut AnyConnection,
    id: SessionId,
) -> sqlx::Result<Option<ClassSession>> {
    read_session(conn, id, "").await
}

/// The session, its row locked until the transaction ends: `Store::lock_session` and
/// `session_in` in one statement (PostgreSQL only).
pub(super) async fn session_in_locked(
    conn: &mut AnyConnection,
    id: SessionId,
) -> sqlx::Result<Option<ClassSession>> {
    read_session(conn, id, " FOR UPDATE OF s").await
}

async fn read_session(
    conn: &mut AnyConnection,
    id: SessionId,
    lock: &str,
) -> sqlx::Result<Option<ClassSession>> {
    let row: Option<SessionRow> =
        sqlx::query_as(&format!("SELECT {SESSION_COLUMNS} WHERE s.id = $1{lock}"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let teachers = teachers_of(conn, Some(row.class_id)).await?;
    Ok(row.into_session(&teachers))
}
