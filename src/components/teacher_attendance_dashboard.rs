//! The teacher's view of one class session: join code and QR, live counts and roster, marking,
//! notifications and the activity feed. A snapshot from `session_dashboard` is rendered on the
//! server; in the browser the session's event stream keeps it current.

use crate::api::teacher::{
    close_session, mark_attendance, session_dashboard, RosterEntry, SessionView,
};
use crate::components::attendance_bar::AttendanceBar;
use crate::components::connection_status_indicator::ConnectionStatusIndicator;
use crate::components::error_notice::ErrorNotice;
use crate::components::live_student_activity::{push_activity, ActivityItem, LiveStudentActivity};
use crate::domain::time::clock_label;
use crate::domain::{
    AttendanceCounts, AttendanceStatus, CheckInRefusal, Mark, MarkSource, SessionId, UserId,
};
use crate::protocol::{Channel, Event, EventBody, StreamPosition};
use crate::realtime::{use_live, LiveUpdate};
use leptos::prelude::*;
use std::collections::HashMap;

#[component]
pub fn TeacherAttendanceDashboard(#[prop(into)] session_id: Signal<SessionId>) -> impl IntoView {
    let (reloads, set_reloads) = signal(0u32);
    let snapshot = Resource::new(
        move || (session_id.get(), reloads.get()),
        |(id, _)| session_dashboard(id),
    );
    let reload = Callback::new(move |_: ()| set_reloads.update(|n| *n += 1));
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

/// One roster line whose mark changes live.
#[derive(Clone)]
struct LiveRow {
    entry: RosterEntry,
    mark: RwSignal<Option<Mark>>,
    /// Set briefly when the row changes live, to highlight it.
    flash: RwSignal<bool>,
}

impl LiveRow {
    /// Applies a mark if it is newer than the one shown; returns whether it changed anything.
    fn apply(&self, mark: Mark) -> bool {
        let newer = self
            .mark
            .with_untracked(|current| current.as_ref().is_none_or(|m| mark.version > m.version));
        if newer {
            self.mark.set(Some(mark));
        }
        newer
    }
}

/// Something the teacher should know about, listed with read/unread.
#[derive(Debug, Clone, PartialEq)]
struct Notice {
    seq: i64,
    at_ms: i64,
    text: String,
    warning: bool,
}

impl Notice {
    fn from_event(event: &Event) -> Option<Notice> {
        let (text, warning) = match &event.body {
            EventBody::AttendanceChanged {
                student_name,
                status: AttendanceStatus::Late,
                source: MarkSource::SelfCheckIn,
                ..
            } => (format!("{student_name} arrived late."), false),
            EventBody::CheckInRefused {
                student_name,
                reason,
                code,
                ..
            } => (
                match reason {
                    CheckInRefusal::WrongCode => {
                        format!("{student_name} tried a wrong code ({code}).")
                    }
                    CheckInRefusal::SessionClosed => {
                        format!("{student_name} tried to check in after closing.")
                    }
                    CheckInRefusal::NotOnRoster => {
                        format!("{student_name} is not on the roster but tried to check in.")
                    }
                },
                true,
            ),
            _ => return None,
        };
        Some(Notice {
            seq: event.seq,
            at_ms: event.at_ms,
            text,
            warning,
        })
    }
}

#[component]
fn DashboardBody(data: SessionView, reload: Callback<()>) -> impl IntoView {
    let session = data.session;
    let session_id = session.id;
    let offset = session.utc_offset_minutes;
    let rows: Vec<LiveRow> = data
        .roster
        .into_iter()
        .map(|entry| LiveRow {
            mark: RwSignal::new(entry.mark.clone()),
            flash: RwSignal::new(false),
            entry,
        })
        .collect();
    let by_student: StoredValue<HashMap<UserId, LiveRow>> = StoredValue::new(
        rows.iter()
            .map(|row| (row.entry.student_id, row.clone()))
            .collect(),
    );
    let counts = {
        let marks: Vec<_> = rows.iter().map(|row| row.mark).collect();
        Memo::new(move |_| {
            AttendanceCounts::from_statuses(marks.iter().map(|m| m.get().map(|m| m.status)))
        })
    };
    let activity = RwSignal::new(Vec::<ActivityItem>::new());
    let notices = RwSignal::new(Vec::<Notice>::new());
    let read_upto = RwSignal::new(0i64);

    let mark = Action::new(|input: &(SessionId, UserId, AttendanceStatus)| {
        let (session, student, status) = *input;
        mark_attendance(session, student, status)
    });
    let close = Action::new(|session: &SessionId| close_session(*session));
    // The live stream normally brings the change; apply the answer too, for when it is down.
    Effect::new(move |_| {
        if let (Some(Ok(new_mark)), Some((_, student, _))) =
            (mark.value().get(), mark.input().get_untracked())
        {
            by_student.with_value(|rows| rows.get(&student).map(|row| row.apply(new_mark)));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = close.value().get() {
            reload.run(());
        }
    });

    // Follow the session's log from its start: replayed events rebuild the feed and the
    // notifications (marks already in the snapshot are skipped by version), live ones update it.
    let live = use_live();
    let epoch = data.position.epoch.clone();
    Effect::new(move |_| {
        let storage_key = format!("rollcall.read.session.{session_id}");
        read_upto.set(
            local_storage_get(&storage_key)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        );
        let from_start = StreamPosition {
            epoch: epoch.clone(),
            seq: 0,
        };
        live.follow(
            Channel::Session(session_id),
            Some(from_start),
            move |update| match update {
                LiveUpdate::Reload => reload.run(()),
                LiveUpdate::Event { event, replayed } => {
                    if let Some(notice) = Notice::from_event(&event) {
                        notices.update(|list| list.insert(0, notice));
                    }
                    if let Some(item) = ActivityItem::from_event(&event, replayed) {
                        push_activity(activity, item);
                    }
                    match event.body {
                        EventBody::AttendanceChanged {
                            student_id,
                            status,
                            source,
                            version,
                            ..
                        } => {
                            let new_mark = Mark {
                                status,
                                source,
                                marked_at_ms: event.at_ms,
                                version,
                            };
                            by_student.with_value(|rows| {
                                if let Some(row) = rows.get(&student_id) {
                                    if row.apply(new_mark) && !replayed {
                                        flash(row.flash);
                                    }
                                }
                            });
                        }
                        EventBody::SessionClosed { .. } if !replayed => reload.run(()),
                        _ => {}
                    }
                }
            },
        );
    });

    let unread =
        move || notices.with(|list| list.iter().filter(|n| n.seq > read_upto.get()).count());
    let mark_all_read = move |_| {
        let newest = notices.with_untracked(|list| list.first().map_or(0, |n| n.seq));
        read_upto.set(newest);
        local_storage_set(
            &format!("rollcall.read.session.{session_id}"),
            &newest.to_string(),
        );
    };
    let (confirming_close, set_confirming_close) = signal(false);
    let action_error = move || {
        mark.value()
            .get()
            .and_then(Result::err)
            .or_else(|| close.value().get().and_then(Result::err))
    };

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
                                "Closed " {session.closed_at_ms.map(|at| clock_label(at, offset))}
                            </span>
                        }
                            .into_any()
                    }}
                </p>
            </div>
            <div class="head-actions">
                {session
                    .is_open
                    .then(|| {
                        view! {
                            <Show
                                when=move || confirming_close.get()
                                fallback=move || {
                                    view! {
                                        <button class="button danger" on:click=move |_| set_confirming_close.set(true)>
                                            "Close session"
                                        </button>
                                    }
                                }
                            >
                                <span class="confirm">
                                    {move || format!("{} unmarked will become absent.", counts.get().not_marked)}
                                    <button
                                        class="button danger"
                                        data-testid="confirm-close"
                                        on:click=move |_| {
                                            close.dispatch(session_id);
                                        }
                                    >
                                        "Close now"
                                    </button>
                                    <button class="button ghost" on:click=move |_| set_confirming_close.set(false)>
                                        "Cancel"
                                    </button>
                                </span>
                            </Show>
                        }
                    })}
            </div>
        </div>
        {move || action_error().map(|error| view! { <ErrorNotice error/> })}
        <div class="dashboard-grid">
            <div class="dashboard-main">
                {session
                    .is_open
                    .then(|| {
                        view! {
                            <div class="join-panel">
                                <div class="join-code-box">
                                    <span class="caption">"Join code"</span>
                                    <span class="join-code" data-testid="join-code">{session.join_code.clone()}</span>
                                    <span class="caption">
                                        "Students go to " <code>{session.check_in_url.clone()}</code>
                                    </span>
                                </div>
                                <div class="qr" inner_html=session.qr_svg.clone() aria-label="QR code for check-in"></div>
                            </div>
                        }
                    })}
                <AttendanceBar counts=counts/>
                <table class="roster" data-testid="roster">
                    <thead>
                        <tr>
                            <th>"Student"</th>
                            <th>"Status"</th>
                            <th class="mark-head">"Mark"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|row| {
                                view! {
                                    <RosterRow
                                        row
                                        offset
                                        on_mark=move |student, status| {
                                            mark.dispatch((session_id, student, status));
                                        }
                                    />
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
            <aside class="dashboard-side">
                <ConnectionStatusIndicator detailed=true/>
                <section class="notices" data-testid="notifications">
                    <header class="activity-head">
                        <h2>
                            "Notifications "
                            <span class="count-badge" data-testid="unread-count" class:zero=move || unread() == 0>
                                {unread}
                            </span>
                        </h2>
                        <button class="button ghost small" on:click=mark_all_read disabled=move || unread() == 0>
                            "Mark all read"
                        </button>
                    </header>
                    <ul class="notice-list">
                        {move || {
                            let read = read_upto.get();
                            let list = notices.get();
                            if list.is_empty() {
                                return view! { <li class="muted small">"Nothing yet: late arrivals and refused check-ins show here."</li> }
                                    .into_any();
                            }
                            list.into_iter()
                                .take(30)
                                .map(|notice| {
                                    view! {
                                        <li
                                            class:unread={notice.seq > read}
                                            class:warning=notice.warning
                                            data-testid="notification"
                                        >
                                            <span>{notice.text}</span>
                                            <span class="muted small">{clock_label(notice.at_ms, offset)}</span>
                                        </li>
                                    }
                                })
                                .collect_view()
                                .into_any()
                        }}
                    </ul>
                </section>
                <LiveStudentActivity items=activity counts=counts utc_offset_minutes=offset/>
            </aside>
        </div>
    }
}

/// Highlights a row for a moment.
fn flash(signal: RwSignal<bool>) {
    signal.set(true);
    #[cfg(feature = "hydrate")]
    leptos::leptos_dom::helpers::set_timeout(
        move || signal.set(false),
        std::time::Duration::from_millis(1600),
    );
}

fn local_storage_get(key: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    return window().local_storage().ok()??.get_item(key).ok()?;
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        None
    }
}

fn local_storage_set(key: &str, value: &str) {
    #[cfg(feature = "hydrate")]
    if let Ok(Some(storage)) = window().local_storage() {
        let _ = storage.set_item(key, value);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key, value);
}

#[component]
fn RosterRow(
    row: LiveRow,
    offset: i32,
    on_mark: impl Fn(UserId, AttendanceStatus) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let mark = row.mark;
    let status = move || mark.get().map(|m| m.status);
    let detail = move || {
        mark.get().map(|mark| {
            let by = match mark.source {
                MarkSource::SelfCheckIn => "checked in",
                MarkSource::Teacher => "by teacher",
                MarkSource::Automatic => "at close",
            };
            format!("{} · {by}", clock_label(mark.marked_at_ms, offset))
        })
    };
    let student = row.entry.student_id;
    view! {
        <tr
            data-testid=format!("roster-row-{}", row.entry.username)
            data-status=move || status().map(|s| s.as_str()).unwrap_or("not_marked")
            class:flash=move || row.flash.get()
        >
            <td>
                <span class="student-name">{row.entry.display_name.clone()}</span>
                <span class="muted small">{row.entry.username.clone()}</span>
            </td>
            <td>
                {move || view! { <StatusBadge status=status()/> }}
                {move || detail().map(|d| view! { <span class="muted small">{d}</span> })}
            </td>
            <td class="mark-buttons">
                {AttendanceStatus::ALL
                    .into_iter()
                    .map(|option| {
                        view! {
                            <button
                                class="chip"
                                class:active=move || status() == Some(option)
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
