//! Offline-first: the installable app shell and the outbox (docs/protocol.md, "The offline
//! outbox" and "The app shell").
//!
//! A check-in or a mark that cannot reach the server is kept in IndexedDB with this device's
//! id, the next sequence number and a mutation id, and sent once the server can be reached
//! again: when the live channel comes back, when the browser says it is online, when the page
//! becomes visible, and with backoff otherwise. One tab of the browser (elected with the Web
//! Locks API) sends; the others tell it over a BroadcastChannel and show what it reports.
//!
//! On the server and in the first browser render the signals hold their initial values.

#[cfg(feature = "hydrate")]
pub mod codes;
#[cfg(feature = "hydrate")]
mod engine;
#[cfg(feature = "hydrate")]
pub mod push;
pub mod queue;
#[cfg(feature = "hydrate")]
mod shell;
#[cfg(feature = "hydrate")]
mod store;

use crate::domain::outbox::OfflineChange;
use crate::domain::UserId;
use leptos::prelude::*;
pub use queue::{ItemState, OutboxItem};

/// What the page shows about the outbox.
#[derive(Clone, Copy)]
pub struct OfflineStatus {
    /// Waiting and recently answered changes of the signed-in person on this device.
    pub items: RwSignal<Vec<OutboxItem>>,
    /// When an upload last got its answers (ms since the epoch, this device's clock).
    pub last_sync_ms: RwSignal<Option<f64>>,
    /// Why the last upload did not go through, in a sentence.
    pub problem: RwSignal<Option<String>>,
    /// This tab is the one that sends (and the others know it).
    pub leader: RwSignal<bool>,
    /// Whether the browser promised to keep this site's storage (`navigator.storage.persist`).
    pub persisted: RwSignal<Option<bool>>,
    /// An iPhone or iPad tab, not the installed app: its storage lasts a week without a visit,
    /// so the page suggests adding it to the Home Screen.
    pub suggest_install: RwSignal<bool>,
}

impl OfflineStatus {
    pub fn pending(&self) -> usize {
        self.items
            .with(|items| items.iter().filter(|i| i.state.is_pending()).count())
    }
}

#[derive(Clone, Copy)]
pub struct Offline {
    pub status: OfflineStatus,
    #[cfg(feature = "hydrate")]
    engine: StoredValue<std::rc::Rc<engine::Engine>, LocalStorage>,
}

/// Creates the tab's outbox (idle until [`Offline::sign_in`]) and registers the service worker.
pub fn provide_offline() -> Offline {
    let status = OfflineStatus {
        items: RwSignal::new(Vec::new()),
        last_sync_ms: RwSignal::new(None),
        problem: RwSignal::new(None),
        leader: RwSignal::new(false),
        persisted: RwSignal::new(None),
        suggest_install: RwSignal::new(false),
    };
    let offline = Offline {
        status,
        #[cfg(feature = "hydrate")]
        engine: StoredValue::new_local(engine::Engine::start(status)),
    };
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| shell::register(status));
    // The live channel is the truth about the network: when it opens, the server is there.
    let link = crate::realtime::use_live().status.state;
    Effect::new(move |_| {
        if link.get() == crate::realtime::LinkState::Open {
            offline.flush();
        }
    });
    provide_context(offline);
    offline
}

pub fn use_offline() -> Offline {
    expect_context::<Offline>()
}

impl Offline {
    /// The person signed in on this page: their outbox is the one shown and sent.
    pub fn sign_in(&self, user: UserId) {
        #[cfg(feature = "hydrate")]
        self.engine.with_value(|engine| engine.sign_in(user));
        #[cfg(not(feature = "hydrate"))]
        let _ = user;
    }

    /// Keeps a change to send later; returns how many now wait (for the message to show).
    pub async fn queue(&self, change: OfflineChange, label: String) -> Result<usize, String> {
        #[cfg(feature = "hydrate")]
        {
            let engine = self.engine.get_value();
            engine.queue(change, label).await
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (change, label);
            Err("Saving on the device works in the browser only.".to_string())
        }
    }

    /// Sends what waits, now (the leader tab does; another tab asks it to).
    pub fn flush(&self) {
        #[cfg(feature = "hydrate")]
        self.engine.with_value(|engine| engine.request_flush());
    }

    /// Forgets an answer the person has dealt with.
    pub fn dismiss(&self, seq: u64) {
        #[cfg(feature = "hydrate")]
        self.engine.with_value(|engine| engine.dismiss(seq));
        #[cfg(not(feature = "hydrate"))]
        let _ = seq;
    }
}

/// At sign-out: the pages kept for offline use carry names and must go with the sign-in.
pub async fn forget_offline_pages() {
    #[cfg(feature = "hydrate")]
    shell::forget_pages().await;
}
