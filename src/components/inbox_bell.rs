//! The inbox as every page knows it: the unread count in the header's bell, and the latest
//! notifications and reads heard on the person's own channel, for the inbox page to show
//! without reloading. The count is always read from the server (after each notification, read
//! or resume), so two tabs, a missed event or a replay can never make it drift.

use crate::api::notifications::unread_notifications;
use crate::domain::notify::{InboxRead, Notice};
use crate::protocol::EventBody;
use crate::realtime::LiveUpdate;
use leptos::prelude::*;
use leptos_router::components::A;

/// Where the inbox page lives.
pub const INBOX_PATH: &str = "/notifications";

#[derive(Clone, Copy)]
pub struct Inbox {
    /// `None` until first read.
    pub unread: RwSignal<Option<i64>>,
    /// The newest notification heard live (or caught up after a reconnect).
    pub latest: RwSignal<Option<Notice>>,
    /// The latest read heard (from this or another device).
    pub read: RwSignal<Option<InboxRead>>,
    /// Bumped when the channel could not be caught up: reload what is shown.
    pub reloads: RwSignal<u32>,
}

pub fn provide_inbox() -> Inbox {
    let inbox = Inbox {
        unread: RwSignal::new(None),
        latest: RwSignal::new(None),
        read: RwSignal::new(None),
        reloads: RwSignal::new(0),
    };
    provide_context(inbox);
    inbox
}

pub fn use_inbox() -> Inbox {
    expect_context::<Inbox>()
}

impl Inbox {
    /// Reads the unread count again.
    pub fn refresh(&self) {
        let unread = self.unread;
        leptos::task::spawn_local(async move {
            if let Ok(count) = unread_notifications().await {
                unread.set(Some(count));
            }
        });
    }

    /// What the person's own channel says about the inbox.
    pub fn hear(&self, update: &LiveUpdate) {
        match update {
            LiveUpdate::Event { event, .. } => match &event.body {
                EventBody::Notified { notice, .. } => {
                    self.latest.set(Some(notice.clone()));
                    self.refresh();
                }
                EventBody::NotificationsRead { read, .. } => {
                    self.read.set(Some(*read));
                    self.refresh();
                }
                _ => {}
            },
            LiveUpdate::Reload => {
                self.reloads.update(|n| *n += 1);
                self.refresh();
            }
            LiveUpdate::Code(_) => {}
        }
    }
}

/// The header's bell: a link to the inbox with the unread count.
#[component]
pub fn InboxBell() -> impl IntoView {
    let inbox = use_inbox();
    let count = move || inbox.unread.get().unwrap_or(0);
    let label = move || match count() {
        0 => "Notifications".to_string(),
        1 => "Notifications, 1 unread".to_string(),
        n => format!("Notifications, {n} unread"),
    };
    view! {
        <A href=INBOX_PATH attr:class="inbox-bell" attr:aria-label=label attr:data-testid="inbox-bell">
            <svg class="bell" viewBox="0 0 24 24" aria-hidden="true">
                <path d="M12 3a6 6 0 0 0-6 6v3.6L4.3 15.5A1 1 0 0 0 5.2 17h13.6a1 1 0 0 0 .9-1.5L18 12.6V9a6 6 0 0 0-6-6z"/>
                <path d="M9.5 19a2.5 2.5 0 0 0 5 0"/>
            </svg>
            <Show when=move || { count() > 0 }>
                <span class="inbox-badge" data-testid="inbox-badge">
                    {move || if count() > 99 { "99+".to_string() } else { count().to_string() }}
                </span>
            </Show>
        </A>
    }
}
