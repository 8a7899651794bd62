//! The dashboard's title line with the session's state and the close button, and the join
//! panel (code and QR) shown while the session is open.

use super::SessionModel;
use crate::api::teacher::SessionInfo;
use crate::domain::time::clock_label;
use crate::domain::{AttendanceCounts, SessionId, SessionPhase};
use crate::error::AppError;
use crate::protocol::CodeShown;
use crate::realtime::LinkState;
use leptos::prelude::*;

#[component]
pub fn DashboardHead(
    session: SessionInfo,
    is_open: Memo<bool>,
    closed_at: Signal<Option<i64>>,
    counts: Memo<AttendanceCounts>,
    close: Action<(), Result<u32, AppError>>,
) -> impl IntoView {
    let offset = session.utc_offset_minutes;
    let upcoming = session.phase == SessionPhase::Upcoming;
    let (confirming, set_confirming) = signal(false);
    view! {
        <div class="dashboard-head">
            <div>
                <h1>{session.class_name.clone()}</h1>
                <p class="muted small">
                    <a href=format!("/teacher/classes/{}", session.class_id)>"All sessions of this class"</a>
                    " · "
                    <a href=format!("/teacher/sessions/{}/audit", session.id) data-testid="audit-link">
                        "Check-in audit"
                    </a>
                </p>
                <p class="muted">
                    {if upcoming { "Starts " } else { "Started " }}
                    {clock_label(session.starts_at_ms, offset)}
                    {session.ends_at_ms.map(|end| format!("–{}", clock_label(end, offset)))}
                    {session.scheduled.then_some(" (timetable)")} " · late after "
                    {session.late_after_minutes} " min · "
                    <Show
                        when=move || is_open.get()
                        fallback=move || {
                            if upcoming && closed_at.get().is_none() {
                                view! {
                                    <span class="pill upcoming" data-testid="session-upcoming">
                                        "Upcoming: opens by itself"
                                    </span>
                                }
                                    .into_any()
                            } else {
                                view! {
                                    <span class="pill closed" data-testid="session-closed">
                                        "Closed "
                                        {move || closed_at.get().map(|at| clock_label(at, offset))}
                                    </span>
                                }
                                    .into_any()
                            }
                        }
                    >
                        <span class="pill open" data-testid="session-open">"Open"</span>
                    </Show>
                </p>
            </div>
            <div class="head-actions">
                <Show when=move || is_open.get()>
                    <Show
                        when=move || confirming.get()
                        fallback=move || {
                            view! {
                                <button class="button danger" on:click=move |_| set_confirming.set(true)>
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
                                disabled=move || close.pending().get()
                                on:click=move |_| {
                                    close.dispatch(());
                                }
                            >
                                {move || if close.pending().get() { "Closing…" } else { "Close now" }}
                            </button>
                            <button class="button ghost" on:click=move |_| set_confirming.set(false)>
                                "Cancel"
                            </button>
                        </span>
                    </Show>
                </Show>
            </div>
        </div>
    }
}

/// The code students type and the QR code they scan. A rotating code is replaced as each new
/// one arrives over the live channel, with a countdown to the next.
#[component]
pub fn JoinPanel(session_id: SessionId, model: RwSignal<SessionModel>) -> impl IntoView {
    let code = Memo::new(move |_| model.with(|m| m.code.clone()));
    let link = crate::realtime::use_live().status.state;
    view! {
        <div class="join-panel" data-testid="join-panel">
            <div class="join-code-box">
                <span class="caption">
                    {move || if rotating(code) { "Join code (changes)" } else { "Join code" }}
                </span>
                <span
                    class="join-code"
                    data-testid="join-code"
                    data-window=move || code.with(|c| c.as_ref().and_then(|c| c.rotation).map(|r| r.window))
                >
                    {move || code.with(|c| c.as_ref().map(|c| c.code.clone()))}
                </span>
                <CodeCountdown code/>
                {move || (rotating(code) && link.get() != LinkState::Open).then(|| view! {
                    <span class="caption offline-codes" data-testid="offline-codes">
                        "No network: this screen makes the codes itself. Phones keep their scans and send them when they are back online."
                    </span>
                })}
                <span class="caption">
                    "Students go to "
                    <code>{move || code.with(|c| c.as_ref().map(|c| c.check_in_url.clone()))}</code>
                </span>
                <a
                    class="button small ghost no-print"
                    href=format!("/teacher/sessions/{session_id}/present")
                    target="_blank"
                    data-testid="present-link"
                >
                    "Show on the projector"
                </a>
            </div>
            <div
                class="qr"
                data-testid="join-qr"
                inner_html=move || code.with(|c| c.as_ref().map(|c| c.qr_svg.clone()).unwrap_or_default())
                aria-label="QR code for check-in"
            ></div>
        </div>
    }
}

fn rotating(code: Memo<Option<CodeShown>>) -> bool {
    code.with(|c| c.as_ref().is_some_and(|c| c.rotation.is_some()))
}

/// "New code in 9 s" with a bar that empties, counted on the browser's clock from when the code
/// arrived (the server said how long it has left), so a wrong clock on the teacher's computer
/// does not matter. On the server, and until the first tick: "Changes every 15 s".
#[component]
pub fn CodeCountdown(code: Memo<Option<CodeShown>>) -> impl IntoView {
    let now = crate::web::use_ticking_now();
    let arrived_at = RwSignal::new(0.0);
    Effect::new(move |_| {
        code.track();
        arrived_at.set(crate::web::now_ms());
    });
    let left_ms = move || {
        let rotation = code.with(|c| c.as_ref().and_then(|c| c.rotation))?;
        let now = now.get();
        let left = (now > 0.0)
            // The ticking clock may lag the arrival by up to a tick: never count time back.
            .then(|| (rotation.changes_in_ms as f64 - (now - arrived_at.get()).max(0.0)).max(0.0));
        Some((rotation.period_seconds, left))
    };
    move || {
        left_ms().map(|(period, left)| {
            let label = match left {
                Some(left) => format!("New code in {} s", (left / 1000.0).ceil() as i64),
                None => format!("Changes every {period} s"),
            };
            let fraction = left.map_or(1.0, |left| left / (f64::from(period) * 1000.0));
            view! {
                <span class="code-countdown" data-testid="code-countdown">
                    <svg class="countdown-bar" viewBox="0 0 100 4" preserveAspectRatio="none" aria-hidden="true">
                        <rect class="countdown-track" x="0" y="0" width="100" height="4"></rect>
                        <rect class="countdown-left" x="0" y="0" width=format!("{:.1}", (fraction * 100.0).clamp(0.0, 100.0)) height="4"></rect>
                    </svg>
                    {label}
                </span>
            }
        })
    }
}
