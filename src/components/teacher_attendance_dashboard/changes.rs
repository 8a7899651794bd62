//! The session's audit trail: every change of a mark (who, when, before → after), newest first.
//! Read again whenever the live stream brings a change, so a correction made anywhere shows.

use crate::api::sessions::session_changes;
use crate::components::error_notice::ErrorNotice;
use crate::domain::time::clock_label;
use crate::domain::{MarkChangeEntry, MarkSource, SessionId};
use leptos::prelude::*;

#[component]
pub fn MarkChanges(session_id: SessionId, #[prop(into)] version: Signal<i64>) -> impl IntoView {
    // Loaded by the browser, again whenever a mark changes: the panel sits inside the
    // dashboard's own streamed snapshot.
    let changes =
        crate::web::load_in_browser(move || version.get(), move |_| session_changes(session_id));
    view! {
        <details class="card changes" data-testid="mark-changes">
            <summary>"Change history"</summary>
            {move || match changes.get() {
                None => view! { <p class="muted small">"Loading…"</p> }.into_any(),
                Some(Ok(view)) if view.changes.is_empty() => {
                    view! { <p class="muted small">"No marks yet."</p> }.into_any()
                }
                Some(Ok(view)) => {
                    let offset = view.utc_offset_minutes;
                    view! {
                        <ul class="change-list">
                            {view
                                .changes
                                .into_iter()
                                .rev()
                                .map(|change| view! { <ChangeLine change offset/> })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
                Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
            }}
        </details>
    }
}

#[component]
fn ChangeLine(change: MarkChangeEntry, offset: i32) -> impl IntoView {
    let what = match change.before {
        Some(before) => format!("{} → {}", before.label(), change.after.label()),
        None => change.after.label().to_string(),
    };
    let by = match (change.source, change.by_name) {
        (MarkSource::SelfCheckIn, _) => "checked in".to_string(),
        (_, Some(name)) => format!("by {name}"),
        (_, None) => "by Rollcall".to_string(),
    };
    view! {
        <li class:correction=change.before.is_some()>
            <span class="muted small">{clock_label(change.at_ms, offset)}</span>
            " " <strong>{change.student_name}</strong> " " {what}
            " " <span class="muted small">{by}</span>
        </li>
    }
}
