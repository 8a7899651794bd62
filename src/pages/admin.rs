use crate::api::admin::{school_today, SchoolDay, SessionSummary};
use crate::components::attendance_bar::AttendanceBar;
use crate::components::error_notice::ErrorNotice;
use crate::components::holidays::HolidaysCard;
use crate::components::job_queue_card::JobQueueCard;
use crate::components::live_student_activity::{push_activity, ActivityItem, LiveStudentActivity};
use crate::components::reset_password::ResetPasswordCard;
use crate::domain::{AttendanceCounts, SessionId, SessionPhase};
use crate::protocol::{Channel, EventBody};
use crate::realtime::{use_live, LiveUpdate};
use leptos::prelude::*;
use std::collections::HashMap;

/// `/admin`: today's sessions across the school, moving live.
#[component]
pub fn AdminTodayPage() -> impl IntoView {
    let today = Resource::new(|| (), |_| school_today());
    let reload = Callback::new(move |_: ()| today.refetch());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match today.await {
                    Ok(day) => view! { <SchoolDayView day reload/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[derive(Clone)]
struct LiveSession {
    summary: SessionSummary,
    counts: RwSignal<AttendanceCounts>,
}

#[component]
fn SchoolDayView(day: SchoolDay, reload: Callback<()>) -> impl IntoView {
    let sessions: Vec<LiveSession> = day
        .sessions
        .into_iter()
        .map(|summary| LiveSession {
            counts: RwSignal::new(summary.counts),
            summary,
        })
        .collect();
    let by_id: StoredValue<HashMap<SessionId, RwSignal<AttendanceCounts>>> =
        StoredValue::new(sessions.iter().map(|s| (s.summary.id, s.counts)).collect());
    let totals = {
        let all: Vec<_> = sessions.iter().map(|s| s.counts).collect();
        Memo::new(move |_| {
            let mut totals = AttendanceCounts::default();
            for counts in &all {
                totals.merge(counts.get());
            }
            totals
        })
    };
    let activity = RwSignal::new(Vec::<ActivityItem>::new());

    // The snapshot and its school-channel position were read together, so applying every
    // later change once (the connection drops repeats by seq) keeps the figures exact.
    let live = use_live();
    let position = day.position.clone();
    Effect::new(move |_| {
        live.follow(
            Channel::School,
            Some(position.clone()),
            move |update| match update {
                LiveUpdate::Reload => reload.run(()),
                LiveUpdate::Event { event, replayed } => {
                    if let Some(item) = ActivityItem::from_event(&event, replayed) {
                        push_activity(activity, item);
                    }
                    match event.body {
                        EventBody::AttendanceChanged {
                            session_id,
                            status,
                            previous,
                            ..
                        } => match by_id.with_value(|map| map.get(&session_id).copied()) {
                            Some(counts) => counts.update(|c| c.change(previous, Some(status))),
                            None => reload.run(()),
                        },
                        EventBody::SessionOpened { .. } | EventBody::SessionClosed { .. } => {
                            reload.run(())
                        }
                        _ => {}
                    }
                }
                LiveUpdate::Code(_) => {} // the school channel has no code
            },
        );
    });

    view! {
        <h1>"Today, " {day.date_label}</h1>
        <div class="dashboard-grid">
            <div class="dashboard-main">
                <section class="card">
                    <h2>"Whole school"</h2>
                    <AttendanceBar counts=totals/>
                </section>
                {if sessions.is_empty() {
                    view! { <p class="muted">"No sessions have started today."</p> }.into_any()
                } else {
                    view! {
                        <table class="sessions" data-testid="today-sessions">
                            <thead>
                                <tr>
                                    <th>"Class"</th>
                                    <th>"Teacher"</th>
                                    <th>"Started"</th>
                                    <th>"Present"</th>
                                    <th>"Late"</th>
                                    <th>"Absent"</th>
                                    <th>"Not yet"</th>
                                    <th>"Rate"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {sessions.into_iter().map(|s| view! { <SessionRow session=s/> }).collect_view()}
                            </tbody>
                        </table>
                    }
                        .into_any()
                }}
            </div>
            <aside class="dashboard-side">
                <LiveStudentActivity items=activity counts=totals compact=true/>
                <HolidaysCard/>
                <ResetPasswordCard/>
                <JobQueueCard/>
            </aside>
        </div>
    }
}

#[component]
fn SessionRow(session: LiveSession) -> impl IntoView {
    let counts = session.counts;
    let s = session.summary;
    let rate = move || counts.get().attendance_rate().unwrap_or(0.0) * 100.0;
    view! {
        <tr data-testid=format!("school-session-{}", s.id)>
            <td>
                <a href=format!("/teacher/sessions/{}", s.id)>{s.class_name}</a>
                {match s.phase {
                    SessionPhase::Open => Some(view! { <span class="pill open">"Open"</span> }.into_any()),
                    SessionPhase::Upcoming => {
                        Some(view! { <span class="pill upcoming">"Upcoming"</span> }.into_any())
                    }
                    SessionPhase::Closed => None,
                }}
            </td>
            <td>{s.teacher_name}</td>
            <td>{s.starts_at_label}</td>
            <td data-testid="present">{move || counts.get().present}</td>
            <td>{move || counts.get().late}</td>
            <td>{move || counts.get().absent}</td>
            <td>{move || counts.get().not_marked}</td>
            <td class="rate-cell">
                <strong>{move || counts.get().rate_label()}</strong>
                <svg class="mini-bar" viewBox="0 0 100 1" preserveAspectRatio="none" aria-hidden="true">
                    <rect class="mini-fill" width=move || format!("{:.0}", rate()) height="1"></rect>
                </svg>
            </td>
        </tr>
    }
}
