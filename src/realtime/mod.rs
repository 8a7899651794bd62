//! The browser side of the live channel: one connection per browser, exposed as signals in
//! every tab. The leader tab (`leader`) holds the socket and passes on what the server sends
//! over a BroadcastChannel; the other tabs say what they follow (`tab_message`); when the
//! leader closes, the next tab takes over and resumes from its own positions.
//!
//! States: connecting → open; on loss, reconnecting with exponential backoff and full jitter
//! (immediately when the server said it is restarting or the browser came back online); after
//! repeated failures it also polls `/api/updates` while it keeps trying to upgrade back. Every
//! followed channel resumes from the last seq seen, so nothing is missed or applied twice.
//!
//! During server rendering nothing connects: the signals keep their initial values, which is
//! what the first browser render shows too, so hydration matches.

use crate::protocol::{Channel, Event, StreamPosition};
use leptos::prelude::*;

#[cfg(feature = "hydrate")]
mod browser;
/// The driver's pure core (bookkeeping per channel, retry policy), built and tested everywhere.
pub mod follows;
#[cfg(feature = "hydrate")]
pub mod leader;
pub mod sign_in_ended;
pub mod tab_message;

use sign_in_ended::SignInEnded;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Connecting,
    Open,
    Reconnecting,
    /// The WebSocket keeps failing: updates come by polling while it retries.
    Polling,
    /// The browser says it has no network.
    Offline,
    /// Another tab of the same person took this connection's place (the server caps how many
    /// one person may open); it waits for "Reconnect now".
    Replaced,
}

impl LinkState {
    pub fn from_key(key: &str) -> Option<LinkState> {
        [
            LinkState::Connecting,
            LinkState::Open,
            LinkState::Reconnecting,
            LinkState::Polling,
            LinkState::Offline,
            LinkState::Replaced,
        ]
        .into_iter()
        .find(|state| state.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            LinkState::Connecting => "Connecting",
            LinkState::Open => "Live",
            LinkState::Reconnecting => "Reconnecting",
            LinkState::Polling => "Polling",
            LinkState::Offline => "Offline",
            LinkState::Replaced => "Paused",
        }
    }

    /// CSS class and test hook.
    pub fn key(self) -> &'static str {
        match self {
            LinkState::Connecting => "connecting",
            LinkState::Open => "open",
            LinkState::Reconnecting => "reconnecting",
            LinkState::Polling => "polling",
            LinkState::Offline => "offline",
            LinkState::Replaced => "replaced",
        }
    }
}

/// How the last (re)subscribe went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeReport {
    pub channel: Channel,
    /// True: every missed event was replayed. False: the snapshot had to be reloaded.
    pub recovered: bool,
    pub replayed: u32,
}

/// What a follower of a channel receives.
#[derive(Debug, Clone)]
pub enum LiveUpdate {
    /// The next event, in order. `replayed`: it happened while this tab was not connected.
    Event { event: Event, replayed: bool },
    /// The missed events could not be replayed: reload the snapshot and follow again from its
    /// position.
    Reload,
    /// A session's rotating code changed (not an event: never replayed).
    Code(crate::protocol::CodeShown),
}

/// Everything the UI shows about the connection.
#[derive(Debug, Clone, Copy)]
pub struct LinkStatus {
    pub state: RwSignal<LinkState>,
    /// Consecutive failed attempts (0 when open).
    pub attempt: RwSignal<u32>,
    pub latency_ms: RwSignal<Option<u32>>,
    /// When the next reconnect attempt is due (ms since the epoch).
    pub next_retry_at_ms: RwSignal<Option<f64>>,
    pub last_event_at_ms: RwSignal<Option<f64>>,
    pub last_resume: RwSignal<Option<ResumeReport>>,
    pub last_error: RwSignal<Option<String>>,
    /// Events on the signed-in user's own channel (e.g. "your teacher marked you excused").
    pub personal: RwSignal<Option<Event>>,
    /// The sign-in ended (the server closed the socket with 4001, or polling got 401): the
    /// page goes to the sign-in page with this reason.
    pub sign_in_ended: RwSignal<Option<SignInEnded>>,
}

/// The tab's live connection (a cheap `Copy` handle; get it with [`use_live`]).
#[derive(Clone, Copy)]
pub struct LiveConnection {
    pub status: LinkStatus,
    #[cfg(feature = "hydrate")]
    driver: StoredValue<std::rc::Rc<browser::Driver>, LocalStorage>,
}

/// Creates the tab's connection and makes it available to every component below.
pub fn provide_live_connection() -> LiveConnection {
    let status = LinkStatus {
        state: RwSignal::new(LinkState::Connecting),
        attempt: RwSignal::new(0),
        latency_ms: RwSignal::new(None),
        next_retry_at_ms: RwSignal::new(None),
        last_event_at_ms: RwSignal::new(None),
        last_resume: RwSignal::new(None),
        last_error: RwSignal::new(None),
        personal: RwSignal::new(None),
        sign_in_ended: RwSignal::new(None),
    };
    let connection = LiveConnection {
        status,
        #[cfg(feature = "hydrate")]
        driver: StoredValue::new_local(browser::Driver::new(status)),
    };
    provide_context(connection);
    connection
}

pub fn use_live() -> LiveConnection {
    expect_context::<LiveConnection>()
}

impl LiveConnection {
    /// Follows a channel from `position` (the snapshot's), calling `on_update` with each event
    /// in order, and stops when the calling component goes away. Following again replaces the
    /// previous follower and resubscribes. Browser only: call it from an effect.
    pub fn follow(
        &self,
        channel: Channel,
        position: Option<StreamPosition>,
        on_update: impl Fn(LiveUpdate) + 'static,
    ) {
        #[cfg(feature = "hydrate")]
        {
            let id = self
                .driver
                .with_value(|driver| driver.follow(channel, position, std::rc::Rc::new(on_update)));
            let driver = self.driver;
            on_cleanup(move || driver.with_value(|driver| driver.unfollow(channel, id)));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (channel, position, on_update);
    }

    /// Drops the current attempt and connects now (the "Reconnect" button).
    pub fn reconnect_now(&self) {
        #[cfg(feature = "hydrate")]
        self.driver.with_value(|driver| driver.reconnect_now());
    }
}
