//! The offline outbox, server side: each entry of a device's queue is applied in its own
//! transaction together with the device's position (`outbox_devices.last_seq`), so an entry is
//! applied exactly once however often it is sent, and never after a missing one. Attendance
//! rules decide what an entry does (`domain::outbox`).

use super::attendance::{current_mark, roster_name, write_mark, MarkChange, NOT_ON_ROSTER};
use super::check_in::{device_used_by_another, is_enrolled, CheckInDevice};
use super::check_in_attempts::{pending_hold_of, record_attempt, Attempt};
use super::check_in_code::{code_key, session_named, CodeLink};
use super::events::append_event;
use super::sessions::session_in;
use super::{Backend, Store};
use crate::domain::check_in_review::AttemptOutcome;
use crate::domain::check_in_rules::{held_message, reasons_key};
use crate::domain::outbox::{
    classify_seq, decide_offline_mark, offline_check_in_writes, EntryAnswer, OfflineChange,
    OfflineMarkDecision, OutboxEntry, SeqVerdict,
};
use crate::domain::rotating_code::{is_code_of, window_bounds};
use crate::domain::{
    may_run_class, AttendanceStatus, CheckInRefusal, ClassSession, CurrentUser, HoldReason,
    JoinCode, MarkSource, Role, SessionPhase,
};
use crate::error::AppResult;
use crate::protocol::{Event, EventBody};
use sqlx::AnyConnection;

/// How long after its window a scanned code still proves presence when it syncs.
pub const PROOF_VALID_FOR_MS: i64 = 24 * 3_600_000;

impl Store {
    /// Applies one entry of `device_id`'s outbox for `user`, or answers that it was applied
    /// before, or that one is missing before it.
    pub async fn sync_entry(
        &self,
        user: &CurrentUser,
        device_id: &str,
        entry: &OutboxEntry,
        device: &CheckInDevice,
        now_ms: i64,
    ) -> AppResult<EntryAnswer> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO outbox_devices (user_id, device_id, last_seq, synced_at_ms) \
             VALUES ($1, $2, 0, $3) ON CONFLICT (user_id, device_id) DO NOTHING",
        )
        .bind(user.id)
        .bind(device_id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        let lock = if self.backend == Backend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        let last: i64 = sqlx::query_scalar(&format!(
            "SELECT last_seq FROM outbox_devices WHERE user_id = $1 AND device_id = $2{lock}"
        ))
        .bind(user.id)
        .bind(device_id)
        .fetch_one(&mut *tx)
        .await?;
        match classify_seq(last.max(0) as u64, entry.seq) {
            SeqVerdict::Duplicate => return Ok(EntryAnswer::Duplicate),
            SeqVerdict::Gap { expected } => return Ok(EntryAnswer::Gap { expected }),
            SeqVerdict::Next => {}
        }
        let mut log = Vec::new();
        let mut apply = Apply {
            store: self,
            conn: &mut tx,
            log: &mut log,
            user,
            device,
            now_ms,
        };
        let answer = match &entry.change {
            OfflineChange::CheckIn {
                code,
                session_id,
                window,
            } => {
                let link = session_id
                    .zip(*window)
                    .map(|(session_id, window)| CodeLink { session_id, window });
                apply.check_in(code, link).await?
            }
            OfflineChange::Mark {
                session_id,
                student_id,
                status,
                seen_version,
            } => {
                apply
                    .mark(*session_id, *student_id, *status, *seen_version)
                    .await?
            }
        };
        sqlx::query(
            "UPDATE outbox_devices SET last_seq = $3, synced_at_ms = $4 \
             WHERE user_id = $1 AND device_id = $2",
        )
        .bind(user.id)
        .bind(device_id)
        .bind(entry.seq as i64)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        self.commit(tx, log).await?;
        Ok(answer)
    }
}

/// One entry being applied inside the device's transaction.
struct Apply<'a> {
    store: &'a Store,
    conn: &'a mut AnyConnection,
    log: &'a mut Vec<Event>,
    user: &'a CurrentUser,
    device: &'a CheckInDevice,
    now_ms: i64,
}

fn refused(reason: impl Into<String>) -> EntryAnswer {
    EntryAnswer::Refused {
        reason: reason.into(),
    }
}

impl Apply<'_> {
    /// A check-in made offline. A scanned rotating code proves the window it was made in: the
    /// student counts as there then (present or late by that time), even if the session has
    /// closed since, when it syncs within a day. Without such proof it is an ordinary check-in
    /// while the session is open with that code valid, and otherwise waits for the teacher.
    async fn check_in(&mut self, code: &str, link: Option<CodeLink>) -> AppResult<EntryAnswer> {
        if self.user.role != Role::Student {
            return Ok(refused("Only students check in."));
        }
        let code = match JoinCode::parse(code) {
            Ok(code) => code,
            Err(message) => return Ok(refused(message)),
        };
        // When the student was there: the start of the proven window, or now for a code that
        // is still valid; `None` when nothing says.
        let (session_id, at, by_proof) = match self.proof(&code, link).await? {
            Some((session_id, start)) => (session_id, Some(start), true),
            None => match session_named(self.conn, &code, link, self.now_ms).await? {
                Some(named) => (
                    named.session_id,
                    (!named.expired).then_some(self.now_ms),
                    false,
                ),
                None => return Ok(refused(CheckInRefusal::WrongCode.message())),
            },
        };
        self.store.lock_session(self.conn, session_id).await?;
        let Some(session) = session_in(self.conn, session_id).await? else {
            return Ok(refused(CheckInRefusal::WrongCode.message()));
        };
        let window = link.map(|l| l.window);
        let (user, device, now_ms) = (self.user, self.device, self.now_ms);
        let session_key = session.id;
        let attempt = |outcome, reason: Option<String>, status| Attempt {
            session_id: Some(session_key),
            student_id: user.id,
            outcome,
            reason,
            status,
            code: code.as_str(),
            code_window: window,
            device,
        };
        if session.phase() == SessionPhase::Upcoming {
            return Ok(refused("This session has not started yet."));
        }
        if !is_enrolled(self.conn, session.class_id, self.user.id).await? {
            let reason = Some(CheckInRefusal::NotOnRoster.key().to_string());
            let refusal = attempt(AttemptOutcome::Refused, reason, None);
            record_attempt(self.conn, &refusal, now_ms).await?;
            return Ok(refused(CheckInRefusal::NotOnRoster.message()));
        }
        // Unproven and too late (closed, or the code expired meanwhile): the teacher decides.
        let live = at.filter(|_| by_proof || session.is_open);
        let at = live.unwrap_or(now_ms);
        let status = if at <= session.facts().late_from_ms() {
            AttendanceStatus::Present
        } else {
            AttendanceStatus::Late
        };
        let shared = session.rules.one_student_per_device
            && device_used_by_another(self.conn, session.id, self.user.id, self.device).await?;
        let reasons: Vec<HoldReason> = [
            (live.is_none(), HoldReason::Unproven),
            (shared, HoldReason::SharedDevice),
        ]
        .into_iter()
        .filter_map(|(applies, reason)| applies.then_some(reason))
        .collect();
        let current = current_mark(self.conn, session.id, self.user.id).await?;
        if !reasons.is_empty() {
            if !offline_check_in_writes(current.as_ref(), status) {
                return Ok(EntryAnswer::Applied { mark: current });
            }
            let waiting = attempt(AttemptOutcome::Held, None, Some(status));
            return self.hold(&session, reasons, status, waiting).await;
        }
        if !offline_check_in_writes(current.as_ref(), status) {
            return Ok(EntryAnswer::Applied { mark: current });
        }
        let change = MarkChange {
            session_id: session.id,
            student_id: self.user.id,
            student_name: self.user.display_name.clone(),
            status,
            source: MarkSource::SelfCheckIn,
            previous: current.map(|m| m.status),
            by_user_id: Some(self.user.id),
            device: self.device.label.clone(),
        };
        let mark = write_mark(self.conn, self.log, change, now_ms).await?;
        let accepted = attempt(AttemptOutcome::Accepted, None, Some(status));
        record_attempt(self.conn, &accepted, now_ms).await?;
        Ok(EntryAnswer::Applied { mark: Some(mark) })
    }

    /// A QR link's code that really is its window's, from while the session was open and
    /// less than a day ago: the session and the start of that window.
    async fn proof(
        &mut self,
        code: &JoinCode,
        link: Option<CodeLink>,
    ) -> AppResult<Option<(i64, i64)>> {
        let Some(link) = link else { return Ok(None) };
        let Some((secret, period)) = code_key(self.conn, link.session_id).await? else {
            return Ok(None);
        };
        if !is_code_of(
            secret.as_bytes(),
            link.session_id,
            period,
            link.window,
            code,
        ) {
            return Ok(None);
        }
        let (start, end) = window_bounds(link.window, period);
        let open: Option<(Option<i64>, Option<i64>)> =
            sqlx::query_as("SELECT opened_at_ms, closed_at_ms FROM class_sessions WHERE id = $1")
                .bind(link.session_id)
                .fetch_optional(&mut *self.conn)
                .await?;
        let during = matches!(open, Some((Some(opened), closed))
            if end > opened && closed.is_none_or(|closed| start <= closed));
        let fresh = self.now_ms - end <= PROOF_VALID_FOR_MS && start <= self.now_ms;
        Ok((during && fresh).then_some((link.session_id, start)))
    }

    async fn hold(
        &mut self,
        session: &ClassSession,
        reasons: Vec<HoldReason>,
        status: AttendanceStatus,
        mut waiting: Attempt<'_>,
    ) -> AppResult<EntryAnswer> {
        if let Some(held) = pending_hold_of(self.conn, session.id, self.user.id).await? {
            return Ok(EntryAnswer::NeedsReview {
                attempt_id: held.attempt_id,
                message: held_message(&held.reasons),
            });
        }
        waiting.reason = Some(reasons_key(&reasons));
        let attempt_id = record_attempt(self.conn, &waiting, self.now_ms).await?;
        let message = held_message(&reasons);
        let body = EventBody::CheckInHeld {
            session_id: session.id,
            attempt_id,
            student_id: self.user.id,
            student_name: self.user.display_name.clone(),
            reasons,
            status,
        };
        append_event(self.conn, self.log, self.now_ms, body).await?;
        Ok(EntryAnswer::NeedsReview {
            attempt_id,
            message,
        })
    }

    /// A teacher's mark made offline: written unless someone else marked the student
    /// meanwhile (then both values go back as a conflict).
    async fn mark(
        &mut self,
        session_id: i64,
        student_id: i64,
        status: AttendanceStatus,
        seen_version: Option<i64>,
    ) -> AppResult<EntryAnswer> {
        if self.user.role == Role::Student {
            return Ok(refused("Only teachers mark attendance."));
        }
        self.store.lock_session(self.conn, session_id).await?;
        let session = match session_in(self.conn, session_id).await? {
            Some(session) if may_run_class(self.user, &session.teacher_ids) => session,
            _ => return Ok(refused("You cannot mark in that session.")),
        };
        if session.phase() == SessionPhase::Upcoming {
            return Ok(refused(
                "This session has not started yet, so nobody can be marked in it.",
            ));
        }
        let Some(student_name) = roster_name(self.conn, &session, student_id).await? else {
            return Ok(refused(NOT_ON_ROSTER));
        };
        let current = current_mark(self.conn, session.id, student_id).await?;
        match decide_offline_mark(current.as_ref(), seen_version, status) {
            OfflineMarkDecision::Unchanged => Ok(EntryAnswer::Applied { mark: current }),
            OfflineMarkDecision::Conflict => Ok(EntryAnswer::Conflict {
                yours: status,
                theirs: current,
            }),
            OfflineMarkDecision::Write => {
                let change = MarkChange {
                    session_id: session.id,
                    student_id,
                    student_name,
                    status,
                    source: MarkSource::Teacher,
                    previous: current.map(|m| m.status),
                    by_user_id: Some(self.user.id),
                    device: self.device.label.clone(),
                };
                let mark = write_mark(self.conn, self.log, change, self.now_ms).await?;
                Ok(EntryAnswer::Applied { mark: Some(mark) })
            }
        }
    }
}
