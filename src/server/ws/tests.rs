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
