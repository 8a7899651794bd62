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
            by_user_id: Some(1),
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
        code: None,
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
