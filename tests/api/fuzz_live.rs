//! Generated and mutated frames at a real WebSocket, as a teacher, a student and an admin at
//! once: every frame the server will not act on is answered with a readable error frame, every
//! other one with its answer, the socket stays open, the database does not change, and the
//! server still serves a plain subscribe afterwards.

use crate::generators::{broken_json, json_value, object_of, samples, KNOWN_FIELDS};
use crate::helpers::*;
use futures::SinkExt;
use proptest::prelude::*;
use rollcall::protocol::{Channel, ClientMessage, ServerMessage, MAX_CLIENT_FRAME_BYTES};
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const FRAMES_PER_SOCKET: usize = 40;
/// Under the server's inbound limit (20 frames/s), so each frame gets its own answer rather
/// than a rate-limit notice (which would also be fine, but says less).
const PAUSE: Duration = Duration::from_millis(55);
/// The last frame: its answer marks the end of the answers to the generated ones.
const MARKER: Channel = Channel::Session(-424_242);

fn frames(session_id: i64, label: &str) -> Vec<Message> {
    let fields = KNOWN_FIELDS.iter().map(|f| f.to_string()).collect();
    let plausible = vec![
        ("type".to_string(), json!("subscribe")),
        (
            "channel".to_string(),
            json!(format!("session:{session_id}")),
        ),
        ("since".to_string(), json!({ "epoch": "x", "seq": 1 })),
        ("nonce".to_string(), json!(1)),
    ];
    let text = prop_oneof![
        4 => object_of(fields, plausible).prop_map(|v| v.to_string()),
        2 => json_value().prop_map(|v| v.to_string()),
        2 => broken_json(),
        1 => Just("x".repeat(MAX_CLIENT_FRAME_BYTES + 1)),
    ];
    let frame = prop_oneof![
        9 => text.prop_map(|t| Message::Text(t.into())),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| Message::Binary(b.into())),
    ];
    samples(frame, FRAMES_PER_SOCKET, label)
}

/// Whether the server answers this frame with exactly one frame (everything but a pong).
fn expects_answer(frame: &Message) -> bool {
    match frame {
        Message::Text(text) => !matches!(
            serde_json::from_str::<ClientMessage>(text),
            Ok(ClientMessage::Pong { .. }) if text.len() <= MAX_CLIENT_FRAME_BYTES
        ),
        _ => true,
    }
}

/// Sends the frames, then the marker; returns how many answers came before the marker's.
async fn fuzz_socket(ws: &mut Ws, frames: Vec<Message>) -> (usize, usize) {
    let expected = frames.iter().filter(|f| expects_answer(f)).count();
    for frame in frames {
        ws.stream.send(frame).await.expect("socket open");
        tokio::time::sleep(PAUSE).await;
    }
    ws.send(&ClientMessage::Unsubscribe { channel: MARKER })
        .await;
    let mut answers = 0;
    loop {
        match ws.next().await {
            ServerMessage::Unsubscribed { channel } if channel == MARKER => break,
            ServerMessage::Error { message, .. } => {
                assert!(message.len() > 5 && message.contains(' '), "{message:?}");
                answers += 1;
            }
            ServerMessage::Subscribed { .. } | ServerMessage::Unsubscribed { .. } => answers += 1,
            ServerMessage::Ping { .. } | ServerMessage::Event(_) | ServerMessage::Code(_) => {}
            ServerMessage::Welcome { .. } => panic!("a second welcome"),
        }
    }
    (answers, expected)
}

#[tokio::test]
async fn generated_frames_at_a_real_websocket_are_answered_and_change_nothing() {
    let app = spawn_app().await;
    let teacher = app.bearer_client("rivera").await;
    let (session_id, _) = teacher.open_session("Biology 9A", 10).await;
    let db = database(app.server.state.store.database_url()).await;
    let before = Fingerprint::read(&db).await;
    let mut runs = Vec::new();
    for username in ["rivera", "student1", "admin"] {
        let id = app.user_id(username).await;
        let token = bearer_token(&app.server.state.store, id).await;
        let mut ws = app.ws(&token).await;
        let frames = frames(session_id, username);
        runs.push(async move {
            let (answers, expected) = fuzz_socket(&mut ws, frames).await;
            assert_eq!(answers, expected, "answers to {username}'s frames");
            // The same socket still does the real thing.
            let (position, recovered, _) = ws.subscribe(Channel::User(id), None).await;
            assert!(recovered && position.seq >= 0);
        });
    }
    futures::future::join_all(runs).await;
    assert_eq!(Fingerprint::read(&db).await, before);
    // A new connection is served as usual.
    let token = bearer_token(&app.server.state.store, app.user_id("rivera").await).await;
    let mut ws = app.ws(&token).await;
    let (_, recovered, _) = ws.subscribe(Channel::Session(session_id), None).await;
    assert!(recovered);
}
