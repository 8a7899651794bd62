//! The school's absence warning rules and students' guardian addresses (admins only).

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleLine {
    pub id: i64,
    /// "Attendance below 80% after 5 sessions", "3 absences in a row".
    pub description: String,
    pub notify_admins: bool,
    pub email_guardians: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbsenceRulesView {
    pub rules: Vec<RuleLine>,
    /// SMTP is configured: guardian e-mails can go out.
    pub email_ready: bool,
}

/// The school's rules.
#[server(endpoint = "absence_rules", input = Json)]
pub async fn absence_rules() -> Result<AbsenceRulesView, AppError> {
    use crate::domain::Role;
    use crate::server::{auth, state};

    auth::require_role(&[Role::Admin], "Absence warning rules are for admins.").await?;
    let state = state();
    let rules = state
        .store
        .absence_rules()
        .await?
        .into_iter()
        .map(|rule| RuleLine {
            id: rule.id,
            description: rule.rule.describe(),
            notify_admins: rule.notify_admins,
            email_guardians: rule.email_guardians,
        })
        .collect();
    Ok(AbsenceRulesView {
        rules,
        email_ready: state.senders.mailer.is_some(),
    })
}

/// Adds a rule: `rule` is `rate_below` (with `percent` and `min_sessions`) or
/// `consecutive_absences` (with `count`). Classes are scanned against it at once.
#[server(endpoint = "add_absence_rule", input = Json)]
pub async fn add_absence_rule(
    rule: String,
    percent: Option<u8>,
    min_sessions: Option<u32>,
    count: Option<u32>,
    notify_admins: bool,
    email_guardians: bool,
) -> Result<RuleLine, AppError> {
    use crate::domain::notify::absence_warning::WarningRule;
    use crate::domain::Role;
    use crate::server::notify::DAILY_SCAN_JOB;
    use crate::server::store::NewJob;
    use crate::server::{auth, now_ms, state};

    auth::require_role(&[Role::Admin], "Absence warning rules are for admins.").await?;
    let rule = match rule.as_str() {
        "rate_below" => WarningRule::RateBelow {
            percent: percent.ok_or_else(|| AppError::bad_request("Give the rate (percent)."))?,
            min_sessions: min_sessions.unwrap_or(5),
        },
        "consecutive_absences" => WarningRule::ConsecutiveAbsences {
            count: count
                .ok_or_else(|| AppError::bad_request("Give how many absences in a row."))?,
        },
        _ => {
            return Err(AppError::bad_request(
                "A rule is rate_below or consecutive_absences.",
            ))
        }
    };
    rule.validate().map_err(AppError::bad_request)?;
    let state = state();
    let now = now_ms();
    let added = state
        .store
        .add_absence_rule(rule, notify_admins, email_guardians, now)
        .await?;
    // Scan recent classes against the new rule now rather than tomorrow.
    let key = format!("scan:rule:{}", added.id);
    let job = NewJob {
        kind: DAILY_SCAN_JOB,
        key: &key,
        payload: "{}",
        run_at_ms: now,
    };
    state.store.enqueue_job(&job, now).await?;
    state.senders.wake.notify_one();
    Ok(RuleLine {
        id: added.id,
        description: added.rule.describe(),
        notify_admins,
        email_guardians,
    })
}

#[server(endpoint = "remove_absence_rule", input = Json)]
pub async fn remove_absence_rule(id: i64) -> Result<(), AppError> {
    use crate::domain::Role;
    use crate::server::{auth, state};

    auth::require_role(&[Role::Admin], "Absence warning rules are for admins.").await?;
    if state().store.remove_absence_rule(id).await? {
        Ok(())
    } else {
        Err(AppError::not_found("There is no such rule."))
    }
}

/// A student's guardian e-mail addresses, by username.
#[server(endpoint = "guardians", input = Json)]
pub async fn guardians(username: String) -> Result<Vec<String>, AppError> {
    use crate::domain::Role;
    use crate::server::{auth, state};

    auth::require_role(&[Role::Admin], "Guardians are managed by admins.").await?;
    let student = ssr::student(&username).await?;
    state().store.guardian_emails(student).await
}

/// Replaces a student's guardian addresses (comma-, semicolon- or line-separated; at most 5;
/// empty removes them).
#[server(endpoint = "set_guardians", input = Json)]
pub async fn set_guardians(username: String, emails: String) -> Result<Vec<String>, AppError> {
    use crate::domain::Role;
    use crate::server::{auth, state};

    auth::require_role(&[Role::Admin], "Guardians are managed by admins.").await?;
    let student = ssr::student(&username).await?;
    let addresses = ssr::guardian_list(&emails)?;
    state()
        .store
        .set_guardian_emails(student, &addresses)
        .await?;
    Ok(addresses)
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::domain::{Role, Username};
    use crate::error::AppError;

    /// The student's id by username; 404 for anyone else.
    pub async fn student(username: &str) -> Result<i64, AppError> {
        let missing = || AppError::not_found(format!("There is no student {:?}.", username.trim()));
        let name = Username::parse(username.trim()).map_err(|_| missing())?;
        crate::server::state()
            .store
            .credentials(&name)
            .await?
            .filter(|user| user.role == Role::Student.as_str())
            .map(|user| user.id)
            .ok_or_else(missing)
    }

    /// Guardian addresses from a list as people type it, checked, without repeats.
    pub fn guardian_list(text: &str) -> Result<Vec<String>, AppError> {
        crate::domain::notify::guardian_addresses(text)
            .map_err(|problems| AppError::bad_request(problems.join(" ")))
    }
}
