//! Notifications about the session (late arrivals, refused check-ins) with read/unread; what
//! was read is remembered per session in the browser.

use super::SessionModel;
use crate::domain::time::clock_label;
use crate::domain::SessionId;
use crate::web::{local_storage_get, local_storage_set};
use leptos::prelude::*;

#[component]
pub fn NoticeList(
    session_id: SessionId,
    model: RwSignal<SessionModel>,
    offset: i32,
) -> impl IntoView {
    let storage_key = format!("rollcall.read.session.{session_id}");
    let read_upto = RwSignal::new(0i64);
    {
        let storage_key = storage_key.clone();
        // After hydration, so the server's render (nothing read) and the first browser render
        // agree.
        Effect::new(move |_| {
            let stored = local_storage_get(&storage_key).and_then(|v| v.parse().ok());
            read_upto.set(stored.unwrap_or(0));
        });
    }
    let unread = move || model.with(|m| m.unread(read_upto.get()));
    let mark_all_read = move |_| {
        let newest = model.with_untracked(SessionModel::newest_notice);
        read_upto.set(newest);
        local_storage_set(&storage_key, &newest.to_string());
    };
    view! {
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
                    let list = model.with(|m| m.notices.iter().take(30).cloned().collect::<Vec<_>>());
                    if list.is_empty() {
                        return view! {
                            <li class="muted small">"Nothing yet: late arrivals and refused check-ins show here."</li>
                        }
                            .into_any();
                    }
                    list.into_iter()
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
    }
}
