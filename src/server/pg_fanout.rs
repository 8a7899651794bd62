//! Fan-out between instances sharing one PostgreSQL: every commit NOTIFYs `channel seq`; each
//! instance LISTENs, reads the announced events from the event table and publishes them to its
//! own hub. The payload is tiny (NOTIFY's 8 KB limit never matters) and the log, not the
//! notification, is the source of truth: a lost LISTEN connection is re-established and each
//! followed channel catches up from the last seq published.
//!
//! The same LISTEN carries "these sign-ins ended" announcements (see `server::connections`):
//! each instance closes its own connections of those sign-ins. Announcements missed while the
//! LISTEN connection was down cannot be replayed, so after reconnecting every open connection's
//! sign-in is checked against the database once.

use super::connections::{Connections, EndSignIns};
use super::hub::Hub;
use super::store::{Store, NOTIFY_CHANNEL};
use super::ws::Close;
use crate::protocol::Channel;
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
        let Some((channel, seq)) =
            notification
                .payload()
                .split_once(' ')
                .and_then(|(channel, seq)| {
                    Some((Channel::parse(channel).ok()?, seq.parse::<i64>().ok()?))
                })
        else {
            continue;
        };
        let upto = published.get(&channel).copied().unwrap_or(seq - 1);
        if seq <= upto {
            continue;
        }
        if hub.subscriber_count(channel) == 0 {
            // Nobody here follows it: forget it (the map stays as small as what is followed);
            // a later follower's own resume fills anything before its subscribe.
            published.remove(&channel);
            continue;
        }
        catch_up(store, hub, published, channel, upto, Some(seq)).await;
    }
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
