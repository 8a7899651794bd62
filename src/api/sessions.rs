//! A class's sessions over time (upcoming and past) and a session's audit trail, for the
//! class's teachers and admins.

use crate::domain::{ClassId, MarkChangeEntry, SessionId, SessionListing};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// How many past sessions one page of `class_sessions` holds.
pub const PAST_PAGE: usize = 30;
/// How many upcoming sessions `class_sessions` lists.
pub const UPCOMING_SHOWN: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassSessionsView {
    pub class_id: ClassId,
    pub class_name: String,
    pub archived: bool,
    pub teacher_name: String,
    /// The next sessions the timetable has scheduled, soonest first.
    pub upcoming: Vec<SessionListing>,
    /// Sessions that opened or ended, newest first, starting before `before_ms` if given.
    pub past: Vec<SessionListing>,
    /// Pass as `before_ms` for the next page; `None` when there is none.
    pub older_before_ms: Option<i64>,
    /// Offset from UTC of the school's zone for each listed session's start, in minutes (by
    /// session id order of `upcoming` then `past`); the page labels times with it.
    pub utc_offsets: Vec<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionChangesView {
    pub session_id: SessionId,
    pub changes: Vec<MarkChangeEntry>,
    /// The school's offset from UTC on the session's day, for the times.
    pub utc_offset_minutes: i32,
}

/// The class's upcoming and past sessions with their headcounts (its teachers and admins).
#[server(endpoint = "class_sessions", input = Json)]
pub async fn class_sessions(
    class_id: ClassId,
    before_ms: Option<i64>,
) -> Result<ClassSessionsView, AppError> {
    use crate::api::teacher::ssr::{check_runs, staff};
    use crate::server::state;

    let user = staff().await?;
    let state = state();
    let not_found = || AppError::not_found("There is no such class.");
    let teachers = state
        .store
        .class_teachers(class_id)
        .await?
        .ok_or_else(not_found)?;
    check_runs(&user, &teachers)?;
    let (class_name, archived) = state
        .store
        .class_name(class_id)
        .await?
        .ok_or_else(not_found)?;
    let (upcoming, past) = state
        .store
        .class_sessions(
            class_id,
            UPCOMING_SHOWN as i64,
            PAST_PAGE as i64,
            before_ms.unwrap_or(i64::MAX),
        )
        .await?;
    let older_before_ms = (past.len() == PAST_PAGE)
        .then(|| past.last().map(|s| s.starts_at_ms))
        .flatten();
    let zone = &state.config.time_zone;
    let utc_offsets = upcoming
        .iter()
        .chain(&past)
        .map(|s| zone.offset_minutes_at(s.starts_at_ms))
        .collect();
    let teacher_name = state.store.class_teacher_names(class_id).await?;
    Ok(ClassSessionsView {
        class_id,
        class_name,
        archived,
        teacher_name,
        upcoming,
        past,
        older_before_ms,
        utc_offsets,
    })
}

/// Every change of a mark in the session, oldest first: who, when, before and after.
#[server(endpoint = "session_changes", input = Json)]
pub async fn session_changes(session_id: SessionId) -> Result<SessionChangesView, AppError> {
    use crate::api::teacher::ssr::{session_for_staff, staff};

    let user = staff().await?;
    let session = session_for_staff(&user, session_id).await?;
    let state = crate::server::state();
    Ok(SessionChangesView {
        session_id,
        changes: state.store.session_changes(session_id).await?,
        utc_offset_minutes: state
            .config
            .time_zone
            .offset_minutes_at(session.starts_at_ms),
    })
}
