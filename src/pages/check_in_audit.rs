//! `/teacher/sessions/:id/audit`: every check-in attempt of a session (who, when, from which
//! device and network, accepted, held or refused and why, and the review), and every change a
//! teacher made to a mark. Rendered in full on the server; the same as CSV.

use crate::api::presence::{session_audit, SessionAuditView};
use crate::api::reports::CHECK_INS_CSV_PATH;
use crate::components::error_notice::ErrorNotice;
use crate::domain::check_in_review::{AttemptLine, AttemptOutcome};
use crate::domain::check_in_rules::ReviewDecision;
use crate::domain::time::clock_label;
use leptos::prelude::*;

#[component]
pub fn CheckInAuditPage() -> impl IntoView {
    let session_id = super::id_param();
    let audit = Resource::new(move || session_id.get(), session_audit);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading the audit…"</p> }>
            {move || Suspend::new(async move {
                match audit.await {
                    Ok(audit) => view! { <AuditBody audit/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AuditBody(audit: SessionAuditView) -> impl IntoView {
    let offset = audit.utc_offset_minutes;
    let csv = format!("{CHECK_INS_CSV_PATH}?session={}", audit.session_id);
    let refused = audit
        .attempts
        .iter()
        .filter(|a| a.outcome == AttemptOutcome::Refused)
        .count();
    let held = audit
        .attempts
        .iter()
        .filter(|a| a.outcome == AttemptOutcome::Held)
        .count();
    let no_overrides = audit.overrides.is_empty();
    view! {
        <div class="page-head">
            <h1>"Check-in audit · " {audit.class_name.clone()}</h1>
            <p class="muted">
                {audit.session_label.clone()} " · " {audit.rules_summary.clone()} " · "
                <a href=format!("/teacher/sessions/{}", audit.session_id) class="no-print">"Dashboard"</a>
            </p>
        </div>
        <p class="report-actions no-print">
            <a class="button small" href=csv data-testid="audit-csv" download>"Download CSV"</a>
            <span class="muted small">
                {format!("{} attempts · {held} held for review · {refused} refused", audit.attempts.len())}
            </span>
        </p>
        <div class="table-scroll">
            <table class="register audit" data-testid="audit-attempts">
                <thead>
                    <tr>
                        <th>"Time"</th><th>"Student"</th><th>"Outcome"</th><th>"Why"</th>
                        <th>"Code"</th><th>"Device"</th><th>"Network"</th><th>"Browser"</th><th>"Review"</th>
                    </tr>
                </thead>
                <tbody>
                    {audit.attempts.into_iter().map(|a| view! { <AttemptRow a offset/> }).collect_view()}
                </tbody>
            </table>
        </div>
        <h2 class="audit-overrides-head">"Changes by teachers"</h2>
        {no_overrides.then(|| view! { <p class="muted">"No mark was changed by hand."</p> })}
        <ul class="plain-list" data-testid="audit-overrides">
            {audit.overrides.into_iter().map(|o| view! {
                <li>
                    {clock_label(o.at_ms, offset)} " · " <strong>{o.student_name}</strong> " · "
                    {o.before.map_or("not marked", |s| s.label())} " → " {o.after.label()}
                    " · by " {o.by}
                </li>
            }).collect_view()}
        </ul>
    }
}

#[component]
fn AttemptRow(a: AttemptLine, offset: i32) -> impl IntoView {
    let outcome = match a.outcome {
        AttemptOutcome::Accepted => "accepted",
        AttemptOutcome::Held => "held for review",
        AttemptOutcome::Refused => "refused",
    };
    let review = match (a.review, a.reviewed_by.clone()) {
        (None, _) => String::new(),
        (Some(ReviewDecision::Superseded), _) => "settled by a later mark".into(),
        (Some(decision), Some(by)) => format!("{} by {by}", decision.key()),
        (Some(decision), None) => decision.key().to_string(),
    };
    let review = if a.review.is_none() && a.outcome == AttemptOutcome::Held {
        "pending".to_string()
    } else {
        review
    };
    let code = match a.code_window {
        Some(window) => format!("{} (window {window})", a.code),
        None => a.code.clone(),
    };
    view! {
        <tr class=format!("attempt {}", a.outcome.key()) data-testid=format!("attempt-{}", a.attempt_id)>
            <td>{clock_label(a.at_ms, offset)}</td>
            <td>{a.student_name} <span class="muted small">" " {a.username}</span></td>
            <td>{outcome}</td>
            <td>{a.why}</td>
            <td><code>{code}</code></td>
            <td><code>{a.device_id.map(|d| d[..8.min(d.len())].to_string()).unwrap_or_default()}</code></td>
            <td>{a.ip.unwrap_or_else(|| "erased".into())}</td>
            <td class="small agent">{a.user_agent.unwrap_or_default()}</td>
            <td>{review}</td>
        </tr>
    }
}
