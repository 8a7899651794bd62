//! `/teacher/classes/:id`: one class for its teachers (and admins): open a session now, the
//! upcoming sessions its timetable scheduled, past sessions with their headcounts (each links
//! to its dashboard, where marks can still be corrected), and the timetable itself.

use crate::api::presence::{class_check_in_rules, set_class_check_in_rules};
use crate::api::sessions::{class_sessions, ClassSessionsView};
use crate::components::check_in_rules_form::CheckInRulesForm;
use crate::components::error_notice::ErrorNotice;
use crate::components::timetable_editor::TimetableEditor;
use crate::domain::time::{clock_label, date_label};
use crate::domain::{CheckInRules, ClassId, SessionListing, SessionPhase};
use leptos::prelude::*;

#[component]
pub fn ClassPage() -> impl IntoView {
    let class_id = super::id_param();
    let before = RwSignal::new(None::<i64>);
    let sessions = Resource::new(
        move || (class_id.get(), before.get()),
        |(class_id, before_ms)| class_sessions(class_id, before_ms),
    );
    let reload = Callback::new(move |_: ()| sessions.refetch());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the class…"</p> }>
            {move || Suspend::new(async move {
                match sessions.await {
                    Ok(view) => view! { <ClassView view before/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
        <ClassRules class_id=class_id.get_untracked()/>
        <TimetableEditor class_id=class_id.get_untracked() on_change=reload/>
    }
}

/// The class's check-in rules: what its sessions use unless one has its own.
#[component]
fn ClassRules(class_id: ClassId) -> impl IntoView {
    let rules = Resource::new(move || class_id, class_check_in_rules);
    let save =
        Action::new(move |rules: &CheckInRules| set_class_check_in_rules(class_id, rules.clone()));
    view! {
        <section class="card" data-testid="class-rules">
            <h2>"Check-in rules"</h2>
            <p class="muted small">
                "For this class's sessions from now on, and its open and upcoming sessions unless you set a session's own on its dashboard."
            </p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match rules.await {
                        Ok(initial) => view! { <CheckInRulesForm initial save scope="Save for this class"/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ClassView(view: ClassSessionsView, before: RwSignal<Option<i64>>) -> impl IntoView {
    let offsets = view.utc_offsets.clone();
    let (upcoming_offsets, past_offsets) = offsets.split_at(view.upcoming.len().min(offsets.len()));
    let upcoming: Vec<_> = view
        .upcoming
        .into_iter()
        .zip(upcoming_offsets.to_vec())
        .collect();
    let past: Vec<_> = view.past.into_iter().zip(past_offsets.to_vec()).collect();
    let older = view.older_before_ms;
    let paged = before.get_untracked().is_some();
    view! {
        <div class="page-head">
            <h1>
                {view.class_name}
                {view.archived.then(|| view! { <span class="pill closed">"Archived"</span> })}
            </h1>
            <p class="muted">
                {if view.teacher_name.is_empty() { "No teacher yet".to_string() } else { view.teacher_name }}
                " · " <a href=format!("/teacher/classes/{}/report", view.class_id) data-testid="report-link">"Register and report"</a>
                " · " <a href="/teacher">"All my classes"</a>
            </p>
        </div>
        <section class="card" data-testid="upcoming-sessions">
            <h2>"Upcoming"</h2>
            {if upcoming.is_empty() {
                view! {
                    <p class="muted">
                        "Nothing scheduled. Add weekly meetings to the timetable below, or open a session from "
                        <a href="/teacher">"My classes"</a> "."
                    </p>
                }
                    .into_any()
            } else {
                view! { <SessionList sessions=upcoming/> }.into_any()
            }}
        </section>
        <section class="card" data-testid="past-sessions">
            <h2>"Past sessions"</h2>
            {if past.is_empty() {
                view! { <p class="muted">"No session has been held yet."</p> }.into_any()
            } else {
                view! { <SessionList sessions=past/> }.into_any()
            }}
            <div class="inline-form">
                {paged
                    .then(|| {
                        view! {
                            <button class="button small ghost" on:click=move |_| before.set(None)>
                                "Newest"
                            </button>
                        }
                    })}
                {older
                    .map(|older| {
                        view! {
                            <button class="button small" on:click=move |_| before.set(Some(older))>
                                "Older sessions"
                            </button>
                        }
                    })}
            </div>
        </section>
    }
}

#[component]
fn SessionList(sessions: Vec<(SessionListing, i32)>) -> impl IntoView {
    view! {
        <ul class="session-list">
            {sessions
                .into_iter()
                .map(|(session, offset)| view! { <SessionLine session offset/> })
                .collect_view()}
        </ul>
    }
}

#[component]
fn SessionLine(session: SessionListing, offset: i32) -> impl IntoView {
    let when = format!(
        "{} {}{}",
        date_label(session.starts_at_ms, offset),
        clock_label(session.starts_at_ms, offset),
        session
            .ends_at_ms
            .filter(|_| session.scheduled)
            .map(|end| format!("–{}", clock_label(end, offset)))
            .unwrap_or_default()
    );
    let (pill_class, pill) = match (session.phase, session.held) {
        (SessionPhase::Open, _) => ("pill open", "Open"),
        (SessionPhase::Upcoming, _) => ("pill upcoming", "Upcoming"),
        (SessionPhase::Closed, true) => ("pill closed", "Closed"),
        (SessionPhase::Closed, false) => ("pill missed", "Not held"),
    };
    let c = session.counts;
    let figures = (session.phase != SessionPhase::Upcoming && session.held).then(|| {
        format!(
            "{} present · {} late · {} excused · {} absent",
            c.present, c.late, c.excused, c.absent
        )
    });
    let action = match session.phase {
        SessionPhase::Open => "Go to the dashboard",
        SessionPhase::Upcoming => "Preview",
        SessionPhase::Closed => "Review and correct",
    };
    view! {
        <li class="session-line" data-testid=format!("session-{}", session.id)>
            <span class="when">{when}</span>
            <span class=pill_class>{pill}</span>
            {session.scheduled.then(|| view! { <span class="pill">"Timetable"</span> })}
            <span class="muted small figures">{figures}</span>
            <a class="button small" href=format!("/teacher/sessions/{}", session.id)>{action}</a>
        </li>
    }
}
