//! The dashboard's title line with the session's state and the close button, and the join
//! panel (code and QR) shown while the session is open.

use crate::api::teacher::SessionInfo;
use crate::domain::time::clock_label;
use crate::domain::{AttendanceCounts, SessionPhase};
use crate::error::AppError;
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

#[component]
pub fn JoinPanel(session: SessionInfo) -> impl IntoView {
    view! {
        <div class="join-panel">
            <div class="join-code-box">
                <span class="caption">"Join code"</span>
                <span class="join-code" data-testid="join-code">{session.join_code}</span>
                <span class="caption">"Students go to " <code>{session.check_in_url}</code></span>
            </div>
            <div class="qr" inner_html=session.qr_svg.unwrap_or_default() aria-label="QR code for check-in"></div>
        </div>
    }
}
