//! One connection: its state, its loop, and what it does with each client frame and each
//! queued delivery.

use super::codes::{sleep_until_some, CodeClocks};
use super::heartbeat::{Heartbeat, Tick};
use super::{feed, send, Close};
use crate::domain::SessionId;
use crate::error::ErrorKind;
use crate::protocol::{
    Channel, ClientMessage, ErrorCode, ServerMessage, StreamPosition, MAX_CLIENT_FRAME_BYTES,
};
use crate::server::auth::SignIn;
use crate::server::channels::{authorize_channel, resume};
use crate::server::hub::{ConnectionId, Delivery, Kick, Subscriber};
use crate::server::AppState;
use axum::extract::ws::Message;
use futures::{Sink, SinkExt, Stream, StreamExt};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::convert::Infallible;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// The longest single wait for a sign-in's expiry (far-off expiries are re-armed), so the
/// clock arithmetic never overflows.
const LONGEST_EXPIRY_WAIT: Duration = Duration::from_secs(24 * 3600);

pub(super) struct Connection {
    state: AppState,
    sign_in: SignIn,
    id: ConnectionId,
    /// Set by the connection registry when this sign-in ends or a newer connection replaces
    /// this one.
    ended: watch::Receiver<Option<Close>>,
    kick: Arc<Kick>,
    queue_tx: mpsc::Sender<Delivery>,
    /// Last seq sent per subscribed channel: later deliveries at or below it are duplicates.
    /// Every channel registered with the hub is in here (cleanup unsubscribes exactly these).
    sent: HashMap<Channel, i64>,
    inbound: DefaultDirectRateLimiter,
    heartbeat: Heartbeat,
    /// Followed sessions whose code rotates, with the window last sent: each new window's
    /// code is pushed when it begins.
    codes: CodeClocks,
}

impl Connection {
    pub(super) fn new(state: AppState, sign_in: SignIn) -> (Connection, mpsc::Receiver<Delivery>) {
        let (queue_tx, queue_rx) = mpsc::channel(state.config.ws_queue.max(1));
        let id = state.hub.next_connection_id();
        let ended = state
            .connections
            .register(id, sign_in.user.id, &sign_in.token_hash);
        let heartbeat = Duration::from_millis(state.config.heartbeat_ms.max(10));
        let quota = Quota::per_second(NonZeroU32::new(20).expect("nonzero"))
            .allow_burst(NonZeroU32::new(40).expect("nonzero"));
        let connection = Connection {
            id,
            sign_in,
            ended,
            kick: Arc::new(Kick::default()),
            queue_tx,
            sent: HashMap::new(),
            inbound: RateLimiter::direct(quota),
            heartbeat: Heartbeat::new(heartbeat),
            codes: CodeClocks::default(),
            state,
        };
        (connection, queue_rx)
    }

    /// The connection loop: welcome, then client frames, queued deliveries and heartbeats;
    /// returns only to close.
    pub(super) async fn serve<S, R, E>(
        &mut self,
        queue: &mut mpsc::Receiver<Delivery>,
        sink: &mut S,
        stream: &mut R,
    ) -> Result<Infallible, Close>
    where
        S: Sink<Message> + Unpin,
        R: Stream<Item = Result<Message, E>> + Unpin,
    {
        let interval = self.heartbeat.interval();
        let first_ping = self.heartbeat.first_ping_at(Instant::now());
        let mut ticker = tokio::time::interval_at(first_ping, interval);
        let expiry = tokio::time::sleep(self.until_expiry());
        tokio::pin!(expiry);
        // Every reason to stop, as one future made once: re-creating these waits on each pass
        // of the loop (each delivered frame) cost more than writing the frame did.
        let (mut shutdown, mut ended) = (self.state.shutdown.subscribe(), self.ended.clone());
        let (kick, metrics) = (self.kick.clone(), self.state.metrics.clone());
        let stop = async move {
            tokio::select! {
                biased;
                _ = shutdown.changed() => Close::RESTARTING,
                close = ended_with(&mut ended) => close,
                _ = kick.wait() => {
                    metrics.slow_consumer_disconnects.inc();
                    Close::SLOW_CONSUMER
                }
            }
        };
        tokio::pin!(stop);
        let welcome = ServerMessage::Welcome {
            user_id: self.sign_in.user.id,
            heartbeat_ms: interval.as_millis() as u64,
        };
        send(sink, &welcome).await?;
        loop {
            let next_code = self.codes.next_at(crate::server::now_ms());
            tokio::select! {
                biased;
                close = &mut stop => return Err(close),
                () = &mut expiry => {
                    if crate::server::now_ms() >= self.sign_in.expires_at_ms {
                        return Err(Close::SIGN_IN_EXPIRED);
                    }
                    expiry.as_mut().reset(Instant::now() + self.until_expiry());
                }
                incoming = stream.next() => match incoming {
                    Some(Ok(Message::Text(text))) => self.on_text(sink, &text).await?,
                    Some(Ok(Message::Binary(_))) => self.on_binary(sink).await?,
                    Some(Ok(Message::Close(_))) | None => return Err(Close::GONE),
                    Some(Ok(_)) => {} // protocol ping/pong: handled by the library
                    Some(Err(_)) => {
                        self.state.metrics.bad_frames.inc();
                        return Err(Close::TOO_BIG);
                    }
                },
                Some(delivery) = queue.recv() => {
                    // Write whatever else is already queued too, then flush once: under load that
                    // is one write for many frames instead of one each.
                    self.deliver(sink, delivery).await?;
                    for _ in 0..64 {
                        let Ok(next) = queue.try_recv() else { break };
                        self.deliver(sink, next).await?;
                    }
                    sink.flush().await.map_err(|_| Close::GONE)?;
                }
                () = sleep_until_some(next_code) => self.send_due_codes(sink).await?,
                _ = ticker.tick() => match self.heartbeat.on_tick(Instant::now()) {
                    Tick::Ping(ping) => send(sink, &ping).await?,
                    Tick::TimedOut => {
                        self.state.metrics.heartbeat_timeouts.inc();
                        return Err(Close::HEARTBEAT_TIMEOUT);
                    }
                },
            }
        }
    }

    /// Leaves every channel this connection follows, and the registry of connections.
    pub(super) fn leave(&mut self) {
        for (channel, _) in self.sent.drain() {
            self.state.hub.unsubscribe(channel, self.id);
        }
        self.state.connections.unregister(self.id);
    }

    /// Whether the sign-in still exists now that this connection is registered: one that ended
    /// between the upgrade's check and the registration was not there to be closed.
    pub(super) async fn still_signed_in(&self) -> bool {
        let now = crate::server::now_ms();
        let store = &self.state.store;
        matches!(
            store
                .sign_in_by_token_hash(&self.sign_in.token_hash, now)
                .await,
            Ok(Some(_))
        )
    }

    fn until_expiry(&self) -> Duration {
        let left = self.sign_in.expires_at_ms - crate::server::now_ms();
        Duration::from_millis(left.max(0) as u64).min(LONGEST_EXPIRY_WAIT)
    }

    /// Answers a frame it will not act on with an error frame; the socket stays open.
    async fn refuse<S: Sink<Message> + Unpin>(
        &self,
        sink: &mut S,
        code: ErrorCode,
        message: String,
        channel: Option<Channel>,
    ) -> Result<(), Close> {
        if matches!(
            code,
            ErrorCode::BadMessage | ErrorCode::FrameTooLarge | ErrorCode::RateLimited
        ) {
            self.state.metrics.bad_frames.inc();
        }
        let error = ServerMessage::Error {
            code,
            message,
            channel,
        };
        send(sink, &error).await
    }

    pub(super) async fn on_binary<S: Sink<Message> + Unpin>(
        &self,
        sink: &mut S,
    ) -> Result<(), Close> {
        let message = "Frames are JSON text.".to_string();
        self.refuse(sink, ErrorCode::BadMessage, message, None)
            .await
    }

    pub(super) async fn on_text<S: Sink<Message> + Unpin>(
        &mut self,
        sink: &mut S,
        text: &str,
    ) -> Result<(), Close> {
        if self.inbound.check().is_err() {
            let message = "Too many messages; this one was dropped.".to_string();
            return self
                .refuse(sink, ErrorCode::RateLimited, message, None)
                .await;
        }
        if text.len() > MAX_CLIENT_FRAME_BYTES {
            let message = format!("Frames are limited to {MAX_CLIENT_FRAME_BYTES} bytes.");
            return self
                .refuse(sink, ErrorCode::FrameTooLarge, message, None)
                .await;
        }
        let message = match serde_json::from_str::<ClientMessage>(text) {
            Ok(message) => message,
            Err(error) => {
                let message = format!("Not a valid message: {error}.");
                return self
                    .refuse(sink, ErrorCode::BadMessage, message, None)
                    .await;
            }
        };
        match message {
            ClientMessage::Pong { nonce } => match self.heartbeat.on_pong(nonce, Instant::now()) {
                Some(ping) => send(sink, &ping).await,
                None => Ok(()),
            },
            ClientMessage::Unsubscribe { channel } => {
                self.state.hub.unsubscribe(channel, self.id);
                self.sent.remove(&channel);
                if let Channel::Session(id) = channel {
                    self.codes.set(id, None);
                }
                send(sink, &ServerMessage::Unsubscribed { channel }).await
            }
            ClientMessage::Subscribe { channel, since } => {
                self.subscribe(sink, channel, since).await
            }
        }
    }

    async fn subscribe<S: Sink<Message> + Unpin>(
        &mut self,
        sink: &mut S,
        channel: Channel,
        since: Option<StreamPosition>,
    ) -> Result<(), Close> {
        if let Err(error) = authorize_channel(&self.state, &self.sign_in.user, channel).await {
            let code = match error.kind {
                ErrorKind::NotFound => ErrorCode::NotFound,
                ErrorKind::Forbidden => ErrorCode::Forbidden,
                _ => ErrorCode::Internal,
            };
            return self.refuse(sink, code, error.message, Some(channel)).await;
        }
        // Register first, then read the log: whatever commits in between arrives both ways and
        // the duplicate is dropped by seq, so there is no gap at the seam.
        let subscriber = Subscriber::connection(self.queue_tx.clone(), self.kick.clone());
        self.state.hub.subscribe(channel, self.id, subscriber);
        let resume = match resume(&self.state, channel, since.as_ref()).await {
            Ok(resume) => resume,
            Err(error) => {
                // Not followed after all: take the registration back now, or nothing would.
                self.state.hub.unsubscribe(channel, self.id);
                self.sent.remove(&channel);
                return self
                    .refuse(sink, ErrorCode::Internal, error.message, Some(channel))
                    .await;
            }
        };
        let last = match resume.events.last() {
            Some(event) => event.seq,
            None => match &since {
                Some(since) if resume.recovered => since.seq,
                _ => resume.position.seq,
            },
        };
        self.sent.insert(channel, last);
        let subscribed = ServerMessage::Subscribed {
            channel,
            position: resume.position,
            recovered: resume.recovered,
            replayed: resume.events.len() as u32,
        };
        send(sink, &subscribed).await?;
        for event in resume.events {
            send(sink, &ServerMessage::Event(event)).await?;
        }
        if let Channel::Session(id) = channel {
            self.refresh_code(sink, id).await?;
        }
        Ok(())
    }

    /// Reads a followed session's code again; while it rotates, sends the current one now and
    /// each next one as its window begins.
    async fn refresh_code<S: Sink<Message> + Unpin>(
        &mut self,
        sink: &mut S,
        session_id: SessionId,
    ) -> Result<(), Close> {
        let code = self.state.store.session_code(session_id).await;
        self.codes
            .set(session_id, code.map_err(|_| Close::LOG_UNREADABLE)?);
        self.send_due_codes(sink).await
    }

    /// Sends every followed rotating code whose window has moved on since it was last sent.
    async fn send_due_codes<S: Sink<Message> + Unpin>(
        &mut self,
        sink: &mut S,
    ) -> Result<(), Close> {
        let due = self
            .codes
            .due(&self.state.config.public_url, crate::server::now_ms());
        for shown in due {
            send(sink, &ServerMessage::Code(shown)).await?;
        }
        Ok(())
    }

    /// Writes one queued event, without flushing: the caller flushes after the batch.
    pub(super) async fn deliver<S: Sink<Message> + Unpin>(
        &mut self,
        sink: &mut S,
        delivery: Delivery,
    ) -> Result<(), Close> {
        let Some(&last) = self.sent.get(&delivery.channel) else {
            return Ok(()); // unsubscribed meanwhile
        };
        if delivery.seq <= last {
            return Ok(()); // already sent during replay
        }
        if delivery.seq > last + 1 {
            // A gap (cannot happen in one process, can across instances): fill it from the log.
            let missing = self
                .state
                .store
                .events_after(delivery.channel, last, delivery.seq - last - 1)
                .await
                .map_err(|_| Close::LOG_UNREADABLE)?;
            for event in missing {
                send(sink, &ServerMessage::Event(event)).await?;
            }
        }
        feed(sink, Message::Text(delivery.frame.clone())).await?;
        self.sent.insert(delivery.channel, delivery.seq);
        if let (true, Channel::Session(id)) = (delivery.changes_code, delivery.channel) {
            self.refresh_code(sink, id).await?;
        }
        self.state.metrics.frames_sent.inc();
        self.state
            .metrics
            .fanout_latency
            .observe(delivery.published_at.elapsed().as_secs_f64());
        Ok(())
    }
}

/// The close frame the registry asked for, once it asks (never, if it drops the request).
async fn ended_with(ended: &mut watch::Receiver<Option<Close>>) -> Close {
    let close = ended.wait_for(Option::is_some).await.map(|close| *close);
    match close {
        Ok(close) => close.unwrap_or(Close::GONE),
        Err(_) => std::future::pending().await,
    }
}
