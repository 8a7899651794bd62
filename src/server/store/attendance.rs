//! Attendance changes: a teacher's mark, mark all present, closing a session (self check-in is
//! in `check_in`). Each locks the session's row first, decides with the domain rule on what it
//! then reads, and writes the mark and its event in the same transaction.

use super::check_in_attempts::supersede_holds;
use super::events::append_event;
use super::rows::MarkRow;
use super::Store;
use crate::domain::excuse::mark_all_present_changes;
use crate::domain::{
    teacher_mark_changes, AttendanceStatus, ClassSession, Mark, MarkSource, SessionId,
    SessionPhase, UserId,
};
use crate::error::{AppError, AppResult};
use crate::protocol::EventBody;
use sqlx::AnyConnection;

/// Who did something and from where, recorded with every attendance event.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: UserId,
    pub device: Option<String>,
}

impl Store {
    /// A teacher's (or admin's) mark; returns the resulting mark.
    pub async fn mark(
        &self,
        session: &ClassSession,
        student_id: UserId,
        status: AttendanceStatus,
        actor: &Actor,
        now_ms: i64,
    ) -> AppResult<Mark> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let locked = self.lock_and_read_session(&mut tx, session.id).await?;
        refuse_if_upcoming(locked.as_ref())?;
        let student_name = roster_name(&mut tx, session, student_id)
            .await?
            .ok_or_else(|| AppError::not_found(NOT_ON_ROSTER))?;
        let existing = current_mark(&mut tx, session.id, student_id).await?;
        if let Some(unchanged) = existing
            .as_ref()
            .filter(|mark| !teacher_mark_changes(Some(mark), status))
        {
            return Ok(unchanged.clone());
        }
        let mut log = Vec::new();
        let change = MarkChange {
            session_id: session.id,
            student_id,
            student_name,
            status,
            source: MarkSource::Teacher,
            previous: existing.map(|m| m.status),
            by_user_id: Some(actor.user_id),
            device: actor.device.clone(),
        };
        let mark = write_mark(&mut tx, &mut log, change, now_ms).await?;
        self.commit(tx, log).await?;
        Ok(mark)
    }

    /// "Mark all present": every active student of the class not yet marked (or marked absent
    /// by Rollcall at closing) becomes present; teacher marks, excuses and check-ins stay.
    /// Returns how many changed.
    pub async fn mark_all_present(
        &self,
        session: &ClassSession,
        actor: &Actor,
        now_ms: i64,
    ) -> AppResult<u32> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let locked = self.lock_and_read_session(&mut tx, session.id).await?;
        refuse_if_upcoming(locked.as_ref())?;
        let students: Vec<(i64, String)> = sqlx::query_as(
            "SELECT u.id, u.display_name FROM enrollments e JOIN users u ON u.id = e.student_id \
             WHERE e.class_id = $1 AND u.active = 1 ORDER BY u.id",
        )
        .bind(session.class_id)
        .fetch_all(&mut *tx)
        .await?;
        let mut log = Vec::new();
        let mut changed = 0;
        for (student_id, student_name) in students {
            let existing = current_mark(&mut tx, session.id, student_id).await?;
            if !mark_all_present_changes(existing.as_ref()) {
                continue;
            }
            let change = MarkChange {
                session_id: session.id,
                student_id,
                student_name,
                status: AttendanceStatus::Present,
                source: MarkSource::Teacher,
                previous: existing.map(|m| m.status),
                by_user_id: Some(actor.user_id),
                device: actor.device.clone(),
            };
            write_mark(&mut tx, &mut log, change, now_ms).await?;
            changed += 1;
        }
        self.commit(tx, log).await?;
        Ok(changed)
    }

    /// Closes the session by hand and marks every still-unmarked student absent. Returns how
    /// many were marked; closing a session that is not open changes nothing and returns 0.
    pub async fn close_session(
        &self,
        session: &ClassSession,
        actor: &Actor,
        now_ms: i64,
    ) -> AppResult<u32> {
        let closed = self
            .close_if(session.id, Some(actor.user_id), now_ms, |_| true)
            .await?;
        Ok(closed.unwrap_or(0))
    }
}

/// 409 while the session is upcoming: nobody can be marked in it yet (`session` as read under
/// its lock).
pub(super) fn refuse_if_upcoming(session: Option<&ClassSession>) -> AppResult<()> {
    if session.map(ClassSession::phase) == Some(SessionPhase::Upcoming) {
        return Err(AppError::conflict(
            "This session has not started yet, so nobody can be marked in it.",
        ));
    }
    Ok(())
}

pub(super) const NOT_ON_ROSTER: &str = "That student is not on this class's roster.";

/// The student's name if they are on the session's roster: an active student of the class, or
/// anyone already marked in it (a correction after they left the class).
pub(super) async fn roster_name(
    conn: &mut AnyConnection,
    session: &ClassSession,
    student_id: UserId,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT u.display_name FROM users u WHERE u.id = $2 AND (EXISTS \
         (SELECT 1 FROM attendance a WHERE a.session_id = $3 AND a.student_id = u.id) \
         OR (u.active = 1 AND EXISTS (SELECT 1 FROM enrollments e \
             WHERE e.class_id = $1 AND e.student_id = u.id)))",
    )
    .bind(session.class_id)
    .bind(student_id)
    .bind(session.id)
    .fetch_optional(conn)
    .await
}

/// One student's new mark, as written by `write_mark`.
pub(super) struct MarkChange {
    pub session_id: SessionId,
    pub student_id: UserId,
    pub student_name: String,
    pub status: AttendanceStatus,
    pub source: MarkSource,
    pub previous: Option<AttendanceStatus>,
    pub by_user_id: Option<UserId>,
    pub device: Option<String>,
}

/// Writes (or overwrites, bumping the version) a mark, keeps the change in the audit trail and
/// appends its event. The caller holds the session's lock and has decided the change.
pub(super) async fn write_mark(
    conn: &mut AnyConnection,
    log: &mut Vec<crate::protocol::Event>,
    change: MarkChange,
    now_ms: i64,
) -> sqlx::Result<Mark> {
    let version: i64 = sqlx::query_scalar(
        "INSERT INTO attendance \
         (session_id, student_id, status, source, marked_at_ms, marked_by, version) \
         VALUES ($1, $2, $3, $4, $5, $6, 1) \
         ON CONFLICT (session_id, student_id) DO UPDATE SET status = excluded.status, \
         source = excluded.source, marked_at_ms = excluded.marked_at_ms, \
         marked_by = excluded.marked_by, version = attendance.version + 1 \
         RETURNING version",
    )
    .bind(change.session_id)
    .bind(change.student_id)
    .bind(change.status.as_str())
    .bind(change.source.as_str())
    .bind(now_ms)
    .bind(change.by_user_id)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO attendance_changes \
         (session_id, student_id, status_before, status_after, source, by_user_id, at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(change.session_id)
    .bind(change.student_id)
    .bind(change.previous.map(AttendanceStatus::as_str))
    .bind(change.status.as_str())
    .bind(change.source.as_str())
    .bind(change.by_user_id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    let mark = Mark {
        status: change.status,
        source: change.source,
        marked_at_ms: now_ms,
        version,
    };
    // A check-in still waiting for review is settled by any mark but the automatic absence at
    // closing (the teacher may still accept it afterwards).
    if change.source != MarkSource::Automatic {
        let student = (change.student_id, change.student_name.as_str());
        supersede_holds(
            conn,
            log,
            change.session_id,
            student,
            change.by_user_id,
            now_ms,
        )
        .await?;
    }
    let body = EventBody::attendance_changed(
        change.session_id,
        change.student_id,
        change.student_name,
        &mark,
        change.previous,
        change.by_user_id,
        change.device,
    );
    append_event(conn, log, now_ms, body).await?;
    Ok(mark)
}

pub(super) async fn current_mark(
    conn: &mut AnyConnection,
    session_id: SessionId,
    student_id: UserId,
) -> sqlx::Result<Option<Mark>> {
    let row: Option<MarkRow> = sqlx::query_as(
        "SELECT status, source, marked_at_ms, version FROM attendance \
         WHERE session_id = $1 AND student_id = $2",
    )
    .bind(session_id)
    .bind(student_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(MarkRow::into_mark))
}
