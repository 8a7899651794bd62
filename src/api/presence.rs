//! Check-in that proves presence: a class's and a session's check-in rules (rotating code,
//! one student per device, the school's network), the teacher's review of held check-ins, and
//! the session's check-in audit. Teachers of the class and admins only.

use crate::domain::check_in_review::{AttemptLine, OverrideLine};
use crate::domain::{CheckInRules, ClassId, Mark, SessionId};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// A session's check-in audit: every attempt with its device and network, and every change a
/// teacher made to a mark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionAuditView {
    pub session_id: SessionId,
    pub class_id: ClassId,
    pub class_name: String,
    /// "Tue 1 Dec 09:00"
    pub session_label: String,
    pub rules_summary: String,
    pub attempts: Vec<AttemptLine>,
    pub overrides: Vec<OverrideLine>,
    /// The school's offset from UTC on the session's day, for the clock times.
    pub utc_offset_minutes: i32,
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use crate::domain::CheckInRules;
    use crate::error::{AppError, AppResult};
    use crate::server::client_ip::IpRanges;

    /// Checks rules a person sent: the period, and each network's syntax. A network guard needs
    /// networks: the class's own or the school's.
    pub fn checked(mut rules: CheckInRules) -> AppResult<CheckInRules> {
        rules.networks = rules
            .networks
            .iter()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect();
        rules.validate().map_err(AppError::bad_request)?;
        IpRanges::parse(&rules.networks.join(",")).map_err(|error| {
            AppError::bad_request(format!("Networks: {error} Write them like 10.20.0.0/16."))
        })?;
        let school = &crate::server::state().config.check_in_networks;
        if rules.network != crate::domain::NetworkRule::Anywhere
            && rules.networks.is_empty()
            && school.is_empty()
        {
            return Err(AppError::bad_request(
                "The school has no networks set up (ROLLCALL_CHECK_IN_NETWORKS): list this \
                 class's networks, like 10.20.0.0/16.",
            ));
        }
        Ok(rules)
    }
}

/// Accepts or rejects a check-in held for review. Accepting marks the student as their
/// check-in would have, unless they were marked meanwhile; the decision is audited. The same
/// decision again is a no-op; the other one afterwards is 409. Returns the student's mark.
#[server(endpoint = "review_check_in", input = Json)]
pub async fn review_check_in(
    session_id: SessionId,
    attempt_id: i64,
    accept: bool,
) -> Result<Option<Mark>, AppError> {
    use crate::api::teacher::ssr::{actor, session_for_staff, staff};
    use crate::server::{now_ms, state};

    let user = staff().await?;
    let session = session_for_staff(&user, session_id).await?;
    state()
        .store
        .review_check_in(&session, attempt_id, accept, &actor(&user), now_ms())
        .await
}

/// Sets one session's check-in rules (`rules: null` follows its class's again). Open and
/// upcoming sessions only. Returns the rules now in force; open dashboards and presenter
/// screens switch at once.
#[server(endpoint = "set_session_check_in_rules", input = Json)]
pub async fn set_session_check_in_rules(
    session_id: SessionId,
    rules: Option<CheckInRules>,
) -> Result<CheckInRules, AppError> {
    use crate::api::teacher::ssr::{session_for_staff, staff};
    use crate::server::{now_ms, state};

    let user = staff().await?;
    let session = session_for_staff(&user, session_id).await?;
    let rules = rules.map(ssr::checked).transpose()?;
    state()
        .store
        .set_session_rules(&session, rules.as_ref(), now_ms())
        .await
}

/// A class's check-in rules: what its sessions use unless a session has its own.
#[server(endpoint = "class_check_in_rules", input = Json)]
pub async fn class_check_in_rules(class_id: ClassId) -> Result<CheckInRules, AppError> {
    use crate::api::teacher::ssr::{check_runs, staff};
    let user = staff().await?;
    let store = &crate::server::state().store;
    let teachers = store
        .class_teachers(class_id)
        .await?
        .ok_or_else(|| AppError::not_found("There is no such class."))?;
    check_runs(&user, &teachers)?;
    store.class_rules(class_id).await
}

/// Sets a class's check-in rules, for its sessions from now on and for its open and upcoming
/// sessions without rules of their own.
#[server(endpoint = "set_class_check_in_rules", input = Json)]
pub async fn set_class_check_in_rules(
    class_id: ClassId,
    rules: CheckInRules,
) -> Result<CheckInRules, AppError> {
    use crate::api::teacher::ssr::{check_runs, staff};
    use crate::server::{now_ms, state};

    let user = staff().await?;
    let store = &state().store;
    let teachers = store
        .class_teachers(class_id)
        .await?
        .ok_or_else(|| AppError::not_found("There is no such class."))?;
    check_runs(&user, &teachers)?;
    let rules = ssr::checked(rules)?;
    store.set_class_rules(class_id, &rules, now_ms()).await?;
    Ok(rules)
}

/// Who checked in to the session from which device and network and when, every refusal,
/// every review and every change a teacher made. Also as CSV:
/// `/api/reports/check-ins.csv?session=<id>`.
#[server(endpoint = "session_audit", input = Json)]
pub async fn session_audit(session_id: SessionId) -> Result<SessionAuditView, AppError> {
    use crate::api::teacher::ssr::{session_for_staff, staff};

    let user = staff().await?;
    let session = session_for_staff(&user, session_id).await?;
    let state = crate::server::state();
    let zone = &state.config.time_zone;
    Ok(SessionAuditView {
        session_id,
        class_id: session.class_id,
        class_name: session.class_name.clone(),
        session_label: format!(
            "{} {}",
            zone.date_label(session.starts_at_ms),
            zone.clock_label(session.starts_at_ms)
        ),
        rules_summary: session.rules.summary(),
        attempts: state.store.check_in_attempts(session_id).await?,
        overrides: state.store.mark_overrides(session_id).await?,
        utc_offset_minutes: zone.offset_minutes_at(session.starts_at_ms),
    })
}

/// The key an open session's rotating codes are derived from, for the teacher's own screen:
/// with it the dashboard and the projector keep showing each window's code and QR code while
/// their network is down (a classroom without Wi-Fi still checks in, and the codes prove when).
/// `None` when the code does not rotate or the session is not open. Staff of the session only;
/// anyone who can mark the class present gains nothing from it.
#[server(endpoint = "rotating_code_key", input = Json)]
pub async fn rotating_code_key(session_id: SessionId) -> Result<Option<CodeKey>, AppError> {
    use crate::api::teacher::ssr::{session_for_staff, staff};

    let user = staff().await?;
    session_for_staff(&user, session_id).await?;
    let state = crate::server::state();
    let code = state.store.session_code(session_id).await?;
    Ok(code
        .filter(|code| code.is_open)
        .and_then(|code| code.rotating)
        .map(|(secret, period_seconds)| CodeKey {
            secret,
            period_seconds,
            public_url: state.config.public_url.clone(),
        }))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeKey {
    pub secret: String,
    pub period_seconds: u32,
    /// The site's address, for the QR code's link.
    pub public_url: String,
}
