//! In-process fan-out of committed events to subscribed connections.
//!
//! Each event is serialised once; every subscriber gets a cheap clone of the same frame through
//! its own bounded queue. A subscriber whose queue is full is cut off (it reconnects and resumes
//! from the log) so one slow client never slows anyone else.

use super::metrics::Metrics;
use crate::protocol::{Channel, Event, ServerMessage};
use axum::extract::ws::Utf8Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;
use tokio::sync::{mpsc, Notify};

pub type ConnectionId = u64;

/// One event ready to send: the serialised frame, shared by every subscriber (a reference-
/// counted buffer: handing it to a socket copies nothing).
#[derive(Clone)]
pub struct Delivery {
    pub channel: Channel,
    pub seq: i64,
    pub frame: Utf8Bytes,
    pub published_at: Instant,
    /// The event changes the session's join code (opened, closed, new rules): a connection
    /// showing the code reads it again.
    pub changes_code: bool,
}

/// Tells a connection it has been cut off for falling behind.
#[derive(Default)]
pub struct Kick {
    kicked: AtomicBool,
    notify: Notify,
}

impl Kick {
    pub fn is_kicked(&self) -> bool {
        self.kicked.load(Ordering::Acquire)
    }

    pub async fn wait(&self) {
        while !self.is_kicked() {
            self.notify.notified().await;
        }
    }

    fn kick(&self) {
        self.kicked.store(true, Ordering::Release);
        self.notify.notify_waiters();
        self.notify.notify_one();
    }
}

/// A connection's receiving end, as registered with the hub.
#[derive(Clone)]
pub struct Subscriber {
    pub queue: mpsc::Sender<Delivery>,
    pub kick: Arc<Kick>,
    /// Only wants to know that something happened (a long poll re-reads the log itself): a full
    /// queue already holds a wake-up, so it is neither a drop nor a reason to kick.
    pub wake_only: bool,
}

impl Subscriber {
    /// A live connection: every delivery matters, and one that cannot keep up is cut off.
    pub fn connection(queue: mpsc::Sender<Delivery>, kick: Arc<Kick>) -> Subscriber {
        Subscriber {
            queue,
            kick,
            wake_only: false,
        }
    }

    /// A listener that is only woken up (the long poll); a capacity of 1 is enough.
    pub fn wake_up(queue: mpsc::Sender<Delivery>) -> Subscriber {
        Subscriber {
            queue,
            kick: Arc::new(Kick::default()),
            wake_only: true,
        }
    }
}

pub struct Hub {
    channels: RwLock<HashMap<Channel, HashMap<ConnectionId, Subscriber>>>,
    next_id: AtomicU64,
    metrics: Arc<Metrics>,
}

impl Hub {
    pub fn new(metrics: Arc<Metrics>) -> Hub {
        Hub {
            channels: RwLock::default(),
            next_id: AtomicU64::new(1),
            metrics,
        }
    }

    pub fn next_connection_id(&self) -> ConnectionId {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Connections' subscriptions count in `ws_subscriptions`; wake-up listeners (a long poll,
    /// the notifier) do not.
    pub fn subscribe(&self, channel: Channel, id: ConnectionId, subscriber: Subscriber) {
        let counted = !subscriber.wake_only;
        let mut channels = self.channels.write().unwrap_or_else(|e| e.into_inner());
        let replaced = channels.entry(channel).or_default().insert(id, subscriber);
        if replaced.is_none() && counted {
            self.metrics.subscriptions.inc();
        }
    }

    pub fn unsubscribe(&self, channel: Channel, id: ConnectionId) {
        let mut channels = self.channels.write().unwrap_or_else(|e| e.into_inner());
        if let Some(subscribers) = channels.get_mut(&channel) {
            if subscribers.remove(&id).is_some_and(|gone| !gone.wake_only) {
                self.metrics.subscriptions.dec();
            }
            if subscribers.is_empty() {
                channels.remove(&channel);
            }
        }
    }

    /// Sends a committed event to every subscriber of its channel without waiting for any.
    pub fn publish(&self, event: Event) {
        self.metrics.events_published.inc();
        let channels = self.channels.read().unwrap_or_else(|e| e.into_inner());
        let Some(subscribers) = channels.get(&event.channel) else {
            return;
        };
        let delivery = Delivery {
            channel: event.channel,
            seq: event.seq,
            published_at: Instant::now(),
            changes_code: event.body.changes_code(),
            frame: match serde_json::to_string(&ServerMessage::Event(event)) {
                Ok(text) => text.into(),
                Err(_) => return,
            },
        };
        for subscriber in subscribers.values() {
            if subscriber.kick.is_kicked() {
                continue;
            }
            match subscriber.queue.try_send(delivery.clone()) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) if subscriber.wake_only => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.metrics.queue_drops.inc();
                    subscriber.kick.kick();
                }
                // The connection is going away and will unsubscribe itself.
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
    }

    /// Channels with at least one subscriber.
    pub fn channels(&self) -> Vec<Channel> {
        self.channels
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .copied()
            .collect()
    }

    /// Number of subscribers of a channel.
    pub fn subscriber_count(&self, channel: Channel) -> usize {
        self.channels
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&channel)
            .map_or(0, HashMap::len)
    }
}

/// Feeds committed events from the store into the hub, in commit order.
pub fn spawn_fan_out(
    hub: Arc<Hub>,
    mut committed: mpsc::UnboundedReceiver<Event>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(event) = committed.recv().await {
            hub.publish(event);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::EventBody;

    fn hub() -> (Hub, Arc<Metrics>) {
        let metrics = Arc::new(Metrics::default());
        (Hub::new(metrics.clone()), metrics)
    }

    fn event(channel: Channel, seq: i64) -> Event {
        Event {
            channel,
            seq,
            at_ms: 0,
            body: EventBody::SessionClosed {
                session_id: 1,
                marked_absent: 0,
                by_user_id: Some(1),
            },
        }
    }

    fn subscriber(capacity: usize) -> (Subscriber, mpsc::Receiver<Delivery>) {
        let (tx, rx) = mpsc::channel(capacity);
        (Subscriber::connection(tx, Arc::new(Kick::default())), rx)
    }

    #[test]
    fn publish_reaches_the_subscribers_of_that_channel_only() {
        let (hub, metrics) = hub();
        let (a, mut a_rx) = subscriber(4);
        let (b, mut b_rx) = subscriber(4);
        let (other, mut other_rx) = subscriber(4);
        hub.subscribe(Channel::Session(1), 1, a);
        hub.subscribe(Channel::Session(1), 2, b);
        hub.subscribe(Channel::Session(2), 3, other);
        hub.publish(event(Channel::Session(1), 7));
        for rx in [&mut a_rx, &mut b_rx] {
            let delivery = rx.try_recv().expect("delivered");
            assert_eq!((delivery.channel, delivery.seq), (Channel::Session(1), 7));
            assert!(
                delivery.frame.contains(r#""type":"event""#),
                "{}",
                delivery.frame
            );
            assert!(rx.try_recv().is_err());
        }
        assert!(other_rx.try_recv().is_err());
        // Nobody follows the school: published and counted, delivered to no one.
        hub.publish(event(Channel::School, 1));
        assert!(a_rx.try_recv().is_err() && other_rx.try_recv().is_err());
        assert_eq!(metrics.events_published.get(), 2);
        assert_eq!(metrics.queue_drops.get(), 0);
    }

    #[test]
    fn a_full_queue_kicks_a_connection_and_counts_a_drop() {
        let (hub, metrics) = hub();
        let (slow, mut slow_rx) = subscriber(1);
        let kick = slow.kick.clone();
        let (healthy, mut healthy_rx) = subscriber(8);
        let channel = Channel::School;
        hub.subscribe(channel, 1, slow);
        hub.subscribe(channel, 2, healthy);
        hub.publish(event(channel, 1));
        assert!(!kick.is_kicked());
        hub.publish(event(channel, 2));
        assert!(kick.is_kicked());
        assert_eq!(metrics.queue_drops.get(), 1);
        // Once kicked, it is skipped rather than counted again; the healthy one gets everything.
        hub.publish(event(channel, 3));
        assert_eq!(metrics.queue_drops.get(), 1);
        assert_eq!(slow_rx.try_recv().map(|d| d.seq).ok(), Some(1));
        let seqs: Vec<i64> = std::iter::from_fn(|| healthy_rx.try_recv().ok())
            .map(|d| d.seq)
            .collect();
        assert_eq!(seqs, [1, 2, 3]);
    }

    #[test]
    fn a_full_wake_up_queue_is_not_a_drop() {
        let (hub, metrics) = hub();
        let (tx, mut rx) = mpsc::channel(1);
        let listener = Subscriber::wake_up(tx);
        let kick = listener.kick.clone();
        hub.subscribe(Channel::School, 1, listener);
        for seq in 1..=3 {
            hub.publish(event(Channel::School, seq));
        }
        assert_eq!(metrics.queue_drops.get(), 0);
        assert!(!kick.is_kicked());
        assert_eq!(rx.try_recv().map(|d| d.seq).ok(), Some(1));
    }

    #[test]
    fn unsubscribe_removes_the_subscriber_and_the_empty_channel() {
        let (hub, metrics) = hub();
        let channel = Channel::User(9);
        let (a, _a_rx) = subscriber(1);
        let (b, _b_rx) = subscriber(1);
        hub.subscribe(channel, 1, a.clone());
        hub.subscribe(channel, 1, a); // again: replaces, still one
        hub.subscribe(channel, 2, b);
        assert_eq!(hub.subscriber_count(channel), 2);
        assert_eq!(metrics.subscriptions.get(), 2);
        hub.unsubscribe(channel, 1);
        assert_eq!(hub.subscriber_count(channel), 1);
        hub.unsubscribe(channel, 2);
        hub.unsubscribe(channel, 2); // twice is harmless
        assert_eq!(hub.subscriber_count(channel), 0);
        assert!(hub.channels().is_empty());
        assert_eq!(metrics.subscriptions.get(), 0);
    }
}
