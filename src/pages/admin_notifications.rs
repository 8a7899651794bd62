//! `/admin/notifications`: the school's absence warning rules (who is warned, and whether
//! guardians are e-mailed), whether e-mail can go out, and a student's guardian addresses.

use crate::api::absence_rules::{
    absence_rules, add_absence_rule, guardians, remove_absence_rule, set_guardians,
    AbsenceRulesView, RuleLine,
};
use crate::components::error_notice::ErrorNotice;
use crate::components::job_queue_card::JobQueueCard;
use leptos::prelude::*;

#[component]
pub fn AdminNotificationsPage() -> impl IntoView {
    let rules = Resource::new(|| (), |_| absence_rules());
    view! {
        <h1>"Absence warnings"</h1>
        <p class="muted">
            "When a student crosses a rule in a class, the student and the class's teachers are told once (and again only after the student recovers and crosses it again)."
        </p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match rules.await {
                    Ok(view) => view! { <Rules view/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
        <GuardianForm/>
        <JobQueueCard/>
    }
}

#[component]
fn Rules(view: AbsenceRulesView) -> impl IntoView {
    let lines = RwSignal::new(view.rules);
    let email_ready = view.email_ready;
    let kind = RwSignal::new("consecutive_absences".to_string());
    let percent = RwSignal::new("80".to_string());
    let min_sessions = RwSignal::new("5".to_string());
    let count = RwSignal::new("3".to_string());
    let admins = RwSignal::new(false);
    let emails = RwSignal::new(false);
    let add = Action::new(move |_: &()| {
        let number = |signal: RwSignal<String>| signal.get_untracked().trim().parse().ok();
        let (rule, percent, min_sessions, count) = (
            kind.get_untracked(),
            number(percent).map(|n: u32| n.min(255) as u8),
            number(min_sessions),
            number(count),
        );
        let (admins, emails) = (admins.get_untracked(), emails.get_untracked());
        async move {
            let answer = add_absence_rule(rule, percent, min_sessions, count, admins, emails).await;
            if let Ok(line) = &answer {
                lines.update(|lines| lines.push(line.clone()));
            }
            answer.map(drop)
        }
    });
    let remove = Action::new(move |id: &i64| {
        let id = *id;
        async move {
            let answer = remove_absence_rule(id).await;
            if answer.is_ok() {
                lines.update(|lines| lines.retain(|line| line.id != id));
            }
            answer
        }
    });
    let field = |label: &'static str, signal: RwSignal<String>, testid: &'static str| {
        view! {
            <label class="field inline">
                <span>{label}</span>
                <input type="number" min="1" data-testid=testid prop:value=move || signal.get()
                    on:input=move |ev| signal.set(event_target_value(&ev))/>
            </label>
        }
    };
    view! {
        <section class="card" data-testid="absence-rules">
            <h2>"Rules"</h2>
            <Show when=move || lines.with(|l| !l.is_empty()) fallback=|| view! { <p class="muted">"No rules yet: nobody is warned."</p> }>
                <ul class="rules">
                    <For each=move || lines.get() key=|line| line.id let:line>
                        <RuleItem line remove/>
                    </For>
                </ul>
            </Show>
            {move || remove.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error/> })}
            <form class="rule-form" on:submit=move |ev| { ev.prevent_default(); add.dispatch(()); }>
                <h3>"Add a rule"</h3>
                <label class="field inline">
                    <span>"Warn when"</span>
                    <select data-testid="rule-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                        <option value="consecutive_absences" selected=true>"absences in a row reach"</option>
                        <option value="rate_below">"attendance in a class falls below"</option>
                    </select>
                </label>
                <Show when=move || kind.get() == "rate_below" fallback=move || field("Absences", count, "rule-count")>
                    {field("Percent", percent, "rule-percent")}
                    {field("After sessions", min_sessions, "rule-min-sessions")}
                </Show>
                <label class="check">
                    <input type="checkbox" prop:checked=move || admins.get()
                        on:change=move |ev| admins.set(event_target_checked(&ev))/>
                    " Tell admins too"
                </label>
                <label class="check">
                    <input type="checkbox" data-testid="rule-email" prop:checked=move || emails.get()
                        on:change=move |ev| emails.set(event_target_checked(&ev))/>
                    " E-mail the student's guardians"
                </label>
                {(!email_ready).then(|| view! {
                    <p class="muted small" data-testid="smtp-off">
                        "E-mail is off: set ROLLCALL_SMTP_URL (and ROLLCALL_SMTP_FROM) on the server to send guardian e-mails."
                    </p>
                })}
                <button class="button" type="submit" disabled=move || add.pending().get()>"Add rule"</button>
                {move || add.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error/> })}
            </form>
        </section>
    }
}

#[component]
fn RuleItem(
    line: RuleLine,
    remove: Action<i64, Result<(), crate::error::AppError>>,
) -> impl IntoView {
    let id = line.id;
    let mut also = Vec::new();
    if line.notify_admins {
        also.push("admins");
    }
    if line.email_guardians {
        also.push("guardians by e-mail");
    }
    let also = match also.is_empty() {
        true => "Tells the student and teachers".to_string(),
        false => format!("Tells the student, teachers and {}", also.join(" and ")),
    };
    view! {
        <li data-testid="rule">
            <strong>{line.description}</strong>
            <span class="muted small">" · " {also}</span>
            <button class="button ghost small" on:click=move |_| { remove.dispatch(id); }>"Remove"</button>
        </li>
    }
}

#[component]
fn GuardianForm() -> impl IntoView {
    let username = RwSignal::new(String::new());
    let list = RwSignal::new(String::new());
    let load = Action::new(move |_: &()| guardians(username.get_untracked()));
    let save =
        Action::new(move |_: &()| set_guardians(username.get_untracked(), list.get_untracked()));
    Effect::new(move |_| {
        if let Some(Ok(found)) = load.value().get() {
            list.set(found.join(", "));
        }
    });
    let result = move || {
        let failed = save
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| load.value().get().and_then(Result::err));
        match (failed, save.value().get()) {
            (Some(error), _) => view! { <ErrorNotice error/> }.into_any(),
            (None, Some(Ok(saved))) => view! {
                <p class="notice receipt" role="status">{format!("Saved {} address(es).", saved.len())}</p>
            }.into_any(),
            _ => ().into_any(),
        }
    };
    view! {
        <section class="card" data-testid="guardians">
            <h2>"Guardians"</h2>
            <p class="muted small">"Addresses can also come with the roster import (a guardian_emails column)."</p>
            <form class="rule-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
                <label class="field inline">
                    <span>"Student username"</span>
                    <input type="text" data-testid="guardian-student" prop:value=move || username.get()
                        on:input=move |ev| username.set(event_target_value(&ev))/>
                </label>
                <button class="button ghost small" type="button" on:click=move |_| { load.dispatch(()); }>"Look up"</button>
                <label class="field">
                    <span>"Guardian e-mails (comma-separated, at most 5)"</span>
                    <input type="text" data-testid="guardian-emails" prop:value=move || list.get()
                        on:input=move |ev| list.set(event_target_value(&ev))/>
                </label>
                <button class="button" type="submit" disabled=move || save.pending().get()>"Save guardians"</button>
                {result}
            </form>
        </section>
    }
}
