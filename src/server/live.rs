//! The live channel: the WebSocket endpoint (`/ws`), its polling twin (`/api/updates`) and
//! `/metrics`. Both live paths read the same durable log, so a client that resumes or polls from
//! a position gets exactly the events after it.

use super::auth::authenticate;
use super::hub::{ConnectionId, Delivery, Kick, Subscriber};
use super::AppState;
use crate::domain::{CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::protocol::{
    close_code, Channel, ClientMessage, ErrorCode, Event, ServerMessage, StreamPosition,
    UpdatesResponse, MAX_CLIENT_FRAME_BYTES,
};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// May this user follow this channel?
pub async fn authorize_channel(
    state: &AppState,
    user: &CurrentUser,
    channel: Channel,
) -> AppResult<()> {
    match channel {
        Channel::Session(id) => {
            let session =
                state.store.session(id).await?.ok_or_else(|| {
                    AppError::not_found(format!("There is no class session {id}."))
                })?;
            match user.role {
                Role::Admin => Ok(()),
                Role::Teacher if session.teacher_id == user.id => Ok(()),
                _ => Err(AppError::forbidden(format!(
                    "Only the teacher of {} can follow this session.",
                    session.class_name
                ))),
            }
        }
        Channel::School if user.role == Role::Admin => Ok(()),
        Channel::School => Err(AppError::forbidden(
            "Only admins can follow school-wide figures.",
        )),
        Channel::User(id) if id == user.id => Ok(()),
        Channel::User(_) => Err(AppError::forbidden(
            "You can only follow your own notifications.",
        )),
    }
}

/// Cross-site WebSocket hijacking defence: a browser always sends `Origin`; it must be this
/// site (the configured public URL, or the host the request was addressed to). Clients that
/// send no Origin are not browsers and still need a valid session.
fn origin_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if origin == state.config.public_url {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (origin.split_once("://"), host) {
        (Some((scheme, origin_host)), Some(host)) => {
            matches!(scheme, "http" | "https") && origin_host == host
        }
        _ => false,
    }
}

/// Where a subscribe or poll starts: replay from the resume point, or say it cannot.
struct Resume {
    position: StreamPosition,
    recovered: bool,
    events: Vec<Event>,
}

async fn resume(
    state: &AppState,
    channel: Channel,
    since: Option<&StreamPosition>,
) -> AppResult<Resume> {
    let position = state.store.channel_position(channel).await?;
    let Some(since) = since else {
        return Ok(Resume {
            position,
            recovered: true,
            events: Vec::new(),
        });
    };
    let max_replay = state.config.max_replay as i64;
    let usable = since.epoch == position.epoch
        && since.seq >= 0
        && since.seq <= position.seq
        && position.seq - since.seq <= max_replay;
    if !usable {
        return Ok(Resume {
            position,
            recovered: false,
            events: Vec::new(),
        });
    }
    let events = state
        .store
        .events_after(channel, since.seq, max_replay)
        .await?;
    Ok(Resume {
        position,
        recovered: true,
        events,
    })
}

// ---------------------------------------------------------------- WebSocket

pub async fn ws_upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !origin_allowed(&state, &headers) {
        return AppError::forbidden("This WebSocket connection comes from another site.")
            .into_response();
    }
    let user = match authenticate(&state, &headers).await {
        Ok(user) => user,
        Err(error) => return error.into_response(),
    };
    upgrade
        // Hard cap well above the soft cap, so an oversize frame can be answered, not just cut.
        .max_message_size(64 * 1024)
        .max_frame_size(64 * 1024)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .on_upgrade(move |socket| async move {
            state.metrics.open_connections.inc();
            let (connection, queue) = Connection::new(state.clone(), user);
            run(connection, queue, socket).await;
            state.metrics.open_connections.dec();
        })
}

struct Connection {
    state: AppState,
    user: CurrentUser,
    id: ConnectionId,
    kick: Arc<Kick>,
    queue_tx: mpsc::Sender<Delivery>,
    /// Last seq sent per subscribed channel: later deliveries at or below it are duplicates.
    sent: HashMap<Channel, i64>,
    inbound: DefaultDirectRateLimiter,
}

enum Step {
    Continue,
    Close(u16, &'static str),
}

impl Connection {
    fn new(state: AppState, user: CurrentUser) -> (Connection, mpsc::Receiver<Delivery>) {
        let (queue_tx, queue_rx) = mpsc::channel(state.config.ws_queue.max(1));
        let id = state.hub.next_connection_id();
        let per_second = NonZeroU32::new(20).expect("nonzero");
        (
            Connection {
                id,
                user,
                kick: Arc::new(Kick::default()),
                queue_tx,
                sent: HashMap::new(),
                inbound: RateLimiter::direct(
                    Quota::per_second(per_second)
                        .allow_burst(NonZeroU32::new(40).expect("nonzero")),
                ),
                state,
            },
            queue_rx,
        )
    }
}

/// One connection's life: welcome, then inbound frames, queued deliveries, heartbeats, until it
/// closes, falls behind, stops answering or the server shuts down.
async fn run(mut connection: Connection, mut queue: mpsc::Receiver<Delivery>, socket: WebSocket) {
    {
        let (mut sink, mut stream) = socket.split();
        let heartbeat = Duration::from_millis(connection.state.config.heartbeat_ms.max(10));
        // The first ping goes out soon, so latency is known early; then one per heartbeat.
        let first_ping = tokio::time::Instant::now() + heartbeat.min(Duration::from_millis(500));
        let mut ticker = tokio::time::interval_at(first_ping, heartbeat);
        let mut shutdown = connection.state.shutdown.subscribe();
        let mut pending_ping: Option<(u64, Instant)> = None;
        let mut last_rtt: Option<u32> = None;
        let mut nonce = 0u64;

        let welcome = ServerMessage::Welcome {
            user_id: connection.user.id,
            heartbeat_ms: heartbeat.as_millis() as u64,
        };
        let mut outcome = if send(&mut sink, &welcome).await {
            Step::Continue
        } else {
            Step::Close(1000, "")
        };

        while let Step::Continue = outcome {
            outcome = tokio::select! {
                biased;
                _ = shutdown.changed() => Step::Close(close_code::SERVER_RESTARTING, "server restarting"),
                _ = connection.kick.wait() => {
                    connection.state.metrics.slow_consumer_disconnects.inc();
                    Step::Close(close_code::SLOW_CONSUMER, "too slow to keep up; reconnect and resume")
                }
                incoming = stream.next() => match incoming {
                    Some(Ok(Message::Text(text))) => connection.on_text(&mut sink, &text, &mut pending_ping, &mut last_rtt).await,
                    Some(Ok(Message::Binary(_))) => {
                        connection.refuse(&mut sink, ErrorCode::BadMessage, "Frames are JSON text.".into(), None).await
                    }
                    Some(Ok(Message::Close(_))) | None => Step::Close(1000, ""),
                    Some(Ok(_)) => Step::Continue, // protocol ping/pong: handled by the library
                    Some(Err(_)) => {
                        connection.state.metrics.bad_frames.inc();
                        Step::Close(1009, "frame too large")
                    }
                },
                Some(delivery) = queue.recv() => {
                    // Write whatever else is already queued too, then flush once: under load
                    // that is one write for many frames instead of one each.
                    let mut step = connection.deliver(&mut sink, delivery).await;
                    for _ in 0..64 {
                        let Step::Continue = step else { break };
                        let Ok(next) = queue.try_recv() else { break };
                        step = connection.deliver(&mut sink, next).await;
                    }
                    match step {
                        Step::Continue if sink.flush().await.is_err() => Step::Close(1000, ""),
                        step => step,
                    }
                }
                _ = ticker.tick() => {
                    if pending_ping.is_some_and(|(_, sent)| sent.elapsed() > heartbeat * 2) {
                        connection.state.metrics.heartbeat_timeouts.inc();
                        Step::Close(close_code::HEARTBEAT_TIMEOUT, "no heartbeat answer")
                    } else {
                        if pending_ping.is_none() {
                            nonce += 2; // the answer to a first pong may use nonce + 1
                            pending_ping = Some((nonce, Instant::now()));
                        }
                        let (nonce, _) = pending_ping.expect("set above");
                        if send(&mut sink, &ServerMessage::Ping { nonce, rtt_ms: last_rtt }).await {
                            Step::Continue
                        } else {
                            Step::Close(1000, "")
                        }
                    }
                }
            };
        }
        if let Step::Close(code, reason) = outcome {
            if code != 1000 || !reason.is_empty() {
                let _ = sink
                    .send(Message::Close(Some(CloseFrame {
                        code,
                        reason: Utf8Bytes::from_static(reason),
                    })))
                    .await;
            }
        }
        for channel in connection.sent.keys() {
            connection.state.hub.unsubscribe(*channel, connection.id);
        }
    }
}

type Sink = futures::stream::SplitSink<WebSocket, Message>;

async fn send(sink: &mut Sink, message: &ServerMessage) -> bool {
    match serde_json::to_string(message) {
        Ok(text) => sink.send(Message::Text(text.into())).await.is_ok(),
        Err(_) => false,
    }
}

impl Connection {
    async fn refuse(
        &self,
        sink: &mut Sink,
        code: ErrorCode,
        message: String,
        channel: Option<Channel>,
    ) -> Step {
        if matches!(
            code,
            ErrorCode::BadMessage | ErrorCode::FrameTooLarge | ErrorCode::RateLimited
        ) {
            self.state.metrics.bad_frames.inc();
        }
        if send(
            sink,
            &ServerMessage::Error {
                code,
                message,
                channel,
            },
        )
        .await
        {
            Step::Continue
        } else {
            Step::Close(1000, "")
        }
    }

    async fn on_text(
        &mut self,
        sink: &mut Sink,
        text: &str,
        pending_ping: &mut Option<(u64, Instant)>,
        last_rtt: &mut Option<u32>,
    ) -> Step {
        if self.inbound.check().is_err() {
            return self
                .refuse(
                    sink,
                    ErrorCode::RateLimited,
                    "Too many messages; this one was dropped.".into(),
                    None,
                )
                .await;
        }
        if text.len() > MAX_CLIENT_FRAME_BYTES {
            return self
                .refuse(
                    sink,
                    ErrorCode::FrameTooLarge,
                    format!("Frames are limited to {MAX_CLIENT_FRAME_BYTES} bytes."),
                    None,
                )
                .await;
        }
        let message = match serde_json::from_str::<ClientMessage>(text) {
            Ok(message) => message,
            Err(error) => {
                return self
                    .refuse(
                        sink,
                        ErrorCode::BadMessage,
                        format!("Not a valid message: {error}."),
                        None,
                    )
                    .await
            }
        };
        match message {
            ClientMessage::Pong { nonce } => {
                let Some((expected, sent)) = *pending_ping else {
                    return Step::Continue;
                };
                if expected != nonce {
                    return Step::Continue;
                }
                let first = last_rtt.is_none();
                *last_rtt = Some(sent.elapsed().as_millis().min(u32::MAX as u128) as u32);
                *pending_ping = None;
                // Report the first measurement at once instead of a heartbeat later, so the
                // client can show its latency right after connecting.
                if first {
                    *pending_ping = Some((nonce + 1, Instant::now()));
                    if !send(
                        sink,
                        &ServerMessage::Ping {
                            nonce: nonce + 1,
                            rtt_ms: *last_rtt,
                        },
                    )
                    .await
                    {
                        return Step::Close(1000, "");
                    }
                }
                Step::Continue
            }
            ClientMessage::Unsubscribe { channel } => {
                self.state.hub.unsubscribe(channel, self.id);
                self.sent.remove(&channel);
                if send(sink, &ServerMessage::Unsubscribed { channel }).await {
                    Step::Continue
                } else {
                    Step::Close(1000, "")
                }
            }
            ClientMessage::Subscribe { channel, since } => {
                self.subscribe(sink, channel, since).await
            }
        }
    }

    async fn subscribe(
        &mut self,
        sink: &mut Sink,
        channel: Channel,
        since: Option<StreamPosition>,
    ) -> Step {
        if let Err(error) = authorize_channel(&self.state, &self.user, channel).await {
            let code = match error.kind {
                crate::error::ErrorKind::NotFound => ErrorCode::NotFound,
                crate::error::ErrorKind::Forbidden => ErrorCode::Forbidden,
                _ => ErrorCode::Internal,
            };
            return self.refuse(sink, code, error.message, Some(channel)).await;
        }
        // Register first, then read the log: whatever commits in between arrives both ways and
        // the duplicate is dropped by seq, so there is no gap at the seam.
        self.state.hub.subscribe(
            channel,
            self.id,
            Subscriber {
                queue: self.queue_tx.clone(),
                kick: self.kick.clone(),
            },
        );
        let resume = match resume(&self.state, channel, since.as_ref()).await {
            Ok(resume) => resume,
            Err(error) => {
                return self
                    .refuse(sink, ErrorCode::Internal, error.message, Some(channel))
                    .await
            }
        };
        let last = resume.events.last().map_or_else(
            || {
                if resume.recovered {
                    since.as_ref().map_or(resume.position.seq, |s| s.seq)
                } else {
                    resume.position.seq
                }
            },
            |event| event.seq,
        );
        self.sent.insert(channel, last);
        let subscribed = ServerMessage::Subscribed {
            channel,
            position: resume.position,
            recovered: resume.recovered,
            replayed: resume.events.len() as u32,
        };
        if !send(sink, &subscribed).await {
            return Step::Close(1000, "");
        }
        for event in resume.events {
            if !send(sink, &ServerMessage::Event(event)).await {
                return Step::Close(1000, "");
            }
        }
        Step::Continue
    }

    async fn deliver(&mut self, sink: &mut Sink, delivery: Delivery) -> Step {
        let Some(&last) = self.sent.get(&delivery.channel) else {
            return Step::Continue; // unsubscribed meanwhile
        };
        if delivery.seq <= last {
            return Step::Continue; // already sent during replay
        }
        if delivery.seq > last + 1 {
            // A gap (cannot happen in one process, can across instances): fill it from the log.
            let missing = match self
                .state
                .store
                .events_after(delivery.channel, last, delivery.seq - last - 1)
                .await
            {
                Ok(events) => events,
                Err(_) => return Step::Close(1011, "cannot read the event log"),
            };
            for event in missing {
                if !send(sink, &ServerMessage::Event(event)).await {
                    return Step::Close(1000, "");
                }
            }
        }
        // Buffered; the caller flushes after the batch.
        if sink
            .feed(Message::Text(Utf8Bytes::from(delivery.frame.as_ref())))
            .await
            .is_err()
        {
            return Step::Close(1000, "");
        }
        self.sent.insert(delivery.channel, delivery.seq);
        self.state.metrics.frames_sent.inc();
        self.state
            .metrics
            .fanout_latency
            .observe(delivery.published_at.elapsed().as_secs_f64());
        Step::Continue
    }
}

// ---------------------------------------------------------------- polling fallback

#[derive(Deserialize)]
pub struct UpdatesQuery {
    channel: String,
    since: Option<i64>,
    epoch: Option<String>,
    /// Long-poll: wait up to this many seconds (at most 25) for something new.
    wait: Option<u64>,
}

pub async fn updates(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<UpdatesQuery>,
) -> Result<axum::Json<UpdatesResponse>, AppError> {
    let user = authenticate(&state, &headers).await?;
    let channel = Channel::parse(&query.channel).map_err(AppError::bad_request)?;
    authorize_channel(&state, &user, channel).await?;
    let since = match (query.since, query.epoch) {
        (Some(seq), Some(epoch)) => Some(StreamPosition { epoch, seq }),
        (None, None) => None,
        _ => {
            return Err(AppError::bad_request(
                "Give both since and epoch, or neither.",
            ))
        }
    };
    let mut answer = resume(&state, channel, since.as_ref()).await?;
    let wait = Duration::from_secs(query.wait.unwrap_or(0).min(25));
    if answer.recovered && answer.events.is_empty() && since.is_some() && !wait.is_zero() {
        // Long-poll: listen on the hub, re-read (a commit may have landed in between), and if
        // still nothing, wait for the next commit on the channel before reading again.
        let (tx, mut rx) = mpsc::channel(1);
        let _listening = Listening::new(&state, channel, tx);
        answer = resume(&state, channel, since.as_ref()).await?;
        if answer.events.is_empty() && tokio::time::timeout(wait, rx.recv()).await.is_ok() {
            answer = resume(&state, channel, since.as_ref()).await?;
        }
    }
    Ok(axum::Json(UpdatesResponse {
        channel,
        position: answer.position,
        recovered: answer.recovered,
        events: answer.events,
    }))
}

/// A temporary hub subscription that ends when dropped.
struct Listening<'a> {
    state: &'a AppState,
    channel: Channel,
    id: ConnectionId,
}

impl<'a> Listening<'a> {
    fn new(state: &'a AppState, channel: Channel, queue: mpsc::Sender<Delivery>) -> Self {
        let id = state.hub.next_connection_id();
        state.hub.subscribe(
            channel,
            id,
            Subscriber {
                queue,
                kick: Arc::new(Kick::default()),
            },
        );
        Listening { state, channel, id }
    }
}

impl Drop for Listening<'_> {
    fn drop(&mut self) {
        self.state.hub.unsubscribe(self.channel, self.id);
    }
}

// ---------------------------------------------------------------- metrics

/// Prometheus text; for admins, or with `Authorization: Bearer $ROLLCALL_METRICS_TOKEN`.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token_ok = state
        .config
        .metrics_token
        .as_deref()
        .is_some_and(|expected| {
            super::auth::token_from_headers(&headers).as_deref() == Some(expected)
        });
    if !token_ok {
        match authenticate(&state, &headers).await {
            Ok(user) if user.role == Role::Admin => {}
            Ok(_) => return AppError::forbidden("Metrics are for admins.").into_response(),
            Err(error) => return error.into_response(),
        }
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}
