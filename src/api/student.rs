use crate::domain::{AttendanceStatus, MarkSource, SessionId};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// The answer to an accepted check-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckInReceipt {
    pub session_id: SessionId,
    pub class_name: String,
    pub status: AttendanceStatus,
    pub source: MarkSource,
    pub marked_at_ms: i64,
    /// "09:03" in the school's time.
    pub marked_at_label: String,
    /// True when this student was already marked and nothing changed.
    pub already_marked: bool,
    /// Set when a guard held the check-in for the teacher's review: `status` is then the mark
    /// it gives once accepted, and nothing is marked yet.
    pub held: Option<HeldNotice>,
}

/// Why a check-in waits for the teacher, for the student.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldNotice {
    pub attempt_id: i64,
    pub reasons: Vec<crate::domain::HoldReason>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub session_id: SessionId,
    pub class_name: String,
    pub date_label: String,
    pub starts_at_label: String,
    pub is_open: bool,
    /// `None`: not yet marked (the session is still open).
    pub status: Option<AttendanceStatus>,
    pub source: Option<MarkSource>,
}

/// Checks the signed-in student in with the join code their teacher shows. A QR link for a
/// rotating code also gives the `session` and `window` the code belongs to, so a scan that
/// arrives too late is told "expired" rather than "wrong"; a typed code needs neither.
#[server(endpoint = "check_in", input = Json)]
pub async fn check_in(
    code: String,
    session: Option<SessionId>,
    window: Option<i64>,
) -> Result<CheckInReceipt, AppError> {
    use crate::domain::check_in_rules::held_message;
    use crate::domain::{JoinCode, Role};
    use crate::server::store::{CheckInDevice, CheckInOutcome, CheckInRequest, CodeLink};
    use crate::server::{auth, device, now_ms, state};

    let student = auth::require_role(&[Role::Student], "Only students check in.").await?;
    let state = state();
    state.limits.check_in(&student.id.to_string())?;
    let code = JoinCode::parse(&code).map_err(AppError::bad_request)?;
    let link = match (session, window) {
        (Some(session_id), Some(window)) => Some(CodeLink { session_id, window }),
        _ => None,
    };
    let headers = auth::request_headers();
    let device = CheckInDevice {
        device_id: Some(device::calling_device_id()),
        ip: auth::client_address(),
        user_agent: headers
            .as_ref()
            .and_then(|h| h.get(axum::http::header::USER_AGENT))
            .and_then(|v| v.to_str().ok())
            .map(|agent| agent.chars().take(160).collect()),
        label: auth::calling_device(),
    };
    let request = CheckInRequest {
        code: &code,
        link,
        device: &device,
        school_networks: &state.config.check_in_networks,
        now_ms: now_ms(),
    };
    let zone = &state.config.time_zone;
    Ok(match state.store.check_in(&student, request).await? {
        CheckInOutcome::Marked {
            session,
            mark,
            already_marked,
        } => CheckInReceipt {
            session_id: session.id,
            class_name: session.class_name,
            status: mark.status,
            source: mark.source,
            marked_at_ms: mark.marked_at_ms,
            marked_at_label: zone.clock_label(mark.marked_at_ms),
            already_marked,
            held: None,
        },
        CheckInOutcome::Held { session, held } => CheckInReceipt {
            session_id: session.id,
            class_name: session.class_name,
            status: held.status,
            source: MarkSource::SelfCheckIn,
            marked_at_ms: held.at_ms,
            marked_at_label: zone.clock_label(held.at_ms),
            already_marked: false,
            held: Some(HeldNotice {
                attempt_id: held.attempt_id,
                message: held_message(&held.reasons),
                reasons: held.reasons,
            }),
        },
    })
}

/// The signed-in student's recent sessions and marks, newest first.
#[server(endpoint = "my_attendance", input = Json)]
pub async fn my_attendance() -> Result<Vec<HistoryEntry>, AppError> {
    use crate::domain::Role;
    use crate::server::{auth, state};

    let student =
        auth::require_role(&[Role::Student], "Attendance history is for students.").await?;
    let state = state();
    let zone = &state.config.time_zone;
    let sessions = state.store.student_history(student.id, 20).await?;
    Ok(sessions
        .into_iter()
        .map(|s| HistoryEntry {
            session_id: s.session_id,
            class_name: s.class_name,
            date_label: zone.date_label(s.starts_at_ms),
            starts_at_label: zone.clock_label(s.starts_at_ms),
            is_open: s.is_open,
            status: s.status,
            source: s.source,
        })
        .collect())
}
