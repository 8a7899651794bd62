//! Check-in attempts after the fact: recording them, the teacher's review of held ones, and
//! the session's audit (every attempt with its device and network, and every override).

use super::attendance::{current_mark, write_mark, Actor, MarkChange};
use super::check_in::CheckInDevice;
use super::events::append_event;
use super::Store;
use crate::domain::check_in_review::{AttemptLine, AttemptOutcome, HeldCheckIn, OverrideLine};
use crate::domain::check_in_rules::{reasons_from_key, ReviewDecision};
use crate::domain::excuse::mark_all_present_changes;
use crate::domain::{AttendanceStatus, CheckInRefusal, ClassSession, Mark, MarkSource};
use crate::domain::{SessionId, UserId};
use crate::error::{AppError, AppResult};
use crate::protocol::{Event, EventBody};
use sqlx::{AnyConnection, FromRow};

/// One attempt as `record_attempt` writes it.
pub(super) struct Attempt<'a> {
    pub session_id: Option<SessionId>,
    pub student_id: UserId,
    pub outcome: AttemptOutcome,
    pub reason: Option<String>,
    pub status: Option<AttendanceStatus>,
    pub code: &'a str,
    pub code_window: Option<i64>,
    pub device: &'a CheckInDevice,
}

/// Keeps an attempt; a held one starts its review as pending. Returns its id.
pub(super) async fn record_attempt(
    conn: &mut AnyConnection,
    attempt: &Attempt<'_>,
    now_ms: i64,
) -> sqlx::Result<i64> {
    let review = (attempt.outcome == AttemptOutcome::Held).then_some("pending");
    sqlx::query_scalar(
        "INSERT INTO check_in_attempts (session_id, student_id, at_ms, outcome, reason, status, \
         code, code_window, device_id, ip, user_agent, review) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(attempt.session_id)
    .bind(attempt.student_id)
    .bind(now_ms)
    .bind(attempt.outcome.key())
    .bind(attempt.reason.as_deref())
    .bind(attempt.status.map(AttendanceStatus::as_str))
    .bind(attempt.code)
    .bind(attempt.code_window)
    .bind(attempt.device.device_id.as_deref())
    .bind(attempt.device.ip.map(|ip| ip.to_string()))
    .bind(attempt.device.user_agent.as_deref())
    .bind(review)
    .fetch_one(conn)
    .await
}

#[derive(FromRow)]
struct HeldRow {
    id: i64,
    session_id: i64,
    student_id: i64,
    student_name: String,
    reason: Option<String>,
    status: Option<String>,
    at_ms: i64,
}

impl HeldRow {
    fn into_held(self) -> Option<HeldCheckIn> {
        Some(HeldCheckIn {
            attempt_id: self.id,
            session_id: self.session_id,
            student_id: self.student_id,
            student_name: self.student_name,
            reasons: reasons_from_key(self.reason.as_deref().unwrap_or("")),
            status: AttendanceStatus::parse(self.status.as_deref()?)?,
            at_ms: self.at_ms,
        })
    }
}

const HELD_COLUMNS: &str = "a.id, a.session_id, a.student_id, u.display_name AS student_name, \
     a.reason, a.status, a.at_ms FROM check_in_attempts a JOIN users u ON u.id = a.student_id";

/// The student's check-in waiting for review in this session, if any.
pub(super) async fn pending_hold_of(
    conn: &mut AnyConnection,
    session_id: SessionId,
    student_id: UserId,
) -> sqlx::Result<Option<HeldCheckIn>> {
    let row: Option<HeldRow> = sqlx::query_as(&format!(
        "SELECT {HELD_COLUMNS} WHERE a.session_id = $1 AND a.student_id = $2 \
         AND a.review = 'pending'"
    ))
    .bind(session_id)
    .bind(student_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(HeldRow::into_held))
}

/// Settles the student's waiting check-in (a mark came another way) and says so.
pub(super) async fn supersede_holds(
    conn: &mut AnyConnection,
    log: &mut Vec<Event>,
    session_id: SessionId,
    (student_id, student_name): (UserId, &str),
    by_user_id: Option<UserId>,
    now_ms: i64,
) -> sqlx::Result<()> {
    let settled: Vec<i64> = sqlx::query_scalar(
        "UPDATE check_in_attempts SET review = 'superseded', reviewed_at_ms = $3 \
         WHERE session_id = $1 AND student_id = $2 AND review = 'pending' RETURNING id",
    )
    .bind(session_id)
    .bind(student_id)
    .bind(now_ms)
    .fetch_all(&mut *conn)
    .await?;
    for attempt_id in settled {
        let body = EventBody::CheckInReviewed {
            session_id,
            attempt_id,
            student_id,
            student_name: student_name.to_string(),
            decision: ReviewDecision::Superseded,
            by_user_id,
        };
        append_event(conn, log, now_ms, body).await?;
    }
    Ok(())
}

impl Store {
    /// The session's check-ins waiting for review, oldest first.
    pub async fn held_check_ins(&self, session_id: SessionId) -> AppResult<Vec<HeldCheckIn>> {
        let rows: Vec<HeldRow> = sqlx::query_as(&format!(
            "SELECT {HELD_COLUMNS} WHERE a.session_id = $1 AND a.review = 'pending' ORDER BY a.id"
        ))
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().filter_map(HeldRow::into_held).collect())
    }

    /// A teacher accepts or rejects a held check-in. Accepting marks the student as their
    /// check-in would have (present or late, by when they checked in) unless they were marked
    /// meanwhile by anything but the automatic absence at closing. Deciding the same way again
    /// is a no-op; deciding otherwise afterwards is 409. Returns the student's mark.
    pub async fn review_check_in(
        &self,
        session: &ClassSession,
        attempt_id: i64,
        accept: bool,
        actor: &Actor,
        now_ms: i64,
    ) -> AppResult<Option<Mark>> {
        let wanted = if accept {
            ReviewDecision::Accepted
        } else {
            ReviewDecision::Rejected
        };
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        self.lock_session(&mut tx, session.id).await?;
        let row: Option<(String, HeldRow)> = sqlx::query_as::<_, ReviewRow>(&format!(
            "SELECT a.review, {HELD_COLUMNS} WHERE a.id = $1 AND a.session_id = $2 \
             AND a.outcome = 'held'"
        ))
        .bind(attempt_id)
        .bind(session.id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| (row.review, row.held));
        let Some((review, held)) = row else {
            return Err(AppError::not_found(
                "No check-in of this session is waiting for review under that number.",
            ));
        };
        let current = current_mark(&mut tx, session.id, held.student_id).await?;
        match ReviewDecision::from_key(&review) {
            Some(done) if done == wanted => return Ok(current),
            Some(ReviewDecision::Superseded) => {
                return Err(AppError::conflict(
                    "This check-in was settled meanwhile: the student was marked another way.",
                ))
            }
            Some(done) => {
                return Err(AppError::conflict(format!(
                    "This check-in was already {}.",
                    done.key()
                )))
            }
            None => {} // pending
        }
        let held = held.into_held().ok_or_else(AppError::internal)?;
        sqlx::query(
            "UPDATE check_in_attempts SET review = $1, reviewed_by = $2, reviewed_at_ms = $3 \
             WHERE id = $4",
        )
        .bind(wanted.key())
        .bind(actor.user_id)
        .bind(now_ms)
        .bind(attempt_id)
        .execute(&mut *tx)
        .await?;
        let mut log = Vec::new();
        let mut mark = current.clone();
        if accept && mark_all_present_changes(current.as_ref()) {
            let change = MarkChange {
                session_id: session.id,
                student_id: held.student_id,
                student_name: held.student_name.clone(),
                status: held.status,
                source: MarkSource::SelfCheckIn,
                previous: current.map(|m| m.status),
                by_user_id: Some(actor.user_id),
                device: actor.device.clone(),
            };
            mark = Some(write_mark(&mut tx, &mut log, change, now_ms).await?);
        }
        // After the mark, so the student's page hears the decision last.
        let body = EventBody::CheckInReviewed {
            session_id: session.id,
            attempt_id,
            student_id: held.student_id,
            student_name: held.student_name,
            decision: wanted,
            by_user_id: Some(actor.user_id),
        };
        append_event(&mut tx, &mut log, now_ms, body).await?;
        self.commit(tx, log).await?;
        Ok(mark)
    }

    /// Every check-in attempt of the session, oldest first.
    pub async fn check_in_attempts(&self, session_id: SessionId) -> AppResult<Vec<AttemptLine>> {
        let rows: Vec<AttemptRow> = sqlx::query_as(
            "SELECT a.id, a.at_ms, a.student_id, u.display_name, u.username, a.outcome, \
             a.reason, a.status, a.code, a.code_window, a.device_id, a.ip, a.user_agent, \
             a.review, r.display_name AS reviewer, a.reviewed_at_ms \
             FROM check_in_attempts a JOIN users u ON u.id = a.student_id \
             LEFT JOIN users r ON r.id = a.reviewed_by \
             WHERE a.session_id = $1 ORDER BY a.id",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().filter_map(AttemptRow::into_line).collect())
    }

    /// Every change a person other than the student made to a mark in the session.
    pub async fn mark_overrides(&self, session_id: SessionId) -> AppResult<Vec<OverrideLine>> {
        let rows: Vec<(i64, String, Option<String>, String, String)> = sqlx::query_as(
            "SELECT c.at_ms, s.display_name, c.status_before, c.status_after, b.display_name \
             FROM attendance_changes c JOIN users s ON s.id = c.student_id \
             JOIN users b ON b.id = c.by_user_id \
             WHERE c.session_id = $1 AND c.by_user_id <> c.student_id ORDER BY c.id",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(at_ms, student_name, before, after, by)| {
                Some(OverrideLine {
                    at_ms,
                    student_name,
                    before: before.as_deref().and_then(AttendanceStatus::parse),
                    after: AttendanceStatus::parse(&after)?,
                    by,
                })
            })
            .collect())
    }
}

#[derive(FromRow)]
struct ReviewRow {
    review: String,
    #[sqlx(flatten)]
    held: HeldRow,
}

#[derive(FromRow)]
struct AttemptRow {
    id: i64,
    at_ms: i64,
    student_id: i64,
    display_name: String,
    username: String,
    outcome: String,
    reason: Option<String>,
    status: Option<String>,
    code: String,
    code_window: Option<i64>,
    device_id: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    review: Option<String>,
    reviewer: Option<String>,
    reviewed_at_ms: Option<i64>,
}

impl AttemptRow {
    fn into_line(self) -> Option<AttemptLine> {
        let outcome = AttemptOutcome::from_key(&self.outcome)?;
        let reason = self.reason.unwrap_or_default();
        let why = match outcome {
            AttemptOutcome::Accepted => String::new(),
            AttemptOutcome::Refused => CheckInRefusal::from_key(&reason)
                .map(|r| r.label().to_string())
                .unwrap_or(reason),
            AttemptOutcome::Held => reasons_from_key(&reason)
                .iter()
                .map(|r| r.label())
                .collect::<Vec<_>>()
                .join("; "),
        };
        Some(AttemptLine {
            attempt_id: self.id,
            at_ms: self.at_ms,
            student_id: self.student_id,
            student_name: self.display_name,
            username: self.username,
            outcome,
            why,
            status: self.status.as_deref().and_then(AttendanceStatus::parse),
            code: self.code,
            code_window: self.code_window,
            device_id: self.device_id,
            ip: self.ip,
            user_agent: self.user_agent,
            review: self.review.as_deref().and_then(ReviewDecision::from_key),
            reviewed_by: self.reviewer,
            reviewed_at_ms: self.reviewed_at_ms,
        })
    }
}
