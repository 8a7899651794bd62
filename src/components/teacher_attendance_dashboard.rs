//! The teacher's view of one class session: join code and QR, counts, roster, marking.

use crate::api::teacher::{
    close_session, mark_attendance, session_dashboard, RosterEntry, SessionView,
};
use crate::components::attendance_bar::AttendanceBar;
use crate::components::error_notice::ErrorNotice;
use crate::domain::time::clock_label;
use crate::domain::{AttendanceStatus, MarkSource, SessionId, UserId};
use leptos::prelude::*;

#[component]
pub fn TeacherAttendanceDashboard(#[prop(into)] session_id: Signal<SessionId>) -> impl IntoView {
    let mark = Action::new(|input: &(SessionId, UserId, AttendanceStatus)| {
        let (session, student, status) = *input;
        mark_attendance(session, student, status)
    });
    let close = Action::new(|session: &SessionId| close_session(*session));
    let (refreshes, set_refreshes) = signal(0u32);
    let dashboard = Resource::new(
        move || {
            (
                session_id.get(),
                mark.version().get(),
                close.version().get(),
                refreshes.get(),
            )
        },
        |(id, ..)| session_dashboard(id),
    );
    let action_error = move || {
        mark.value()
            .get()
            .and_then(Result::err)
            .or_else(|| close.value().get().and_then(Result::err))
    };

    view! {
        <section class="dashboard" data-testid="teacher-dashboard">
            <Transition fallback=|| view! { <p class="muted">"Loading the session…"</p> }>
                {move || Suspend::new(async move {
                    match dashboard.await {
                        Ok(data) => {
                            view! {
                                <DashboardBody
                                    data
                                    on_mark=move |student, status| {
                                        mark.dispatch((session_id.get_untracked(), student, status));
                                    }
                                    on_close=move || {
                                        close.dispatch(session_id.get_untracked());
                                    }
                                    on_refresh=move || set_refreshes.update(|n| *n += 1)
                                />
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Transition>
            {move || action_error().map(|error| view! { <ErrorNotice error/> })}
        </section>
    }
}

#[component]
fn DashboardBody(
    data: SessionView,
    on_mark: impl Fn(UserId, AttendanceStatus) + Copy + Send + Sync + 'static,
    on_close: impl Fn() + Copy + Send + Sync + 'static,
    on_refresh: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let session = data.session;
    let offset = session.utc_offset_minutes;
    let (confirming_close, set_confirming_close) = signal(false);
    let not_marked = data.counts.not_marked;
    let counts = data.counts;
    view! {
        <div class="dashboard-head">
            <div>
                <h1>{session.class_name.clone()}</h1>
                <p class="muted">
                    "Started " {clock_label(session.starts_at_ms, offset)} " · late after "
                    {session.late_after_minutes} " min · "
                    {if session.is_open {
                        view! { <span class="pill open">"Open"</span> }.into_any()
                    } else {
                        view! {
                            <span class="pill closed" data-testid="session-closed">
                                "Closed "
                                {session.closed_at_ms.map(|at| clock_label(at, offset))}
                            </span>
                        }
                            .into_any()
                    }}
                </p>
            </div>
            <div class="head-actions">
                <button class="button ghost" on:click=move |_| on_refresh()>
                    "Refresh"
                </button>
                {session
                    .is_open
                    .then(|| {
                        view! {
                            <Show
                                when=move || confirming_close.get()
                                fallback=move || {
                                    view! {
                                        <button
                                            class="button danger"
                                            on:click=move |_| set_confirming_close.set(true)
                                        >
                                            "Close session"
                                        </button>
                                    }
                                }
                            >
                                <span class="confirm">
                                    {format!("{not_marked} unmarked will become absent.")}
                                    <button
                                        class="button danger"
                                        data-testid="confirm-close"
                                        on:click=move |_| on_close()
                                    >
                                        "Close now"
                                    </button>
                                    <button
                                        class="button ghost"
                                        on:click=move |_| set_confirming_close.set(false)
                                    >
                                        "Cancel"
                                    </button>
                                </span>
                            </Show>
                        }
                    })}
            </div>
        </div>
        {session
            .is_open
            .then(|| {
                view! {
                    <div class="join-panel">
                        <div class="join-code-box">
                            <span class="caption">"Join code"</span>
                            <span class="join-code" data-testid="join-code">
                                {session.join_code.clone()}
                            </span>
                            <span class="caption">
                                "Students go to " <code>{session.check_in_url.clone()}</code>
                            </span>
                        </div>
                        <div class="qr" inner_html=session.qr_svg.clone() aria-label="QR code for check-in"></div>
                    </div>
                }
            })}
        <AttendanceBar counts=Signal::derive(move || counts)/>
        <table class="roster" data-testid="roster">
            <thead>
                <tr>
                    <th>"Student"</th>
                    <th>"Status"</th>
                    <th class="mark-head">"Mark"</th>
                </tr>
            </thead>
            <tbody>
                {data
                    .roster
                    .into_iter()
                    .map(|entry| view! { <RosterRow entry offset on_mark/> })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn RosterRow(
    entry: RosterEntry,
    offset: i32,
    on_mark: impl Fn(UserId, AttendanceStatus) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let status = entry.mark.as_ref().map(|m| m.status);
    let detail = entry.mark.as_ref().map(|mark| {
        let by = match mark.source {
            MarkSource::SelfCheckIn => "checked in",
            MarkSource::Teacher => "by teacher",
            MarkSource::Automatic => "at close",
        };
        format!("{} · {by}", clock_label(mark.marked_at_ms, offset))
    });
    let student = entry.student_id;
    let test_id = format!("roster-row-{}", entry.username);
    view! {
        <tr
            data-testid=test_id
            data-status=status.map(|s| s.as_str()).unwrap_or("not_marked")
        >
            <td>
                <span class="student-name">{entry.display_name}</span>
                <span class="muted small">{entry.username}</span>
            </td>
            <td>
                <StatusBadge status/>
                {detail.map(|d| view! { <span class="muted small">{d}</span> })}
            </td>
            <td class="mark-buttons">
                {AttendanceStatus::ALL
                    .into_iter()
                    .map(|option| {
                        view! {
                            <button
                                class="chip"
                                class:active=status == Some(option)
                                data-status=option.as_str()
                                title=format!("Mark {}", option.label().to_lowercase())
                                on:click=move |_| on_mark(student, option)
                            >
                                {option.label()}
                            </button>
                        }
                    })
                    .collect_view()}
            </td>
        </tr>
    }
}

#[component]
pub fn StatusBadge(status: Option<AttendanceStatus>) -> impl IntoView {
    let (class, label) = match status {
        Some(status) => (status.as_str(), status.label()),
        None => ("not-marked", "Not yet"),
    };
    view! { <span class=format!("badge {class}")>{label}</span> }
}
