//! Opening class sessions and reading one with its roster.

use super::attendance::Actor;
use super::events::{append_event, position_in, recent_events_in};
use super::rows::{RosterRow, SessionRow, SESSION_COLUMNS};
use super::{is_unique_violation, Store};
use crate::domain::{ClassId, ClassSession, JoinCode, RosterEntry, SessionId};
use crate::error::{AppError, AppResult};
use crate::protocol::{Channel, Event, EventBody, StreamPosition};

/// A session's roster and recent history, read together at one position of its log.
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

impl Store {
    /// Opens a session for the class, or returns the one already open (a double click, two
    /// tabs or two instances open one). A concurrent open that wins the race, or a join code
    /// that another class took meanwhile, shows up as a unique violation: try again, and the
    /// next attempt finds the open session or draws a new code.
    pub async fn open_session(
        &self,
        class_id: ClassId,
        late_after_minutes: u32,
        actor: &Actor,
        now_ms: i64,
        mut new_code: impl FnMut() -> JoinCode,
    ) -> AppResult<SessionId> {
        let mut attempts = 0;
        loop {
            let code = new_code();
            match self
                .try_open_session(class_id, late_after_minutes, actor, now_ms, &code)
                .await
            {
                Err(error) if is_unique_violation(&error) && attempts < 8 => attempts += 1,
                other => return Ok(other?),
            }
        }
    }

    async fn try_open_session(
        &self,
        class_id: ClassId,
        late_after_minutes: u32,
        actor: &Actor,
        now_ms: i64,
        code: &JoinCode,
    ) -> sqlx::Result<SessionId> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let open: Option<i64> =
            sqlx::query_scalar("SELECT id FROM class_sessions WHERE class_id = $1 AND is_open = 1")
                .bind(class_id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(id) = open {
            return Ok(id);
        }
        let session_id: i64 = sqlx::query_scalar(
            "INSERT INTO class_sessions \
             (class_id, opened_by, starts_at_ms, late_after_minutes, join_code, is_open) \
             VALUES ($1, $2, $3, $4, $5, 1) RETURNING id",
        )
        .bind(class_id)
        .bind(actor.user_id)
        .bind(now_ms)
        .bind(late_after_minutes as i64)
        .bind(code.as_str())
        .fetch_one(&mut *tx)
        .await?;
        let class_name: String = sqlx::query_scalar("SELECT name FROM classes WHERE id = $1")
            .bind(class_id)
            .fetch_one(&mut *tx)
            .await?;
        let mut log = Vec::new();
        let body = EventBody::SessionOpened {
            session_id,
            class_id,
            class_name,
            join_code: code.to_string(),
            starts_at_ms: now_ms,
            late_after_minutes,
        };
        append_event(&mut tx, &mut log, now_ms, body).await?;
        self.commit(tx, log).await?;
        Ok(session_id)
    }

    pub async fn session(&self, session_id: SessionId) -> AppResult<Option<ClassSession>> {
        let row: Option<SessionRow> =
            sqlx::query_as(&format!("SELECT {SESSION_COLUMNS} WHERE s.id = $1"))
                .bind(session_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.and_then(SessionRow::into_session))
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
        let row: Option<SessionRow> =
            sqlx::query_as(&format!("SELECT {SESSION_COLUMNS} WHERE s.id = $1"))
                .bind(session_id)
                .fetch_optional(&mut *tx)
                .await?;
        let session = row
            .and_then(SessionRow::into_session)
            .ok_or_else(|| AppError::not_found("There is no such class session."))?;
        let position = position_in(&mut tx, channel).await?;
        let rows: Vec<RosterRow> = sqlx::query_as(
            "SELECT u.id AS student_id, u.display_name, u.username, a.status, a.source, \
             a.marked_at_ms, a.version \
             FROM enrollments e JOIN users u ON u.id = e.student_id \
             LEFT JOIN attendance a ON a.session_id = $1 AND a.student_id = u.id \
             WHERE e.class_id = $2 ORDER BY u.display_name, u.id",
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
