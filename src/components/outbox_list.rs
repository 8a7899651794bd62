//! What this device keeps to send, and what became of it: one line per change with its state
//! (waiting, sending, sent, needs review, not accepted), and for a teacher's mark that met
//! someone else's both values with one click to choose.

use crate::api::teacher::mark_attendance;
use crate::domain::outbox::OfflineChange;
use crate::domain::time::relative_label;
use crate::offline::{use_offline, ItemState, OutboxItem};
use crate::web::use_ticking_now;
use leptos::prelude::*;

#[component]
pub fn OutboxList(
    /// Which changes this list is about (e.g. one session's marks).
    #[prop(optional)]
    only: Option<Callback<OutboxItem, bool>>,
    /// "phone" or "device", for the sentence at the top.
    #[prop(default = "device")]
    noun: &'static str,
) -> impl IntoView {
    let offline = use_offline();
    let status = offline.status;
    let shown = Memo::new(move |_| {
        status.items.with(|items| {
            items
                .iter()
                .filter(|item| only.is_none_or(|only| only.run((*item).clone())))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let pending = move || shown.with(|items| items.iter().filter(|i| i.state.is_pending()).count());
    let now = use_ticking_now();
    let last_sync = move || match (status.last_sync_ms.get(), now.get()) {
        (Some(at), now) if now > 0.0 => Some(relative_label(at as i64, now as i64)),
        _ => None,
    };
    view! {
        <Show when=move || !shown.with(Vec::is_empty)>
            <section class="outbox card narrow" data-testid="outbox" data-pending=move || pending().to_string()>
                <h2>"Saved on this " {noun}</h2>
                <p class="muted small">
                    {move || match pending() {
                        0 => "Everything saved here has been sent.".to_string(),
                        1 => "1 change waits to be sent when the network is back.".to_string(),
                        n => format!("{n} changes wait to be sent when the network is back."),
                    }}
                    {move || last_sync().map(|at| format!(" Last sent {at}."))}
                </p>
                {move || status.problem.get().map(|problem| view! {
                    <p class="notice error small" role="alert">{problem}</p>
                })}
                <ul class="outbox-items">
                    <For each=move || shown.get() key=|item| (item.seq, item.state.key()) let:item>
                        <OutboxLine item/>
                    </For>
                </ul>
            </section>
        </Show>
    }
}

#[component]
fn OutboxLine(item: OutboxItem) -> impl IntoView {
    let offline = use_offline();
    let seq = item.seq;
    let change = item.change.clone();
    let resolve = Action::new(move |keep_mine: &bool| {
        let keep_mine = *keep_mine;
        let change = change.clone();
        async move {
            if let (
                true,
                OfflineChange::Mark {
                    session_id,
                    student_id,
                    status,
                    ..
                },
            ) = (keep_mine, change)
            {
                mark_attendance(session_id, student_id, status).await?;
            }
            offline.dismiss(seq);
            Ok::<(), crate::error::AppError>(())
        }
    });
    let conflict = (item.state == ItemState::Conflict).then(|| {
        let yours = match &item.change {
            OfflineChange::Mark { status, .. } => status.label(),
            OfflineChange::CheckIn { .. } => "",
        };
        let theirs = item
            .theirs
            .as_ref()
            .map_or("unmarked", |mark| mark.status.label());
        view! {
            <div class="outbox-conflict" data-testid="outbox-conflict">
                <button class="button small primary" data-testid="keep-mine"
                    disabled=move || resolve.pending().get()
                    on:click=move |_| { resolve.dispatch(true); }>
                    "Keep mine: " {yours}
                </button>
                <button class="button small" data-testid="keep-theirs"
                    disabled=move || resolve.pending().get()
                    on:click=move |_| { resolve.dispatch(false); }>
                    "Keep theirs: " {theirs}
                </button>
                {move || resolve.value().get().and_then(Result::err).map(|error| view! {
                    <span class="link-error small">{error.message}</span>
                })}
            </div>
        }
    });
    view! {
        <li class=format!("outbox-item {}", item.state.key()) data-testid="outbox-item" data-state=item.state.key()>
            <span class="outbox-label">{item.label}</span>
            <span class="outbox-state">{item.state.label()}</span>
            {item.detail.map(|detail| view! { <span class="muted small outbox-detail">{detail}</span> })}
            {conflict}
        </li>
    }
}
