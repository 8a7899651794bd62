//! The WebSocket endpoint (`/ws`): the upgrade, and each connection's loop of welcome, client
//! frames, queued deliveries and heartbeats until it closes, falls behind, stops answering or the
//! server shuts down.
//!
//! The loop is generic over the socket's two halves, so tests drive it through channels.

mod connection;
pub mod heartbeat;

use super::auth::{authenticate_sign_in, SignIn};
use super::AppState;
use crate::error::AppError;
use crate::protocol::{close_code, ServerMessage};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use connection::Connection;
use futures::{Sink, SinkExt, Stream, StreamExt};

/// Why a connection ends: the close frame to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Close {
    pub code: u16,
    pub reason: &'static str,
}

impl Close {
    /// The peer is gone or said goodbye: nothing left to tell it.
    pub const GONE: Close = Close {
        code: close_code::NORMAL,
        reason: "",
    };
    pub const RESTARTING: Close = Close {
        code: close_code::SERVER_RESTARTING,
        reason: "server restarting",
    };
    pub const SLOW_CONSUMER: Close = Close {
        code: close_code::SLOW_CONSUMER,
        reason: "too slow to keep up; reconnect and resume",
    };
    pub const HEARTBEAT_TIMEOUT: Close = Close {
        code: close_code::HEARTBEAT_TIMEOUT,
        reason: "no heartbeat answer",
    };
    pub const TOO_BIG: Close = Close {
        code: close_code::TOO_BIG,
        reason: "frame too large",
    };
    pub const LOG_UNREADABLE: Close = Close {
        code: close_code::INTERNAL,
        reason: "cannot read the event log",
    };
    pub const UNENCODABLE: Close = Close {
        code: close_code::INTERNAL,
        reason: "cannot encode a frame",
    };
    /// The reasons below are read by the browser (see docs/protocol.md): keep them stable.
    pub const SIGNED_OUT: Close = Close {
        code: close_code::UNAUTHENTICATED,
        reason: "signed out",
    };
    pub const PASSWORD_CHANGED: Close = Close {
        code: close_code::UNAUTHENTICATED,
        reason: "password changed",
    };
    pub const SIGN_IN_EXPIRED: Close = Close {
        code: close_code::UNAUTHENTICATED,
        reason: "sign-in expired",
    };
    pub const REPLACED: Close = Close {
        code: close_code::REPLACED,
        reason: "replaced by a newer connection",
    };
}

/// Writes one frame and flushes it; a failed write means the peer is gone.
async fn send<S: Sink<Message> + Unpin>(
    sink: &mut S,
    message: &ServerMessage,
) -> Result<(), Close> {
    let text = serde_json::to_string(message).map_err(|_| Close::UNENCODABLE)?;
    sink.send(Message::Text(text.into()))
        .await
        .map_err(|_| Close::GONE)
}

/// Writes one frame without flushing.
async fn feed<S: Sink<Message> + Unpin>(sink: &mut S, message: Message) -> Result<(), Close> {
    sink.feed(message).await.map_err(|_| Close::GONE)
}

/// `GET /ws`: checks the origin and the session, then upgrades.
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if !origin_allowed(&state, &headers) {
        return AppError::forbidden("This WebSocket connection comes from another site.")
            .into_response();
    }
    let sign_in = match authenticate_sign_in(&state, &headers).await {
        Ok(sign_in) => sign_in,
        Err(error) => return error.into_response(),
    };
    let Ok(upgrade) = upgrade else {
        // A plain request at the WebSocket address: the same JSON error as everything else.
        return AppError::bad_request(format!(
            "{} is for WebSocket connections; the same updates are at {} for plain requests.",
            crate::protocol::WS_PATH,
            crate::protocol::UPDATES_PATH
        ))
        .into_response();
    };
    upgrade
        // Hard cap well above the soft cap, so an oversize frame can be answered, not just cut.
        .max_message_size(64 * 1024)
        .max_frame_size(64 * 1024)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .on_upgrade(move |socket| async move {
            state.metrics.open_connections.inc();
            let (sink, stream) = socket.split();
            run_checked(state.clone(), sign_in, sink, stream).await;
            state.metrics.open_connections.dec();
        })
}

/// Cross-site WebSocket hijacking defence: a browser always sends `Origin`; it must be this
/// site (the configured public URL, or the host the request was addressed to). Clients that
/// send no Origin are not browsers and still need a valid session.
fn origin_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    super::request_guard::is_site_origin(&state.config.public_url, origin, host)
}

/// One connection's life, from welcome to close frame; leaves the hub clean behind it.
pub async fn run<S, R, E>(state: AppState, sign_in: SignIn, sink: S, stream: R)
where
    S: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, E>> + Unpin,
{
    serve_connection(state, sign_in, sink, stream, false).await
}

/// `run`, after checking once more, with the connection registered, that its sign-in has not
/// ended meanwhile (what the upgrade does; `run` alone is for tests without stored sign-ins).
pub async fn run_checked<S, R, E>(state: AppState, sign_in: SignIn, sink: S, stream: R)
where
    S: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, E>> + Unpin,
{
    serve_connection(state, sign_in, sink, stream, true).await
}

async fn serve_connection<S, R, E>(
    state: AppState,
    sign_in: SignIn,
    mut sink: S,
    mut stream: R,
    recheck: bool,
) where
    S: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, E>> + Unpin,
{
    let (mut connection, mut queue) = Connection::new(state, sign_in);
    let close = if recheck && !connection.still_signed_in().await {
        Close::SIGNED_OUT
    } else {
        let Err(close) = connection.serve(&mut queue, &mut sink, &mut stream).await;
        close
    };
    if close != Close::GONE {
        let frame = CloseFrame {
            code: close.code,
            reason: Utf8Bytes::from_static(close.reason),
        };
        let _ = sink.send(Message::Close(Some(frame))).await;
    }
    connection.leave();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CurrentUser, Role};
    use crate::protocol::{Channel, ClientMessage, ErrorCode};
    use crate::server::config::Config;
    use futures::channel::mpsc as channel;
    use leptos::config::LeptosOptions;
    use std::sync::Arc;
    use std::time::Duration;

    /// The one place tests build an `AppState` (with a demo school in a temporary SQLite file).
    async fn test_state() -> (AppState, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::defaults("127.0.0.1:0".parse().unwrap());
        config.database_url = format!("sqlite:{}", dir.path().join("t.db").display());
        let options = LeptosOptions::builder()
            .output_name("rollcall")
            .site_root("target/site")
            .build();
        // The tasks (fan-out) are dropped, not aborted: they end with the runtime.
        let built = crate::startup::build_state(config, options)
            .await
            .expect("state");
        (built.state, dir)
    }

    fn with_heartbeat(mut state: AppState, heartbeat_ms: u64) -> AppState {
        let mut config = (*state.config).clone();
        config.heartbeat_ms = heartbeat_ms;
        state.config = Arc::new(config);
        state
    }

    fn admin() -> SignIn {
        SignIn {
            user: CurrentUser {
                id: 1,
                username: "admin".into(),
                display_name: "Admin".into(),
                role: Role::Admin,
                must_change_password: false,
            },
            token_hash: "test".into(),
            expires_at_ms: i64::MAX,
        }
    }

    /// The client's end of a connection `run` serves over channels instead of a socket.
    struct Peer {
        to_server: channel::Sender<Result<Message, axum::Error>>,
        from_server: channel::Receiver<Message>,
        task: tokio::task::JoinHandle<()>,
    }

    fn connect(state: &AppState, user: SignIn) -> Peer {
        let (sink, from_server) = channel::channel(1024);
        let (to_server, stream) = channel::channel(1024);
        let task = tokio::spawn(run(state.clone(), user, sink, stream));
        Peer {
            to_server,
            from_server,
            task,
        }
    }

    impl Peer {
        async fn frame(&mut self) -> Message {
            tokio::time::timeout(Duration::from_secs(60), self.from_server.next())
                .await
                .expect("a frame in time")
                .expect("the connection is still open")
        }

        async fn next(&mut self) -> ServerMessage {
            match self.frame().await {
                Message::Text(text) => serde_json::from_str(&text).expect("a server message"),
                other => panic!("expected a text frame, got {other:?}"),
            }
        }

        async fn send_text(&mut self, text: &str) {
            let frame = Message::Text(text.to_string().into());
            self.to_server.send(Ok(frame)).await.unwrap();
        }

        async fn send(&mut self, message: &ClientMessage) {
            self.send_text(&serde_json::to_string(message).unwrap())
                .await;
        }
    }

    #[tokio::test]
    async fn the_first_frame_is_welcome() {
        let (state, _dir) = test_state().await;
        let mut peer = connect(&state, admin());
        let welcome = ServerMessage::Welcome {
            user_id: 1,
            heartbeat_ms: 15_000,
        };
        assert_eq!(peer.next().await, welcome);
        // Going away ends the loop.
        drop(peer.to_server);
        peer.task.await.unwrap();
    }

    #[tokio::test]
    async fn a_silent_peer_is_closed_after_the_heartbeat_runs_out() {
        let (state, _dir) = test_state().await;
        // Virtual time from here (nothing below touches the database, whose pool timeouts
        // would fire): the runtime skips ahead whenever everything is waiting on a timer.
        tokio::time::pause();
        let started = tokio::time::Instant::now();
        let mut peer = connect(&state, admin());
        assert!(matches!(peer.next().await, ServerMessage::Welcome { .. }));
        let mut nonces = Vec::new();
        let close = loop {
            match peer.frame().await {
                Message::Text(text) => match serde_json::from_str(&text).unwrap() {
                    ServerMessage::Ping { nonce, rtt_ms } => {
                        assert_eq!(rtt_ms, None);
                        nonces.push(nonce);
                    }
                    other => panic!("expected a ping, got {other:?}"),
                },
                Message::Close(Some(frame)) => break frame,
                other => panic!("unexpected {other:?}"),
            }
        };
        assert_eq!(close.code, close_code::HEARTBEAT_TIMEOUT);
        // The default 15 s heartbeat: closed once a ping went unanswered for two of them.
        let waited = started.elapsed();
        assert!(waited >= std::time::Duration::from_secs(30), "{waited:?}");
        assert!(waited <= std::time::Duration::from_secs(46), "{waited:?}");
        // The unanswered ping was repeated, never replaced, until it ran out.
        assert!(nonces.len() >= 2, "{nonces:?}");
        assert!(nonces.iter().all(|&n| n == nonces[0]), "{nonces:?}");
        peer.task.await.unwrap();
        assert_eq!(state.metrics.heartbeat_timeouts.get(), 1);
    }

    #[tokio::test]
    async fn answered_pings_keep_it_open_and_report_the_round_trip() {
        let (state, _dir) = test_state().await;
        let beat = 200;
        let mut peer = connect(&with_heartbeat(state, beat), admin());
        assert!(matches!(peer.next().await, ServerMessage::Welcome { .. }));
        let mut pings = Vec::new();
        let started = std::time::Instant::now();
        // Well past the two heartbeats after which a silent peer is dropped.
        while pings.len() < 6 {
            let ServerMessage::Ping { nonce, rtt_ms } = peer.next().await else {
                panic!("expected a ping");
            };
            pings.push((nonce, rtt_ms));
            peer.send(&ClientMessage::Pong { nonce }).await;
        }
        assert!(started.elapsed() > Duration::from_millis(beat * 3));
        // The first answer brings an immediate second ping with the measured round trip.
        let (first, first_rtt) = pings[0];
        assert_eq!(first_rtt, None);
        assert_eq!(pings[1].0, first + 1);
        assert!(pings[1].1.is_some(), "{pings:?}");
        assert!(pings[2..].iter().all(|(_, rtt)| rtt.is_some()), "{pings:?}");
        assert!(!peer.task.is_finished());
    }

    #[tokio::test]
    async fn a_bad_frame_is_answered_and_the_socket_stays_open() {
        let (state, _dir) = test_state().await;
        let mut peer = connect(&state, admin());
        peer.next().await; // welcome
        peer.send_text("this is not json").await;
        assert!(matches!(
            peer.next().await,
            ServerMessage::Error {
                code: ErrorCode::BadMessage,
                channel: None,
                ..
            }
        ));
        // Still served.
        let channel = Channel::School;
        peer.send(&ClientMessage::Unsubscribe { channel }).await;
        assert_eq!(peer.next().await, ServerMessage::Unsubscribed { channel });
        assert!(!peer.task.is_finished());
        assert_eq!(state.metrics.bad_frames.get(), 1);
    }

    #[tokio::test]
    async fn a_failed_resume_leaves_no_subscriber_behind() {
        let (state, _dir) = test_state().await;
        let user = admin();
        let channel = Channel::User(user.user.id);
        let mut peer = connect(&state, user);
        peer.next().await; // welcome
        state.store.close().await; // every read now fails
        peer.send(&ClientMessage::Subscribe {
            channel,
            since: None,
        })
        .await;
        match peer.next().await {
            ServerMessage::Error {
                code: ErrorCode::Internal,
                channel: Some(c),
                ..
            } => assert_eq!(c, channel),
            other => panic!("expected an internal error, got {other:?}"),
        }
        assert_eq!(state.hub.subscriber_count(channel), 0);
        assert_eq!(state.metrics.subscriptions.get(), 0);
    }

    #[tokio::test]
    async fn a_closed_connection_leaves_its_channels() {
        let (state, _dir) = test_state().await;
        let channel = Channel::School;
        let mut peer = connect(&state, admin());
        peer.next().await; // welcome
        peer.send(&ClientMessage::Subscribe {
            channel,
            since: None,
        })
        .await;
        assert!(matches!(
            peer.next().await,
            ServerMessage::Subscribed {
                recovered: true,
                ..
            }
        ));
        assert_eq!(state.hub.subscriber_count(channel), 1);
        drop(peer.to_server);
        peer.task.await.unwrap();
        assert_eq!(state.hub.subscriber_count(channel), 0);
    }
}
