//! In-process fan-out of committed events to subscribed connections.
//!
//! Each event is serialised once; every subscriber gets a cheap clone of the same frame through
//! its own bounded queue. A subscriber whose queue is full is cut off (it reconnects and resumes
//! from the log) so one slow client never slows anyone else.

use super::metrics::Metrics;
use crate::protocol::{Channel, Event, ServerMessage};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;
use tokio::sync::{mpsc, Notify};

pub type ConnectionId = u64;

/// One event ready to send: the serialised frame, shared by every subscriber.
#[derive(Clone)]
pub struct Delivery {
    pub channel: Channel,
    pub seq: i64,
    pub frame: Arc<str>,
    pub published_at: Instant,
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

    pub fn subscribe(&self, channel: Channel, id: ConnectionId, subscriber: Subscriber) {
        let mut channels = self.channels.write().unwrap_or_else(|e| e.into_inner());
        if channels
            .entry(channel)
            .or_default()
            .insert(id, subscriber)
            .is_none()
        {
            self.metrics.subscriptions.inc();
        }
    }

    pub fn unsubscribe(&self, channel: Channel, id: ConnectionId) {
        let mut channels = self.channels.write().unwrap_or_else(|e| e.into_inner());
        if let Some(subscribers) = channels.get_mut(&channel) {
            if subscribers.remove(&id).is_some() {
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
