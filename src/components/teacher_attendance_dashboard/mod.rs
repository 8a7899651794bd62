//! The teacher's view of one class session: join code and QR, live counts and roster, marking,
//! notifications and the activity feed. A snapshot from `session_dashboard` is rendered on the
//! server; in the browser the session's event stream, followed from the snapshot's position,
//! keeps the [`SessionModel`] current and the views read from it.

mod changes;
pub mod head;
pub mod model;
mod notices;
pub mod offline_code;
mod review;
mod roster;

use crate::api::presence::set_session_check_in_rules;
use crate::api::teacher::{
    close_session, mark_all_present, mark_attendance, session_dashboard, SessionView,
};
use crate::components::attendance_bar::AttendanceBar;
use crate::components::check_in_rules_form::CheckInRulesForm;
use crate::components::connection_status_indicator::ConnectionStatusIndicator;
use crate::components::error_notice::ErrorNotice;
use crate::components::live_student_activity::LiveStudentActivity;
use crate::components::outbox_list::OutboxList;
use crate::domain::outbox::OfflineChange;
use crate::domain::{AttendanceStatus, SessionId, SessionPhase, UserId};
use crate::error::{AppError, ErrorKind};
use crate::offline::queue::{mark_label, saved_message};
use crate::offline::use_offline;
use crate::protocol::{Channel, EventBody};
use crate::realtime::{use_live, LiveUpdate};
use crate::web;
use changes::MarkChanges;
use head::{DashboardHead, JoinPanel};
use leptos::prelude::*;
pub use model::SessionModel;
use notices::NoticeList;
use review::ReviewQueue;
use roster::Roster;
use std::collections::HashMap;

#[component]
pub fn TeacherAttendanceDashboard(#[prop(into)] session_id: Signal<SessionId>) -> impl IntoView {
    let snapshot = Resource::new(move || session_id.get(), session_dashboard);
    let reload = Callback::new(move |_: ()| snapshot.refetch());
    view! {
        <section class="dashboard" data-testid="teacher-dashboard">
            <Transition fallback=|| view! { <p class="muted">"Loading the session…"</p> }>
                {move || Suspend::new(async move {
                    match snapshot.await {
                        Ok(data) => view! { <DashboardBody data reload/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn DashboardBody(data: SessionView, reload: Callback<()>) -> impl IntoView {
    let session_id = data.session.id;
    let offset = data.session.utc_offset_minutes;
    let model = RwSignal::new(SessionModel::from_snapshot(&data));
    let flashes: StoredValue<HashMap<UserId, RwSignal<bool>>> = StoredValue::new(
        data.roster
            .iter()
            .map(|entry| (entry.student_id, RwSignal::new(false)))
            .collect(),
    );
    offline_code::keep_rotating_offline(session_id, model);
    let counts = Memo::new(move |_| model.with(SessionModel::counts));
    let is_open = Memo::new(move |_| model.with(|m| m.is_open));

    // Each mark carries its own student: the answer lands on that row (version-checked against
    // what the stream brought), however many marks are in flight. It matters when the live
    // stream is down; when it is up the event usually arrives first and this changes nothing.
    // Without a network the mark is kept on this device with the version the teacher saw, and
    // sent later; if someone else changed the student meanwhile the teacher chooses.
    let offline = use_offline();
    let names: StoredValue<HashMap<UserId, String>> = StoredValue::new(
        data.roster
            .iter()
            .map(|entry| (entry.student_id, entry.display_name.clone()))
            .collect(),
    );
    let mark = Action::new_local(
        move |&(student, status): &(UserId, AttendanceStatus)| async move {
            match mark_attendance(session_id, student, status).await {
                Ok(new_mark) => {
                    model.update(|m| {
                        m.apply_mark(student, new_mark.clone());
                    });
                    Ok(None)
                }
                Err(error) if error.kind == ErrorKind::Network => {
                    let seen_version = model.with_untracked(|m| m.mark(student).map(|m| m.version));
                    let name = names
                        .with_value(|n| n.get(&student).cloned())
                        .unwrap_or_default();
                    let change = OfflineChange::Mark {
                        session_id,
                        student_id: student,
                        status,
                        seen_version,
                    };
                    offline
                        .queue(change, mark_label(&name, status))
                        .await
                        .map(Some)
                        .map_err(|problem| AppError::new(ErrorKind::Network, problem))
                }
                Err(error) => Err(error),
            }
        },
    );
    // Shown while something this tab kept still waits (the list below says what became of it).
    let saved = move || {
        let waiting = offline.status.pending();
        let kept_here = matches!(mark.value().get(), Some(Ok(Some(_))));
        (kept_here && waiting > 0).then(|| {
            view! {
                <p class="notice saved small" role="status" data-testid="mark-saved">
                    {saved_message(waiting, "device")}
                </p>
            }
        })
    };
    let close = Action::new(move |_: &()| close_session(session_id));
    // The marks arrive as events like any other; the count is for the message.
    let all_present = Action::new(move |_: &()| mark_all_present(session_id));
    Effect::new(move |_| {
        if let Some(Ok(_)) = close.value().get() {
            reload.run(()); // also right when the live stream is down
        }
    });

    // Follow from the snapshot's position: the history the page shows came with the snapshot,
    // so resuming never needs more than what happened since it was read.
    let live = use_live();
    let position = data.position.clone();
    Effect::new(move |_| {
        live.follow(
            Channel::Session(session_id),
            Some(position.clone()),
            move |update| match update {
                LiveUpdate::Reload => reload.run(()),
                LiveUpdate::Code(shown) => model.update(|m| m.show_code(shown)),
                // New rules may switch between a fixed and a rotating code: read it all again.
                LiveUpdate::Event { event, .. }
                    if matches!(event.body, EventBody::CheckInRulesChanged { .. }) =>
                {
                    reload.run(())
                }
                // An upcoming session that opened by itself: read it again for its code and QR.
                LiveUpdate::Event { event, .. }
                    if matches!(event.body, EventBody::SessionOpened { .. })
                        && !model.with_untracked(|m| m.is_open || m.closed_at_ms.is_some()) =>
                {
                    reload.run(())
                }
                LiveUpdate::Event { event, replayed } => {
                    let changed = model.try_update(|m| m.apply(&event, replayed)).flatten();
                    if let (Some(student), false) = (changed, replayed) {
                        if let Some(flash) = flashes.with_value(|f| f.get(&student).copied()) {
                            web::flash(flash);
                        }
                    }
                }
            },
        );
    });

    let action_error = move || {
        mark.value()
            .get()
            .and_then(Result::err)
            .or_else(|| close.value().get().and_then(Result::err))
            .or_else(|| all_present.value().get().and_then(Result::err))
    };
    let session = data.session;
    let rules = session.rules.clone();
    let save_rules = Action::new(move |rules: &crate::domain::CheckInRules| {
        set_session_check_in_rules(session_id, Some(rules.clone()))
    });
    let closed_at = Signal::derive(move || model.with(|m| m.closed_at_ms));
    let activity = Signal::derive(move || model.with(|m| m.activity.clone()));
    // Changes when any mark does: the history panel reads the trail again.
    let marks_version = Signal::derive(move || model.with(SessionModel::marks_version));
    let upcoming = session.phase == SessionPhase::Upcoming;
    let this_session = Callback::new(
        move |item: crate::offline::OutboxItem| matches!(item.change, OfflineChange::Mark { session_id: s, .. } if s == session_id),
    );
    view! {
        <DashboardHead session is_open closed_at counts close/>
        {move || action_error().map(|error| view! { <ErrorNotice error/> })}
        {saved}
        <div class="dashboard-grid">
            <div class="dashboard-main">
                <Show when=move || is_open.get()>
                    <JoinPanel session_id model/>
                </Show>
                <ReviewQueue session_id model offset/>
                {(closed_at.get_untracked().is_none()).then(|| view! {
                    <details class="card rules-panel no-print" data-testid="rules-panel">
                        <summary>"Check-in rules: " {rules.summary()}</summary>
                        <CheckInRulesForm initial=rules.clone() save=save_rules scope="Save for this session"/>
                    </details>
                })}
                <OutboxList noun="device" only=this_session/>
                <AttendanceBar counts=counts/>
                {(!upcoming).then(|| view! {
                    <div class="inline-form no-print">
                        <button
                            class="button small"
                            data-testid="mark-all-present"
                            title="Everyone not yet marked becomes present; excused students, check-ins and your own marks stay."
                            disabled=move || all_present.pending().get()
                            on:click=move |_| { all_present.dispatch(()); }
                        >
                            "Mark all present"
                        </button>
                        {move || all_present.value().get().and_then(Result::ok).map(|n| view! {
                            <span class="muted small" role="status">{format!("{n} marked present.")}</span>
                        })}
                    </div>
                })}
                <Roster
                    session_id
                    roster=data.roster
                    model
                    flashes
                    offset
                    marking=!upcoming
                    on_mark=move |student, status| {
                        mark.dispatch((student, status));
                    }
                />
            </div>
            <aside class="dashboard-side">
                <ConnectionStatusIndicator detailed=true/>
                <NoticeList session_id model offset/>
                <LiveStudentActivity items=activity counts=counts utc_offset_minutes=offset/>
                <MarkChanges session_id version=marks_version/>
            </aside>
        </div>
    }
}
