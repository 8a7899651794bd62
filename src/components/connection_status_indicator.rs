//! The connection, drawn: a coloured dot and a word in the header, and a detailed panel.

use crate::domain::time::relative_label;
use crate::offline::use_offline;
use crate::realtime::{use_live, LinkState};
use crate::web::use_ticking_now;
use leptos::prelude::*;

#[component]
pub fn ConnectionStatusIndicator(
    /// Show the full panel instead of the compact dot (which opens the panel when clicked).
    #[prop(optional)]
    detailed: bool,
) -> impl IntoView {
    let status = use_live().status;
    let outbox = use_offline().status;
    let (open, set_open) = signal(false);
    let dot = move || {
        let state = status.state.get();
        view! {
            <span class=format!("link-dot {}", state.key()) aria-hidden="true"></span>
            <span class="link-word">{state.label()}</span>
        }
    };
    // Changes kept on this device show on the dot, so nobody closes the tab thinking all is sent.
    let badge = move || {
        let pending = outbox.pending();
        (pending > 0).then(|| {
            view! {
                <span class="outbox-badge" data-testid="outbox-pending" title="Saved on this device, not sent yet">
                    {pending}
                </span>
            }
        })
    };
    if detailed {
        return view! { <ConnectionPanel/> }.into_any();
    }
    view! {
        <div class="link-status-wrap">
            <button
                class="link-status"
                data-testid="connection-status"
                data-state=move || status.state.get().key()
                data-leader=move || outbox.leader.get().to_string()
                aria-expanded=move || open.get().to_string()
                title="Live connection"
                on:click=move |_| set_open.update(|o| *o = !*o)
            >
                {dot}
                {badge}
            </button>
            <Show when=move || open.get()>
                <div class="link-popover">
                    <ConnectionPanel/>
                </div>
            </Show>
        </div>
    }
    .into_any()
}

#[component]
fn ConnectionPanel() -> impl IntoView {
    let live = use_live();
    let status = live.status;
    let outbox = use_offline().status;
    let now = use_ticking_now();
    let saved_here = move || match (outbox.pending(), outbox.last_sync_ms.get(), now.get()) {
        (0, None, _) => "nothing waiting".to_string(),
        (pending, last, now) => {
            let waiting = match pending {
                0 => "all sent".to_string(),
                n => format!("{n} waiting"),
            };
            match last {
                Some(at) if now > 0.0 => {
                    format!(
                        "{waiting} · last sent {}",
                        relative_label(at as i64, now as i64)
                    )
                }
                _ => waiting,
            }
        }
    };
    let state = move || status.state.get();
    let explain = move || match state() {
        LinkState::Connecting => "Opening the live connection…",
        LinkState::Open => "Changes appear as they happen.",
        LinkState::Reconnecting => "The connection dropped; trying again.",
        LinkState::Polling => {
            "The live connection keeps failing, so updates come by polling every few seconds."
        }
        LinkState::Offline => "This device is offline. Changes will catch up when it is back.",
        LinkState::Replaced => {
            "Opened in another tab: live updates continue there. Reconnect to use this tab instead."
        }
    };
    let retry = move || {
        let at = status.next_retry_at_ms.get()?;
        let now = now.get();
        (now > 0.0 && state() != LinkState::Open)
            .then(|| format!("next try in {:.0} s", ((at - now) / 1000.0).max(0.0)))
    };
    let last_event = move || match (status.last_event_at_ms.get(), now.get()) {
        (Some(at), now) if now > 0.0 => relative_label(at as i64, now as i64),
        _ => "none yet".to_string(),
    };
    let resume = move || match status.last_resume.get() {
        None => "not yet".to_string(),
        Some(report) if !report.recovered => "too far behind: reloaded the snapshot".to_string(),
        Some(report) if report.replayed == 0 => "up to date, nothing missed".to_string(),
        Some(report) => format!(
            "replayed {} missed event{}",
            report.replayed,
            if report.replayed == 1 { "" } else { "s" }
        ),
    };
    view! {
        <section
            class="link-panel"
            data-testid="connection-panel"
            data-state=move || state().key()
            data-leader=move || outbox.leader.get().to_string()
        >
            <header class="link-panel-head">
                <span class=move || format!("link-dot big {}", state().key())></span>
                <div>
                    <strong data-testid="connection-state">{move || state().label()}</strong>
                    <p class="muted small">{explain}</p>
                </div>
            </header>
            <dl class="link-facts">
                <dt>"Latency"</dt>
                <dd data-testid="connection-latency">
                    {move || status.latency_ms.get().map_or("—".to_string(), |ms| format!("{ms} ms"))}
                </dd>
                <dt>"Attempt"</dt>
                <dd>
                    {move || match status.attempt.get() {
                        0 => "—".to_string(),
                        n => format!("{n}"),
                    }}
                    {move || retry().map(|text| view! { <span class="muted">" · " {text}</span> })}
                </dd>
                <dt>"Last event"</dt>
                <dd>{last_event}</dd>
                <dt>"Last resume"</dt>
                <dd data-testid="connection-resume">{resume}</dd>
                <dt>"Saved here"</dt>
                <dd data-testid="connection-outbox">{saved_here}</dd>
                {move || {
                    status
                        .last_error
                        .get()
                        .map(|error| {
                            view! {
                                <dt>"Problem"</dt>
                                <dd class="link-error">{error}</dd>
                            }
                        })
                }}
            </dl>
            <button class="button small" on:click=move |_| live.reconnect_now()>
                "Reconnect now"
            </button>
        </section>
    }
}
