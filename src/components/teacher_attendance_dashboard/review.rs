//! Check-ins held for review: who, why and when, with Accept and Reject. The queue is kept by
//! the session's events (a decision made in another tab, or the student checking in again,
//! removes an entry everywhere).

use super::SessionModel;
use crate::api::presence::review_check_in;
use crate::components::error_notice::ErrorNotice;
use crate::domain::check_in_review::HeldCheckIn;
use crate::domain::time::clock_label;
use crate::domain::SessionId;
use leptos::prelude::*;

#[component]
pub fn ReviewQueue(
    session_id: SessionId,
    model: RwSignal<SessionModel>,
    offset: i32,
) -> impl IntoView {
    let review = Action::new(move |&(attempt_id, accept): &(i64, bool)| async move {
        let answer = review_check_in(session_id, attempt_id, accept).await;
        if answer.is_ok() {
            model.update(|m| m.settle(attempt_id));
        }
        answer
    });
    let held = Memo::new(move |_| model.with(|m| m.held.clone()));
    view! {
        <Show when=move || held.with(|h| !h.is_empty())>
            <section class="card review-queue" data-testid="review-queue" aria-live="polite">
                <h2>"Waiting for your review " <span class="count-badge">{move || held.with(Vec::len)}</span></h2>
                {move || review.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error/> })}
                <ul class="plain-list">
                    <For each=move || held.get() key=|h| h.attempt_id let:entry>
                        <HeldRow entry offset review/>
                    </For>
                </ul>
            </section>
        </Show>
    }
}

#[component]
fn HeldRow(
    entry: HeldCheckIn,
    offset: i32,
    review: Action<(i64, bool), Result<Option<crate::domain::Mark>, crate::error::AppError>>,
) -> impl IntoView {
    let id = entry.attempt_id;
    let why = entry
        .reasons
        .iter()
        .map(|r| r.label())
        .collect::<Vec<_>>()
        .join("; ");
    view! {
        <li class="held-row" data-testid=format!("held-{}", entry.student_id)>
            <div>
                <strong>{entry.student_name.clone()}</strong>
                <span class="muted small">
                    " · " {clock_label(entry.at_ms, offset)} " · would be " {entry.status.label()}
                </span>
                <div class="small warning-text">{why}</div>
            </div>
            <div class="held-actions">
                <button
                    class="button small"
                    data-testid=format!("accept-{}", entry.student_id)
                    disabled=move || review.pending().get()
                    on:click=move |_| { review.dispatch((id, true)); }
                >
                    "Accept"
                </button>
                <button
                    class="button small ghost"
                    data-testid=format!("reject-{}", entry.student_id)
                    disabled=move || review.pending().get()
                    on:click=move |_| { review.dispatch((id, false)); }
                >
                    "Reject"
                </button>
            </div>
        </li>
    }
}
