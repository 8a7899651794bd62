//! Fan-out between instances sharing one PostgreSQL: every commit NOTIFYs its events, one line
//! each (`channel seq event-json`, or `channel seq` alone for an event too large to carry), in
//! as few notifications as NOTIFY's 8,000-byte payload allows (usually one). Each instance
//! LISTENs and publishes them to its own hub. The log, not the notification, is the source of
//! truth: an event announced without its body, or after a gap, is read from the event table,
//! and a lost LISTEN connection is re-established with each followed channel caught up from
//! the last seq published.
//!
//! The same LISTEN carries "these sign-ins ended" announcements (see `server::connections`):
//! each instance closes its own connections of those sign-ins. Announcements missed while the
//! LISTEN connection was down cannot be replayed, so after reconnecting every open connection's
//! sign-in is checked against the database once.

use super::connections::{Connections, EndSignIns};
use super::hub::Hub;
use super::store::{Store, NOTIFY_CHANNEL};
use super::ws::Close;
use crate::protocol::{Channel, Event};
use sqlx::postgres::PgListener;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub fn spawn(
    store: Arc<Store>,
    hub: Arc<Hub>,
    connections: Arc<Connections>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut published: HashMap<Channel, i64> = HashMap::new();
        let mut delay = Duration::from_millis(100);
        loop {
            match listen(&store, &hub, &connections, &mut published).await {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(%error, "lost the PostgreSQL LISTEN connection; reconnecting");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    })
}

async fn listen(
    store: &Store,
    hub: &Hub,
    connections: &Connections,
    published: &mut HashMap<Channel, i64>,
) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect(store.database_url()).await?;
    listener.listen(NOTIFY_CHANNEL).await?;
    // Sign-ins that ended while we were not listening.
    let open = connections.token_hashes();
    if !open.is_empty() {
        match store.live_sign_ins(&open, super::now_ms()).await {
            Ok(live) => {
                connections.end_sign_ins_not_in(&live, Close::SIGNED_OUT);
            }
            Err(error) => tracing::error!(%error, "cannot re-check the open sign-ins"),
        }
    }
    // Whatever committed while we were not listening: catch up every followed channel.
    for channel in hub.channels() {
        if let Some(&upto) = published.get(&channel) {
            catch_up(store, hub, published, channel, upto, None).await;
        }
    }
    loop {
        let notification = listener.recv().await?;
        if let Some(request) = EndSignIns::from_notification(notification.payload()) {
            connections.end(&request);
            continue;
        }
        for (channel, seq, event) in notification.payload().lines().filter_map(parse_line) {
            let upto = published.get(&channel).copied().unwrap_or(seq - 1);
            if seq <= upto {
                continue;
            }
            if hub.subscriber_count(channel) == 0 {
                // Nobody here follows it: forget it (the map stays as small as what is
                // followed); a later follower's own resume fills anything before its subscribe.
                published.remove(&channel);
                continue;
            }
            match event {
                // The next event, carried whole: no read needed.
                Some(event) if seq == upto + 1 => {
                    published.insert(channel, seq);
                    hub.publish(event);
                }
                _ => catch_up(store, hub, published, channel, upto, Some(seq)).await,
            }
        }
    }
}

/// NOTIFY's payload must be shorter than 8,000 bytes.
const PAYLOAD_LIMIT: usize = 7_900;

/// The notifications announcing one commit's events: a line per event, as many lines to a
/// payload as fit.
pub fn notify_payloads(events: &[Event]) -> Vec<String> {
    let mut payloads = Vec::new();
    let mut current = String::new();
    for event in events {
        let mut line = format!("{} {}", event.channel, event.seq);
        if let Ok(json) = serde_json::to_string(event) {
            if line.len() + 1 + json.len() <= PAYLOAD_LIMIT {
                line = format!("{line} {json}");
            }
        }
        if !current.is_empty() && current.len() + 1 + line.len() > PAYLOAD_LIMIT {
            payloads.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(&line);
    }
    if !current.is_empty() {
        payloads.push(current);
    }
    payloads
}

/// One line of an events notification: the channel, the seq, and the event when carried (and
/// consistent with the line's channel and seq).
fn parse_line(line: &str) -> Option<(Channel, i64, Option<Event>)> {
    let mut parts = line.splitn(3, ' ');
    let channel = Channel::parse(parts.next()?).ok()?;
    let seq = parts.next()?.parse::<i64>().ok()?;
    let event = parts
        .next()
        .and_then(|json| serde_json::from_str::<Event>(json).ok())
        .filter(|event| event.channel == channel && event.seq == seq);
    Some((channel, seq, event))
}

/// Publishes the channel's events after `upto` (up to `through`, if given) from the log.
async fn catch_up(
    store: &Store,
    hub: &Hub,
    published: &mut HashMap<Channel, i64>,
    channel: Channel,
    upto: i64,
    through: Option<i64>,
) {
    let limit = through.map_or(1000, |through| through - upto);
    match store.events_after(channel, upto, limit).await {
        Ok(events) => {
            for event in events {
                published.insert(channel, event.seq);
                hub.publish(event);
            }
        }
        Err(error) => tracing::error!(%error, %channel, "cannot read announced events"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::EventBody;

    fn event(channel: Channel, seq: i64, class_name: &str) -> Event {
        Event {
            channel,
            seq,
            at_ms: 1_000,
            body: EventBody::SessionOpened {
                session_id: 7,
                class_id: 3,
                class_name: class_name.to_string(),
                join_code: "ABC123".to_string(),
                starts_at_ms: 1_000,
                late_after_minutes: 10,
            },
        }
    }

    #[test]
    fn one_commits_events_travel_in_one_notification_and_come_back_whole() {
        let events = [
            event(Channel::Session(7), 4, "Biology 9A"),
            event(Channel::School, 90, "Biology 9A"),
        ];
        let payloads = notify_payloads(&events);
        assert_eq!(payloads.len(), 1);
        let lines: Vec<_> = payloads[0].lines().filter_map(parse_line).collect();
        assert_eq!(lines.len(), 2);
        for ((channel, seq, carried), sent) in lines.into_iter().zip(&events) {
            assert_eq!((channel, seq), (sent.channel, sent.seq));
            assert_eq!(carried.as_ref(), Some(sent));
        }
    }

    #[test]
    fn an_event_too_large_to_carry_is_announced_by_position_and_payloads_stay_small() {
        let huge = event(Channel::School, 5, &"x".repeat(PAYLOAD_LIMIT));
        let many: Vec<_> = (1..=200)
            .map(|seq| event(Channel::Session(7), seq, "History 9C"))
            .chain([huge])
            .collect();
        let payloads = notify_payloads(&many);
        assert!(payloads.len() > 1);
        assert!(payloads.iter().all(|p| p.len() < 8_000));
        let lines: Vec<_> = payloads
            .iter()
            .flat_map(|p| p.lines())
            .filter_map(parse_line)
            .collect();
        assert_eq!(lines.len(), 201);
        assert!(lines[..200].iter().all(|(_, _, e)| e.is_some()));
        assert_eq!(lines[200], (Channel::School, 5, None));
    }

    #[test]
    fn a_line_whose_event_disagrees_with_its_position_is_read_from_the_log() {
        let json = serde_json::to_string(&event(Channel::School, 9, "Art")).unwrap();
        assert_eq!(
            parse_line(&format!("school 10 {json}")),
            Some((Channel::School, 10, None))
        );
        assert_eq!(parse_line("school 10"), Some((Channel::School, 10, None)));
        assert_eq!(parse_line("nonsense"), None);
        assert_eq!(parse_line("school x"), None);
    }
}
