//! `GET /api/reports/check-ins.csv?session=<id>`: a session's check-in audit as CSV, one line
//! per attempt, for the session's teachers and admins (columns in docs/api.md).

use super::report_csv::Table;
use crate::domain::check_in_review::AttemptOutcome;
use crate::domain::{may_run_class, CurrentUser, SessionId};
use crate::error::{AppError, AppResult};
use crate::server::AppState;

pub(super) async fn check_ins_table(
    state: &AppState,
    user: &CurrentUser,
    session_id: Option<SessionId>,
) -> AppResult<Table> {
    let session_id =
        session_id.ok_or_else(|| AppError::bad_request("Say which session: session=…"))?;
    let session = state.store.existing_session(session_id).await?;
    if !may_run_class(user, &session.teacher_ids) {
        return Err(AppError::forbidden("This is another teacher's class."));
    }
    let zone = &state.config.time_zone;
    let header_row = [
        "Time",
        "Student",
        "Username",
        "Outcome",
        "Why",
        "Mark",
        "Code",
        "Code window",
        "Device",
        "Address",
        "Browser",
        "Review",
        "Reviewed by",
        "Reviewed at",
    ]
    .map(String::from)
    .to_vec();
    let rows = state
        .store
        .check_in_attempts(session_id)
        .await?
        .into_iter()
        .map(|a| {
            vec![
                format!("{} {}", zone.date_label(a.at_ms), zone.clock_label(a.at_ms)),
                a.student_name,
                a.username,
                match a.outcome {
                    AttemptOutcome::Accepted => "accepted",
                    AttemptOutcome::Held => "held",
                    AttemptOutcome::Refused => "refused",
                }
                .to_string(),
                a.why,
                a.status.map_or(String::new(), |s| s.as_str().to_string()),
                a.code,
                a.code_window.map_or(String::new(), |w| w.to_string()),
                a.device_id.unwrap_or_default(),
                a.ip.unwrap_or_default(),
                a.user_agent.unwrap_or_default(),
                a.review.map_or(
                    if a.outcome == AttemptOutcome::Held {
                        "pending"
                    } else {
                        ""
                    }
                    .to_string(),
                    |r| r.key().to_string(),
                ),
                a.reviewed_by.unwrap_or_default(),
                a.reviewed_at_ms
                    .map_or(String::new(), |at| zone.clock_label(at)),
            ]
        })
        .collect();
    Ok(Table {
        filename: format!("check-ins-{}-session-{session_id}.csv", session.class_name),
        header_row,
        rows,
    })
}
