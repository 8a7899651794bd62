//! The pure core of the live connection: where each followed channel stands, what a server
//! answer does to it, and the retry policy. It knows nothing of sockets, timers or signals, so
//! it builds (and is tested) on every target; `browser.rs` wires it to the browser.
//!
//! Followers are opaque callbacks (`Cb`, an `Rc<dyn Fn(LiveUpdate)>` in the browser). The core
//! never calls them: it hands back a clone for the driver to call once the map is no longer
//! borrowed, since a follower may follow or unfollow from inside its callback.

use crate::protocol::{Channel, Event, StreamPosition, UpdatesResponse, UPDATES_PATH};
use std::collections::HashMap;

/// Failed attempts in a row before updates also come by polling.
pub const POLL_AFTER_FAILURES: u32 = 3;
pub const POLL_EVERY_MS: u64 = 1500;
pub const BACKOFF_BASE_MS: f64 = 500.0;
pub const BACKOFF_CAP_MS: f64 = 15_000.0;
/// The retry bound after the server said it is restarting (not a failure: come back at once).
pub const RESTART_RETRY_MS: f64 = 300.0;
/// Doublings of the base before the exponent stops growing (the cap bites long before).
const MAX_DOUBLINGS: u32 = 16;
/// A socket that hears nothing (not even a ping) for this many heartbeats is presumed dead.
pub const SILENT_HEARTBEATS: f64 = 2.5;
/// Shown when polling is refused because the sign-in expired.
pub const SIGNED_OUT_MESSAGE: &str = "You are signed out. Sign in again to see live updates.";

/// The upper bound of the next retry delay (the delay itself is a random fraction of it: full
/// jitter). `failures`: consecutive failed attempts, this one included.
pub fn backoff_bound_ms(failures: u32, server_restarting: bool) -> f64 {
    if server_restarting {
        return RESTART_RETRY_MS;
    }
    let doublings = failures.saturating_sub(1).min(MAX_DOUBLINGS);
    (BACKOFF_BASE_MS * 2f64.powi(doublings as i32)).min(BACKOFF_CAP_MS)
}

/// After this many consecutive failures, updates also come by polling.
pub fn should_poll(failures: u32) -> bool {
    failures >= POLL_AFTER_FAILURES
}

/// An open socket silent for this long (ms) is presumed dead.
pub fn heartbeat_lost(silent_for_ms: f64, heartbeat_ms: f64) -> bool {
    silent_for_ms > heartbeat_ms * SILENT_HEARTBEATS
}

/// A poll refused with this HTTP status will never succeed by retrying: the sign-in expired.
pub fn poll_status_is_fatal(status: u16) -> bool {
    status == 401
}

/// The polling request for `channel`, resuming after `position` when there is one.
pub fn poll_url(channel: Channel, position: Option<&StreamPosition>) -> String {
    let mut url = format!("{UPDATES_PATH}?channel={channel}");
    if let Some(position) = position {
        url.push_str(&format!("&since={}&epoch={}", position.seq, position.epoch));
    }
    url
}

struct Follow<Cb> {
    id: u64,
    position: Option<StreamPosition>,
    on_update: Cb,
    /// Events still to come from the last replay (they are flagged `replayed`).
    replay_left: u32,
}

/// What a poll answer asks of the driver.
#[derive(Debug, PartialEq)]
pub enum Polled<Cb> {
    /// Too far behind: the position is now the answer's; tell the follower to reload.
    Reload(Cb),
    /// Pass each through [`Follows::accept`] in order, delivering as you go.
    Events(Vec<Event>),
}

/// Every followed channel, at most one follower each.
pub struct Follows<Cb> {
    map: HashMap<Channel, Follow<Cb>>,
    next_id: u64,
}

impl<Cb> Default for Follows<Cb> {
    fn default() -> Self {
        Follows {
            map: HashMap::new(),
            next_id: 1,
        }
    }
}

impl<Cb: Clone> Follows<Cb> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Follows `channel` from `position`, replacing any previous follower. Returns the
    /// follower's id, for [`Follows::unfollow`].
    pub fn follow(
        &mut self,
        channel: Channel,
        position: Option<StreamPosition>,
        on_update: Cb,
    ) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.map.insert(
            channel,
            Follow {
                id,
                position,
                on_update,
                replay_left: 0,
            },
        );
        id
    }

    /// Stops following, unless someone has followed the channel again since (`id` is theirs).
    /// True when it stopped (so the server should be told).
    pub fn unfollow(&mut self, channel: Channel, id: u64) -> bool {
        if self.map.get(&channel).is_some_and(|follow| follow.id == id) {
            self.map.remove(&channel);
            true
        } else {
            false
        }
    }

    /// Who follows `channel` (for what is not an event: a session's rotating code).
    pub fn follower(&self, channel: Channel) -> Option<Cb> {
        self.map
            .get(&channel)
            .map(|follow| follow.on_update.clone())
    }

    pub fn channels(&self) -> Vec<Channel> {
        self.map.keys().copied().collect()
    }

    /// Where `channel` stands: what to subscribe or poll from.
    pub fn position(&self, channel: Channel) -> Option<StreamPosition> {
        self.map
            .get(&channel)
            .and_then(|follow| follow.position.clone())
    }

    /// Every followed channel with its position (what one polling round asks for).
    pub fn positions(&self) -> Vec<(Channel, Option<StreamPosition>)> {
        self.map
            .iter()
            .map(|(channel, follow)| (*channel, follow.position.clone()))
            .collect()
    }

    /// `ServerMessage::Subscribed`. Returns the follower when it must reload: the missed events
    /// could not be replayed. The server's position is taken when not recovered, or when the
    /// follower had none yet; the next `replayed` events are flagged as replayed.
    pub fn subscribed(
        &mut self,
        channel: Channel,
        position: StreamPosition,
        recovered: bool,
        replayed: u32,
    ) -> Option<Cb> {
        let follow = self.map.get_mut(&channel)?;
        follow.replay_left = replayed;
        if !recovered || follow.position.is_none() {
            follow.position = Some(position);
        }
        (!recovered).then(|| follow.on_update.clone())
    }

    /// An event arrived (by socket or poll). Returns its follower and whether the event is a
    /// replayed one, or `None` when nobody follows the channel or it was already seen (its
    /// seq is not past the position).
    pub fn accept(&mut self, event: &Event) -> Option<(Cb, bool)> {
        let follow = self.map.get_mut(&event.channel)?;
        if let Some(position) = &mut follow.position {
            if event.seq <= position.seq {
                return None;
            }
            position.seq = event.seq;
        }
        let replayed = follow.replay_left > 0;
        follow.replay_left = follow.replay_left.saturating_sub(1);
        Some((follow.on_update.clone(), replayed))
    }

    /// A poll answer for `channel`, asked from `asked`. Not recovered: the position becomes the
    /// answer's and the follower must reload. Recovered: a poll asked without a position adopts
    /// the answer's, and the events go through [`Follows::accept`]. `None`: nobody follows the
    /// channel any more.
    pub fn polled(
        &mut self,
        channel: Channel,
        asked: Option<&StreamPosition>,
        answer: UpdatesResponse,
    ) -> Option<Polled<Cb>> {
        let follow = self.map.get_mut(&channel)?;
        if !answer.recovered {
            follow.position = Some(answer.position);
            return Some(Polled::Reload(follow.on_update.clone()));
        }
        if asked.is_none() {
            follow.position = Some(answer.position);
        }
        Some(Polled::Events(answer.events))
    }
}

#[cfg(test)]
#[path = "follows_tests.rs"]
mod tests;
