//! Timetables (a class's weekly meetings) and school holidays. A class's teachers and admins
//! edit its timetable; holidays are the school's, so only admins change them. Every change
//! re-plans the upcoming sessions at once.

use crate::domain::timetable::{Holiday, HolidayInput, Meeting, MeetingInput};
use crate::domain::ClassId;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimetableView {
    pub class_id: ClassId,
    pub class_name: String,
    pub archived: bool,
    pub meetings: Vec<Meeting>,
    pub holidays: Vec<Holiday>,
    /// The school's IANA time zone: every time in the timetable is on its clock.
    pub time_zone: String,
    /// Minutes before its start a scheduled session opens for check-in.
    pub check_in_opens_minutes: u32,
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::domain::{ClassId, CurrentUser};
    use crate::error::{AppError, AppResult};

    /// The class's name and archived flag, if the caller runs it (its teachers, or an admin).
    pub async fn class_run_by(user: &CurrentUser, class_id: ClassId) -> AppResult<(String, bool)> {
        let store = &crate::server::state().store;
        let teachers = store
            .class_teachers(class_id)
            .await?
            .ok_or_else(|| AppError::not_found("There is no such class."))?;
        crate::api::teacher::ssr::check_runs(user, &teachers)?;
        store
            .class_name(class_id)
            .await?
            .ok_or_else(|| AppError::not_found("There is no such class."))
    }
}

/// The class's weekly meetings and the school's holidays.
#[server(endpoint = "class_timetable", input = Json)]
pub async fn class_timetable(class_id: ClassId) -> Result<TimetableView, AppError> {
    let user = crate::api::teacher::ssr::staff().await?;
    let (class_name, archived) = ssr::class_run_by(&user, class_id).await?;
    let state = crate::server::state();
    Ok(TimetableView {
        class_id,
        class_name,
        archived,
        meetings: state.store.meetings_of(class_id).await?,
        holidays: state.store.holidays().await?,
        time_zone: state.config.time_zone.name().to_string(),
        check_in_opens_minutes: state.config.check_in_opens_minutes,
    })
}

/// Adds a weekly meeting to the class's timetable; its sessions are scheduled at once.
#[server(endpoint = "add_meeting", input = Json)]
pub async fn add_meeting(class_id: ClassId, meeting: MeetingInput) -> Result<Meeting, AppError> {
    use crate::domain::timetable::MeetingRule;
    use crate::server::{now_ms, state};

    let user = crate::api::teacher::ssr::staff().await?;
    let (_, archived) = ssr::class_run_by(&user, class_id).await?;
    if archived {
        return Err(AppError::conflict(
            "This class is archived; restore it before changing its timetable.",
        ));
    }
    let rule = MeetingRule::parse(&meeting).map_err(AppError::bad_request)?;
    let state = state();
    state
        .store
        .add_meeting(class_id, &rule, &state.config.time_zone, now_ms())
        .await
}

/// Removes a weekly meeting and its upcoming sessions; sessions already held stay.
#[server(endpoint = "remove_meeting", input = Json)]
pub async fn remove_meeting(meeting_id: i64) -> Result<(), AppError> {
    let user = crate::api::teacher::ssr::staff().await?;
    let store = &crate::server::state().store;
    let not_found = || AppError::not_found("There is no such meeting.");
    let class_id = store
        .meeting_class(meeting_id)
        .await?
        .ok_or_else(not_found)?;
    // Someone else's class answers like a missing meeting: it tells nothing about it.
    ssr::class_run_by(&user, class_id)
        .await
        .map_err(|_| not_found())?;
    store.remove_meeting(meeting_id).await?;
    Ok(())
}

/// The school's holidays (any staff member may read them).
#[server(endpoint = "list_holidays", input = Json)]
pub async fn list_holidays() -> Result<Vec<Holiday>, AppError> {
    crate::api::teacher::ssr::staff().await?;
    crate::server::state().store.holidays().await
}

/// Adds a school holiday (admins): scheduled sessions on those days are removed.
#[server(endpoint = "add_holiday", input = Json)]
pub async fn add_holiday(holiday: HolidayInput) -> Result<Holiday, AppError> {
    use crate::domain::timetable::{parse_day_range, MAX_TERM_DAYS};
    use crate::domain::Role;
    use crate::server::{auth, now_ms, state};

    auth::require_role(&[Role::Admin], "Holidays are set by admins.").await?;
    let name = holiday.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::bad_request(
            "Give the holiday a name of at most 100 characters.",
        ));
    }
    let days =
        parse_day_range(&holiday.first_day, &holiday.last_day).map_err(AppError::bad_request)?;
    if (days.last - days.first).get_days() >= MAX_TERM_DAYS {
        return Err(AppError::bad_request("A holiday that long is a typo."));
    }
    let state = state();
    state
        .store
        .add_holiday(name, days, &state.config.time_zone, now_ms())
        .await
}

/// Removes a school holiday (admins): its days are scheduled again.
#[server(endpoint = "remove_holiday", input = Json)]
pub async fn remove_holiday(holiday_id: i64) -> Result<(), AppError> {
    use crate::domain::Role;
    use crate::server::{auth, now_ms, state};

    auth::require_role(&[Role::Admin], "Holidays are set by admins.").await?;
    let state = state();
    let removed = state
        .store
        .remove_holiday(holiday_id, &state.config.time_zone, now_ms())
        .await?;
    if removed {
        Ok(())
    } else {
        Err(AppError::not_found("There is no such holiday."))
    }
}
