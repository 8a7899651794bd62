//! Absence excuses. A student submits one for a range of days (past or future) and their
//! classes; a teacher or admin may submit one for a student. A teacher of the class or an admin
//! approves or declines it; approved, it marks the class's sessions in the range excused (ones
//! still to come when they open). A student may withdraw a pending one.

use crate::domain::excuse::{Excuse, ExcuseDecision, ExcuseInput, ExcuseState};
use crate::domain::ClassId;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExcuseList {
    /// Newest first: a student's own, a teacher's classes', or every excuse for an admin.
    pub excuses: Vec<Excuse>,
    /// The caller may approve and decline (teachers and admins).
    pub can_decide: bool,
    /// The classes a student may excuse themselves from (empty for staff).
    pub classes: Vec<(ClassId, String)>,
}

/// The excuses the caller may see; `state` narrows them (e.g. only pending ones).
#[server(endpoint = "list_excuses", input = Json)]
pub async fn list_excuses(state: Option<ExcuseState>) -> Result<ExcuseList, AppError> {
    use crate::domain::Role;
    use crate::server::store::ExcuseScope;

    let user = crate::server::auth::current_user().await?;
    let store = &crate::server::state().store;
    let scope = match user.role {
        Role::Student => ExcuseScope::Student(user.id),
        Role::Teacher => ExcuseScope::TaughtBy(user.id),
        Role::Admin => ExcuseScope::All,
    };
    let classes = match user.role {
        Role::Student => store.student_classes(user.id).await?,
        _ => Vec::new(),
    };
    Ok(ExcuseList {
        excuses: store.excuses(scope, state, 500).await?,
        can_decide: user.role != Role::Student,
        classes,
    })
}

/// Submits an excuse: one per class it covers. Sending the same one again returns it, not a
/// copy. A teacher may submit for a student of their classes (only those classes).
#[server(endpoint = "submit_excuse", input = Json)]
pub async fn submit_excuse(excuse: ExcuseInput) -> Result<Vec<Excuse>, AppError> {
    use crate::domain::excuse::{parse_reason, MAX_EXCUSE_DAYS};
    use crate::domain::timetable::parse_day_range;
    use crate::domain::{Role, Username};
    use crate::server::store::NewExcuse;
    use crate::server::{now_ms, state};

    let user = crate::server::auth::current_user().await?;
    let state = state();
    let store = &state.store;
    let student_id = match (user.role, excuse.student.as_deref()) {
        (Role::Student, None) => user.id,
        (Role::Student, Some(name)) if name == user.username => user.id,
        (Role::Student, Some(_)) => {
            return Err(AppError::forbidden(
                "You can only send an excuse for yourself.",
            ))
        }
        (_, None) => {
            return Err(AppError::bad_request(
                "Say which student the excuse is for (their username).",
            ))
        }
        (_, Some(name)) => {
            let username = Username::parse(name).map_err(AppError::bad_request)?;
            store
                .student_id_by_username(&username)
                .await?
                .ok_or_else(|| AppError::not_found("There is no student with that username."))?
        }
    };
    let mut classes = store
        .excusable_classes(student_id, &excuse.class_ids)
        .await?;
    if user.role == Role::Teacher {
        let own: Vec<ClassId> = store
            .classes_visible_to(&user)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        if !excuse.class_ids.is_empty() && excuse.class_ids.iter().any(|c| !own.contains(c)) {
            return Err(AppError::forbidden("This is another teacher's class."));
        }
        classes.retain(|c| own.contains(c));
        if classes.is_empty() {
            return Err(AppError::forbidden(
                "This student is not in one of your classes.",
            ));
        }
    }
    // Who may excuse whom is settled; now the excuse itself.
    let days =
        parse_day_range(&excuse.first_day, &excuse.last_day).map_err(AppError::bad_request)?;
    if days.span_days() >= MAX_EXCUSE_DAYS {
        return Err(AppError::bad_request(format!(
            "One excuse covers at most {MAX_EXCUSE_DAYS} days."
        )));
    }
    let reason = parse_reason(&excuse.reason).map_err(AppError::bad_request)?;
    let (from_ms, until_ms) = state.config.time_zone.instants_of(days);
    let new = NewExcuse {
        student_id,
        first_day: days.first.to_string(),
        last_day: days.last.to_string(),
        from_ms,
        until_ms,
        reason,
        submitted_by: user.id,
    };
    let ids = store.submit_excuses(&new, &classes, now_ms()).await?;
    let mut submitted = Vec::new();
    for id in ids {
        if let Some((excuse, _)) = store.excuse(id).await? {
            submitted.push(excuse);
        }
    }
    Ok(submitted)
}

/// Approves or declines an excuse (a teacher of its class, or an admin). Deciding the same way
/// twice changes nothing; the other way, once decided, is refused (409).
#[server(endpoint = "decide_excuse", input = Json)]
pub async fn decide_excuse(excuse_id: i64, decision: ExcuseDecision) -> Result<Excuse, AppError> {
    use crate::server::{now_ms, state};

    let user = crate::api::teacher::ssr::staff().await?;
    let store = &state().store;
    let (_, teachers) = store
        .excuse(excuse_id)
        .await?
        .ok_or_else(|| AppError::not_found("There is no such excuse."))?;
    crate::api::teacher::ssr::check_runs(&user, &teachers)?;
    store
        .decide_excuse(excuse_id, decision, user.id, now_ms())
        .await
}

/// The student takes back their own pending excuse.
#[server(endpoint = "withdraw_excuse", input = Json)]
pub async fn withdraw_excuse(excuse_id: i64) -> Result<(), AppError> {
    use crate::domain::Role;
    let user = crate::server::auth::require_role(
        &[Role::Student],
        "Only the student can withdraw their excuse.",
    )
    .await?;
    crate::server::state()
        .store
        .withdraw_excuse(excuse_id, user.id)
        .await
}
