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

/// Checks the signed-in student in with the join code their teacher shows.
#[server(endpoint = "check_in", input = Json)]
pub async fn check_in(code: String) -> Result<CheckInReceipt, AppError> {
    use crate::domain::{JoinCode, Role};
    use crate::server::{auth, now_ms, state};

    let student = auth::require_role(&[Role::Student], "Only students check in.").await?;
    let state = state();
    state.limits.check_in(&student.id.to_string())?;
    let code = JoinCode::parse(&code).map_err(AppError::bad_request)?;
    let outcome = state
        .store
        .check_in(&student, &code, auth::calling_device(), now_ms())
        .await?;
    Ok(CheckInReceipt {
        session_id: outcome.session.id,
        class_name: outcome.session.class_name,
        status: outcome.mark.status,
        source: outcome.mark.source,
        marked_at_ms: outcome.mark.marked_at_ms,
        marked_at_label: state
            .config
            .time_zone
            .clock_label(outcome.mark.marked_at_ms),
        already_marked: outcome.already_marked,
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
