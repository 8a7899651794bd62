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
mod tests {
    use super::*;
    use crate::protocol::EventBody;

    const CH: Channel = Channel::Session(7);

    fn at(seq: i64) -> StreamPosition {
        StreamPosition {
            epoch: "e1".into(),
            seq,
        }
    }

    fn event(channel: Channel, seq: i64) -> Event {
        Event {
            channel,
            seq,
            at_ms: 1_000 + seq,
            body: EventBody::SessionClosed {
                session_id: 7,
                marked_absent: 0,
                by_user_id: 1,
            },
        }
    }

    /// A follower is just a name here: the tests check who would be called.
    fn follows_one(position: Option<StreamPosition>) -> Follows<&'static str> {
        let mut follows = Follows::new();
        follows.follow(CH, position, "dashboard");
        follows
    }

    /// Feeds `seqs` through `accept`; returns the seqs delivered, each with its replayed flag.
    fn deliver(follows: &mut Follows<&'static str>, seqs: &[i64]) -> Vec<(i64, bool)> {
        seqs.iter()
            .filter_map(|&seq| {
                follows
                    .accept(&event(CH, seq))
                    .map(|(_, replayed)| (seq, replayed))
            })
            .collect()
    }

    #[test]
    fn duplicates_and_old_events_are_dropped() {
        let mut follows = follows_one(Some(at(10)));
        assert_eq!(
            deliver(&mut follows, &[9, 10, 11, 11, 12, 12, 11, 13]),
            vec![(11, false), (12, false), (13, false)]
        );
        assert_eq!(follows.position(CH), Some(at(13)));
    }

    #[test]
    fn gaps_are_accepted_and_advance_the_position() {
        let mut follows = follows_one(Some(at(10)));
        assert_eq!(deliver(&mut follows, &[15]), vec![(15, false)]);
        assert_eq!(follows.position(CH), Some(at(15)));
        assert_eq!(deliver(&mut follows, &[12]), vec![]);
    }

    #[test]
    fn events_for_unfollowed_channels_go_nowhere() {
        let mut follows = follows_one(Some(at(1)));
        assert_eq!(follows.accept(&event(Channel::School, 5)), None);
        assert_eq!(follows.position(CH), Some(at(1)));
    }

    #[test]
    fn without_a_position_every_event_is_delivered() {
        // Today's behaviour: no position, no duplicate check (the `Subscribed` answer gives one).
        let mut follows = follows_one(None);
        assert_eq!(deliver(&mut follows, &[3, 3]), vec![(3, false), (3, false)]);
        assert_eq!(follows.position(CH), None);
    }

    #[test]
    fn replayed_events_are_counted_down() {
        let mut follows = follows_one(Some(at(10)));
        assert_eq!(follows.subscribed(CH, at(13), true, 3), None);
        // Recovered with a position of our own: ours stays, the replay follows it.
        assert_eq!(follows.position(CH), Some(at(10)));
        assert_eq!(
            deliver(&mut follows, &[11, 11, 12, 13, 14, 15]),
            vec![(11, true), (12, true), (13, true), (14, false), (15, false)]
        );
    }

    #[test]
    fn a_duplicate_does_not_use_up_the_replay() {
        let mut follows = follows_one(Some(at(10)));
        follows.subscribed(CH, at(12), true, 2);
        assert_eq!(
            deliver(&mut follows, &[10, 11, 11, 12, 13]),
            vec![(11, true), (12, true), (13, false)]
        );
    }

    #[test]
    fn a_new_subscribe_resets_the_replay_count() {
        let mut follows = follows_one(Some(at(10)));
        follows.subscribed(CH, at(15), true, 5);
        assert_eq!(deliver(&mut follows, &[11]), vec![(11, true)]);
        follows.subscribed(CH, at(11), true, 0);
        assert_eq!(deliver(&mut follows, &[12]), vec![(12, false)]);
    }

    #[test]
    fn not_recovered_reloads_and_takes_the_servers_position() {
        let mut follows = follows_one(Some(at(10)));
        let fresh = StreamPosition {
            epoch: "e2".into(),
            seq: 500,
        };
        assert_eq!(
            follows.subscribed(CH, fresh.clone(), false, 0),
            Some("dashboard")
        );
        assert_eq!(follows.position(CH), Some(fresh));
        assert_eq!(deliver(&mut follows, &[499, 500, 501]), vec![(501, false)]);
    }

    #[test]
    fn first_subscribe_without_a_position_adopts_the_servers() {
        let mut follows = follows_one(None);
        assert_eq!(follows.subscribed(CH, at(42), true, 0), None);
        assert_eq!(follows.position(CH), Some(at(42)));
        assert_eq!(deliver(&mut follows, &[42, 43]), vec![(43, false)]);
    }

    #[test]
    fn subscribed_for_an_unfollowed_channel_is_ignored() {
        let mut follows = follows_one(Some(at(1)));
        assert_eq!(follows.subscribed(Channel::School, at(9), false, 0), None);
        assert_eq!(follows.position(Channel::School), None);
        assert_eq!(follows.position(CH), Some(at(1)));
    }

    #[test]
    fn following_again_replaces_the_follower_and_unfollow_respects_it() {
        let mut follows = Follows::new();
        let first = follows.follow(CH, Some(at(1)), "first");
        let second = follows.follow(CH, Some(at(5)), "second");
        assert_ne!(first, second);
        assert_eq!(follows.position(CH), Some(at(5)));
        // The first follower's cleanup must not remove the second.
        assert!(!follows.unfollow(CH, first));
        assert_eq!(follows.accept(&event(CH, 6)), Some(("second", false)));
        assert!(follows.unfollow(CH, second));
        assert!(follows.channels().is_empty());
        assert!(!follows.unfollow(CH, second));
    }

    #[test]
    fn positions_list_every_channel() {
        let mut follows = follows_one(Some(at(3)));
        follows.follow(Channel::School, None, "school");
        let mut positions = follows.positions();
        positions.sort_by_key(|(channel, _)| channel.to_string());
        let mut expected = vec![(CH, Some(at(3))), (Channel::School, None)];
        expected.sort_by_key(|(channel, _)| channel.to_string());
        assert_eq!(positions, expected);
        assert_eq!(follows.channels().len(), 2);
    }

    fn answer(position: StreamPosition, recovered: bool, seqs: &[i64]) -> UpdatesResponse {
        UpdatesResponse {
            channel: CH,
            position,
            recovered,
            events: seqs.iter().map(|&seq| event(CH, seq)).collect(),
        }
    }

    /// Runs a poll answer through the core like the driver does.
    fn poll(
        follows: &mut Follows<&'static str>,
        asked: Option<StreamPosition>,
        answer: UpdatesResponse,
    ) -> Result<Vec<(i64, bool)>, &'static str> {
        match follows.polled(CH, asked.as_ref(), answer) {
            None => Ok(vec![]),
            Some(Polled::Reload(follower)) => Err(follower),
            Some(Polled::Events(events)) => Ok(events
                .iter()
                .filter_map(|event| {
                    follows
                        .accept(event)
                        .map(|(_, replayed)| (event.seq, replayed))
                })
                .collect()),
        }
    }

    #[test]
    fn a_recovered_poll_delivers_new_events_once() {
        let mut follows = follows_one(Some(at(10)));
        assert_eq!(
            poll(&mut follows, Some(at(10)), answer(at(12), true, &[11, 12])),
            Ok(vec![(11, false), (12, false)])
        );
        assert_eq!(follows.position(CH), Some(at(12)));
        // The same answer again (the socket delivered them meanwhile, say): nothing new.
        assert_eq!(
            poll(&mut follows, Some(at(10)), answer(at(12), true, &[11, 12])),
            Ok(vec![])
        );
    }

    #[test]
    fn a_poll_without_a_position_adopts_the_answers() {
        let mut follows = follows_one(None);
        assert_eq!(
            poll(&mut follows, None, answer(at(30), true, &[])),
            Ok(vec![])
        );
        assert_eq!(follows.position(CH), Some(at(30)));
        assert_eq!(
            poll(&mut follows, Some(at(30)), answer(at(31), true, &[31])),
            Ok(vec![(31, false)])
        );
    }

    #[test]
    fn a_poll_with_a_position_keeps_it_until_events_advance_it() {
        let mut follows = follows_one(Some(at(10)));
        assert_eq!(
            poll(&mut follows, Some(at(10)), answer(at(20), true, &[])),
            Ok(vec![])
        );
        assert_eq!(follows.position(CH), Some(at(10)));
    }

    #[test]
    fn an_unrecovered_poll_reloads_from_the_answers_position() {
        let mut follows = follows_one(Some(at(10)));
        let fresh = StreamPosition {
            epoch: "e2".into(),
            seq: 3,
        };
        assert_eq!(
            poll(
                &mut follows,
                Some(at(10)),
                answer(fresh.clone(), false, &[])
            ),
            Err("dashboard")
        );
        assert_eq!(follows.position(CH), Some(fresh));
    }

    #[test]
    fn a_poll_for_an_unfollowed_channel_changes_nothing() {
        let mut follows: Follows<&'static str> = Follows::new();
        assert_eq!(follows.polled(CH, None, answer(at(3), false, &[])), None);
        assert_eq!(follows.polled(CH, None, answer(at(3), true, &[3])), None);
        assert!(follows.channels().is_empty());
    }

    #[test]
    fn poll_urls_resume_from_the_position() {
        assert_eq!(
            poll_url(Channel::School, None),
            format!("{UPDATES_PATH}?channel=school")
        );
        assert_eq!(
            poll_url(Channel::School, Some(&at(9))),
            format!("{UPDATES_PATH}?channel=school&since=9&epoch=e1")
        );
    }

    #[test]
    fn backoff_doubles_from_half_a_second_up_to_the_cap() {
        let bounds: Vec<f64> = (1..=7).map(|n| backoff_bound_ms(n, false)).collect();
        assert_eq!(
            bounds,
            vec![500.0, 1000.0, 2000.0, 4000.0, 8000.0, 15_000.0, 15_000.0]
        );
        // Zero failures (a retry that followed no failure) is bounded like the first.
        assert_eq!(backoff_bound_ms(0, false), 500.0);
    }

    #[test]
    fn backoff_is_monotone_and_capped_for_any_failure_count() {
        let mut previous = 0.0;
        for failures in (0..200).chain([1_000, u32::MAX - 1, u32::MAX]) {
            let bound = backoff_bound_ms(failures, false);
            assert!(bound >= previous, "{failures}: {bound} < {previous}");
            assert!(
                bound > 0.0 && bound <= BACKOFF_CAP_MS,
                "{failures}: {bound}"
            );
            previous = bound;
        }
        assert_eq!(previous, BACKOFF_CAP_MS);
    }

    #[test]
    fn a_restart_is_retried_fast_whatever_the_failures() {
        for failures in [0, 1, 3, 10, u32::MAX] {
            assert_eq!(backoff_bound_ms(failures, true), 300.0);
            assert!(backoff_bound_ms(failures, true) < backoff_bound_ms(failures, false));
        }
    }

    #[test]
    fn polling_starts_at_the_third_failure() {
        assert!(!should_poll(0));
        assert!(!should_poll(1));
        assert!(!should_poll(2));
        assert!(should_poll(3));
        assert!(should_poll(4));
        assert!(should_poll(u32::MAX));
    }

    #[test]
    fn heartbeat_is_lost_after_two_and_a_half_beats() {
        assert!(!heartbeat_lost(0.0, 15_000.0));
        assert!(!heartbeat_lost(37_500.0, 15_000.0));
        assert!(heartbeat_lost(37_501.0, 15_000.0));
    }

    #[test]
    fn only_a_401_poll_is_fatal() {
        assert!(poll_status_is_fatal(401));
        for status in [400, 403, 404, 429, 500, 502, 503, 504] {
            assert!(!poll_status_is_fatal(status), "{status}");
        }
    }
}
