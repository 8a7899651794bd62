//! A student's self check-in: which session the code names (a fixed code, or a rotating one
//! typed or scanned from a QR link), the attendance rule, the session's guards, and the attempt
//! kept for the audit. One transaction under the session's lock: a refusal changes no mark, a
//! retry of a held check-in finds the one already waiting. A repeat of a recorded check-in is
//! answered from reads alone. Which session a code names: `check_in_code`.

use super::attendance::{current_mark, write_mark, MarkChange};
use super::check_in_attempts::{pending_hold_of, record_attempt, Attempt};
use super::check_in_code::session_named;
pub use super::check_in_code::CodeLink;
use super::events::append_event;
use super::sessions::session_in;
use super::Store;
use crate::domain::check_in_review::{AttemptOutcome, HeldCheckIn};
use crate::domain::check_in_rules::{guard_check_in, GuardFacts, GuardVerdict};
use crate::domain::{
    decide_check_in, CheckInDecision, CheckInRefusal, ClassId, ClassSession, CurrentUser, JoinCode,
    Mark, MarkSource, SessionId, UserId,
};
use crate::error::{AppError, AppResult};
use crate::protocol::EventBody;
use crate::server::client_ip::{allowed_network, IpRanges};
use sqlx::AnyConnection;
use std::net::IpAddr;

/// Where a check-in comes from, as the server sees it (never as the client says).
#[derive(Debug, Clone, Default)]
pub struct CheckInDevice {
    /// The browser's device cookie.
    pub device_id: Option<String>,
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// "address · browser", for the mark's audit trail.
    pub label: Option<String>,
}

pub struct CheckInRequest<'a> {
    pub code: &'a JoinCode,
    pub link: Option<CodeLink>,
    pub device: &'a CheckInDevice,
    /// `ROLLCALL_CHECK_IN_NETWORKS`, for classes that guard by network without a list.
    pub school_networks: &'a IpRanges,
    pub now_ms: i64,
}

/// Result of a check-in that was not refused.
#[derive(Debug, Clone)]
pub enum CheckInOutcome {
    Marked {
        session: ClassSession,
        mark: Mark,
        /// The student was already marked and nothing was written.
        already_marked: bool,
    },
    /// A guard held it for the teacher (now, or at an earlier try that is still waiting).
    Held {
        session: ClassSession,
        held: HeldCheckIn,
    },
}

impl Store {
    pub async fn check_in(
        &self,
        student: &CurrentUser,
        request: CheckInRequest<'_>,
    ) -> AppResult<CheckInOutcome> {
        if let Some(repeat) = self.repeat_check_in(student, &request).await? {
            return Ok(repeat);
        }
        let now_ms = request.now_ms;
        let code = request.code;
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let named = session_named(&mut tx, code, request.link, now_ms).await?;
        let session = match &named {
            Some(named) => {
                self.lock_and_read_session(&mut tx, named.session_id)
                    .await?
            }
            None => None,
        };
        let (on_roster, existing) = match &session {
            Some(s) => (
                is_enrolled(&mut tx, s.class_id, student.id).await?,
                current_mark(&mut tx, s.id, student.id).await?,
            ),
            None => (false, None),
        };
        let expired = named.as_ref().is_some_and(|n| n.expired);
        let facts = session.as_ref().map(ClassSession::facts);
        let decision = decide_check_in(
            facts.as_ref(),
            on_roster,
            existing.as_ref(),
            expired,
            now_ms,
        );
        let window = named.as_ref().and_then(|n| n.window);
        let attempt = |session_id, outcome, reason: Option<String>| Attempt {
            session_id,
            student_id: student.id,
            outcome,
            reason,
            status: None,
            code: code.as_str(),
            code_window: window,
            device: request.device,
        };
        let (session, status) = match (session, decision) {
            (_, Err(refusal)) => {
                // Tell the teacher concerned: the session the code named, or for a wrong code
                // the open sessions of the student's own classes (they probably mistyped). In
                // id order, so concurrent refusals lock those logs in the same order.
                let sessions: Vec<i64> = match &named {
                    Some(named) => vec![named.session_id],
                    None => open_sessions_of_student(&mut tx, student.id).await?,
                };
                let mut log = Vec::new();
                let reason = Some(refusal.key().to_string());
                if sessions.is_empty() {
                    let refused = attempt(None, AttemptOutcome::Refused, reason.clone());
                    record_attempt(&mut tx, &refused, now_ms).await?;
                }
                for session_id in sessions {
                    let refused =
                        attempt(Some(session_id), AttemptOutcome::Refused, reason.clone());
                    record_attempt(&mut tx, &refused, now_ms).await?;
                    let body = refused_event(session_id, student, refusal, code);
                    append_event(&mut tx, &mut log, now_ms, body).await?;
                }
                self.commit(tx, log).await?;
                return Err(refusal.into());
            }
            (Some(session), Ok(CheckInDecision::AlreadyMarked(mark))) => {
                return Ok(CheckInOutcome::Marked {
                    session,
                    mark,
                    already_marked: true,
                })
            }
            (Some(session), Ok(CheckInDecision::Record(status))) => (session, status),
            (None, Ok(_)) => return Err(AppError::internal()), // the rule refuses a missing session
        };
        let guard = GuardFacts {
            device_used_by_another: session.rules.one_student_per_device
                && device_used_by_another(&mut tx, session.id, student.id, request.device).await?,
            inside_network: allowed_network(
                &session.rules,
                request.school_networks,
                request.device.ip,
            ),
        };
        let mut log = Vec::new();
        match guard_check_in(&session.rules, guard) {
            GuardVerdict::Accept => {
                let change = MarkChange {
                    session_id: session.id,
                    student_id: student.id,
                    student_name: student.display_name.clone(),
                    status,
                    source: MarkSource::SelfCheckIn,
                    previous: None,
                    by_user_id: Some(student.id),
                    device: request.device.label.clone(),
                };
                let mark = write_mark(&mut tx, &mut log, change, now_ms).await?;
                let mut accepted = attempt(Some(session.id), AttemptOutcome::Accepted, None);
                accepted.status = Some(status);
                record_attempt(&mut tx, &accepted, now_ms).await?;
                self.commit(tx, log).await?;
                Ok(CheckInOutcome::Marked {
                    session,
                    mark,
                    already_marked: false,
                })
            }
            GuardVerdict::Hold(reasons) => {
                if let Some(held) = pending_hold_of(&mut tx, session.id, student.id).await? {
                    return Ok(CheckInOutcome::Held { session, held });
                }
                let key = crate::domain::check_in_rules::reasons_key(&reasons);
                let mut waiting = attempt(Some(session.id), AttemptOutcome::Held, Some(key));
                waiting.status = Some(status);
                let attempt_id = record_attempt(&mut tx, &waiting, now_ms).await?;
                let held = HeldCheckIn {
                    attempt_id,
                    session_id: session.id,
                    student_id: student.id,
                    student_name: student.display_name.clone(),
                    reasons: reasons.clone(),
                    status,
                    at_ms: now_ms,
                };
                let body = EventBody::CheckInHeld {
                    session_id: session.id,
                    attempt_id,
                    student_id: student.id,
                    student_name: student.display_name.clone(),
                    reasons,
                    status,
                };
                append_event(&mut tx, &mut log, now_ms, body).await?;
                self.commit(tx, log).await?;
                Ok(CheckInOutcome::Held { session, held })
            }
            GuardVerdict::Refuse(refusal) => {
                let reason = Some(refusal.key().to_string());
                let refused = attempt(Some(session.id), AttemptOutcome::Refused, reason);
                record_attempt(&mut tx, &refused, now_ms).await?;
                let body = refused_event(session.id, student, refusal, code);
                append_event(&mut tx, &mut log, now_ms, body).await?;
                self.commit(tx, log).await?;
                Err(refusal.into())
            }
        }
    }
}

impl Store {
    /// A repeat (the student is already marked in the session the code names), answered from
    /// plain reads: no writer, no session lock. Double taps, retries and an outbox sent again
    /// are common and change nothing; only a check-in that may record something waits its
    /// turn (and decides again under the lock).
    async fn repeat_check_in(
        &self,
        student: &CurrentUser,
        request: &CheckInRequest<'_>,
    ) -> AppResult<Option<CheckInOutcome>> {
        let mut conn = self.pool.acquire().await?;
        let Some(named) =
            session_named(&mut conn, request.code, request.link, request.now_ms).await?
        else {
            return Ok(None);
        };
        let Some(existing) = current_mark(&mut conn, named.session_id, student.id).await? else {
            return Ok(None);
        };
        let Some(session) = session_in(&mut conn, named.session_id).await? else {
            return Ok(None);
        };
        let on_roster = is_enrolled(&mut conn, session.class_id, student.id).await?;
        let decision = decide_check_in(
            Some(&session.facts()),
            on_roster,
            Some(&existing),
            named.expired,
            request.now_ms,
        );
        Ok(match decision {
            Ok(CheckInDecision::AlreadyMarked(mark)) => Some(CheckInOutcome::Marked {
                session,
                mark,
                already_marked: true,
            }),
            _ => None,
        })
    }
}

fn refused_event(
    session_id: SessionId,
    student: &CurrentUser,
    reason: CheckInRefusal,
    code: &JoinCode,
) -> EventBody {
    EventBody::CheckInRefused {
        session_id,
        student_id: student.id,
        student_name: student.display_name.clone(),
        reason,
        code: code.to_string(),
    }
}

/// Whether this device already checked in (or is waiting for) another student here.
pub(super) async fn device_used_by_another(
    conn: &mut AnyConnection,
    session_id: SessionId,
    student_id: UserId,
    device: &CheckInDevice,
) -> sqlx::Result<bool> {
    let Some(device_id) = &device.device_id else {
        return Ok(false);
    };
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM check_in_attempts WHERE session_id = $1 AND device_id = $2 \
         AND student_id <> $3 AND outcome IN ('accepted', 'held') LIMIT 1",
    )
    .bind(session_id)
    .bind(device_id)
    .bind(student_id)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

async fn open_sessions_of_student(
    conn: &mut AnyConnection,
    student_id: UserId,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT s.id FROM class_sessions s JOIN enrollments e ON e.class_id = s.class_id \
         WHERE e.student_id = $1 AND s.is_open = 1 ORDER BY s.id",
    )
    .bind(student_id)
    .fetch_all(conn)
    .await
}

pub(super) async fn is_enrolled(
    conn: &mut AnyConnection,
    class_id: ClassId,
    student_id: UserId,
) -> sqlx::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT student_id FROM enrollments WHERE class_id = $1 AND student_id = $2",
    )
    .bind(class_id)
    .bind(student_id)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}
