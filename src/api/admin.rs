use crate::domain::{AttendanceCounts, SessionId, SessionPhase};
use crate::error::AppError;
use crate::protocol::StreamPosition;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub id: SessionId,
    pub class_name: String,
    pub teacher_name: String,
    pub starts_at_label: String,
    pub is_open: bool,
    pub phase: SessionPhase,
    pub counts: AttendanceCounts,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchoolDay {
    /// The point in the school channel's log this snapshot reflects.
    pub position: StreamPosition,
    pub date_label: String,
    pub sessions: Vec<SessionSummary>,
    pub totals: AttendanceCounts,
}

/// Today's sessions across the school with counts and rates (admins only).
#[server(endpoint = "school_today", input = Json)]
pub async fn school_today() -> Result<SchoolDay, AppError> {
    use crate::domain::Role;
    use crate::server::{auth, now_ms, state};

    auth::require_role(&[Role::Admin], "The school overview is for admins.").await?;
    let state = state();
    let zone = &state.config.time_zone;
    let now = now_ms();
    let today = zone.date_of(now);
    let from = zone.start_of(today);
    let to = today.tomorrow().map_or(from, |day| zone.start_of(day));
    let mut totals = AttendanceCounts::default();
    let (sessions, position) = state.store.sessions_between(from, to).await?;
    let sessions = sessions
        .into_iter()
        .map(|(session, counts)| {
            totals.merge(counts);
            SessionSummary {
                phase: session.phase(),
                id: session.id,
                class_name: session.class_name,
                teacher_name: session.teacher_name,
                starts_at_label: zone.clock_label(session.starts_at_ms),
                is_open: session.is_open,
                counts,
            }
        })
        .collect();
    Ok(SchoolDay {
        position,
        date_label: zone.date_label(now),
        sessions,
        totals,
    })
}

/// The background job queue as an admin sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobQueueView {
    pub queued: i64,
    pub running: i64,
    /// Queued again after failing.
    pub retrying: i64,
    pub dead: i64,
    /// The latest jobs given up, newest first.
    pub dead_letters: Vec<DeadLetterLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetterLine {
    pub kind: String,
    pub key: String,
    pub attempts: i64,
    pub last_error: String,
    pub when_label: String,
}

/// Queue depth, failures and the latest dead letters (admins only; the same depth is in
/// `/metrics`).
#[server(endpoint = "job_queue", input = Json)]
pub async fn job_queue() -> Result<JobQueueView, AppError> {
    use crate::domain::Role;
    use crate::server::{auth, state};

    auth::require_role(&[Role::Admin], "The job queue is for admins.").await?;
    let state = state();
    let zone = &state.config.time_zone;
    let depth = state.store.queue_depth().await?;
    let dead_letters = state
        .store
        .dead_letters(20)
        .await?
        .into_iter()
        .map(|dead| DeadLetterLine {
            kind: dead.kind,
            key: dead.key,
            attempts: dead.attempts,
            last_error: dead.last_error.unwrap_or_default(),
            when_label: dead.finished_at_ms.map_or(String::new(), |at| {
                format!("{} {}", zone.date_label(at), zone.clock_label(at))
            }),
        })
        .collect();
    Ok(JobQueueView {
        queued: depth.queued,
        running: depth.running,
        retrying: depth.retrying,
        dead: depth.dead,
        dead_letters,
    })
}
