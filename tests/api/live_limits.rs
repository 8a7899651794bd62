//! The live channel at its limits, over real sockets: a resume point it cannot serve, slow
//! consumers, malformed and oversize frames, heartbeats.

use crate::helpers::*;
use futures::StreamExt;
use reqwest::StatusCode;
use rollcall::protocol::{
    close_code, Channel, ClientMessage, ErrorCode, Event, EventBody, ServerMessage, StreamPosition,
};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[tokio::test]
async fn a_resume_point_too_old_or_from_another_epoch_says_recovered_false() {
    let app = spawn_app_with(|config| config.max_replay = 2).await;
    let teacher = app.teacher().await;
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    let start = teacher.position(session).await;
    for n in 1..=3 {
        app.student(n)
            .await
            .ok("check_in", json!({ "code": code }))
            .await;
    }
    let mut ws = app.ws(&app.token("rivera", "teacher-demo").await).await;
    let channel = Channel::Session(session);
    // 3 events behind with at most 2 replayable: reload the snapshot.
    let (position, recovered, replayed) = ws.subscribe(channel, Some(start.clone())).await;
    assert_eq!(
        (recovered, replayed, position.seq),
        (false, 0, start.seq + 3)
    );
    ws.send(&ClientMessage::Unsubscribe { channel }).await;
    assert!(matches!(
        ws.next().await,
        ServerMessage::Unsubscribed { .. }
    ));
    // Another epoch (the log was reset, or a different database): reload.
    let foreign = StreamPosition {
        epoch: "someotherepoch".into(),
        seq: start.seq,
    };
    assert!(!ws.subscribe(channel, Some(foreign)).await.1);
    ws.send(&ClientMessage::Unsubscribe { channel }).await;
    ws.next().await;
    // Ahead of the log: also not recoverable.
    let ahead = StreamPosition {
        epoch: start.epoch.clone(),
        seq: start.seq + 100,
    };
    assert!(!ws.subscribe(channel, Some(ahead)).await.1);
    ws.send(&ClientMessage::Unsubscribe { channel }).await;
    ws.next().await;
    // Within reach: recovered.
    let near = StreamPosition {
        epoch: start.epoch,
        seq: start.seq + 1,
    };
    assert_eq!(ws.subscribe(channel, Some(near)).await.2, 2);
}

#[tokio::test]
async fn a_slow_consumer_is_cut_off_while_a_healthy_one_keeps_receiving() {
    let app = spawn_app_with(|config| config.ws_queue = 16).await;
    let teacher = app.teacher().await;
    let (session, _) = teacher.open_session("Biology 9A", 10).await;
    let start = teacher.position(session).await;
    let token = app.token("rivera", "teacher-demo").await;
    let channel = Channel::Session(session);

    // The slow client: a tiny receive buffer, and it never reads.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket.connect(app.server.addr).await.unwrap();
    let (slow, _) = tokio_tungstenite::client_async(
        app.ws_request(Some(&token)),
        tokio_tungstenite::MaybeTlsStream::Plain(tcp),
    )
    .await
    .unwrap();
    let mut slow = Ws { stream: slow };
    slow.next().await; // welcome
    slow.subscribe(channel, Some(start.clone())).await;

    let mut healthy = app.ws(&token).await;
    healthy.subscribe(channel, Some(start.clone())).await;
    let received = Arc::new(AtomicU64::new(0));
    let total: u64 = 1500;
    let reader = {
        let received = received.clone();
        tokio::spawn(async move {
            let mut last = start.seq;
            while received.load(Ordering::Acquire) < total {
                let event = healthy.event().await;
                assert_eq!(event.seq, last + 1, "healthy client saw a gap");
                last = event.seq;
                received.fetch_add(1, Ordering::AcqRel);
            }
        })
    };
    // 1,500 frames of ~16 KB (24 MB) straight into the hub, paced by the healthy reader so
    // only the slow client can fall behind.
    let padding = "x".repeat(16 * 1024);
    for i in 0..total {
        while i - received.load(Ordering::Acquire) > 4 {
            tokio::task::yield_now().await;
        }
        app.server.state.hub.publish(Event {
            channel,
            seq: start.seq + 1 + i as i64,
            at_ms: 0,
            body: EventBody::CheckInRefused {
                session_id: session,
                student_id: 0,
                student_name: padding.clone(),
                reason: rollcall::domain::CheckInRefusal::WrongCode,
                code: "ZZZZZZ".into(),
            },
        });
    }
    reader.await.unwrap();
    assert_eq!(slow.closed_with().await, close_code::SLOW_CONSUMER);
    let metrics = app.server.state.metrics.render();
    assert!(
        metrics.contains("rollcall_ws_slow_consumer_disconnects_total 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn malformed_and_oversize_frames_are_answered_and_counted() {
    let app = spawn_app().await;
    let admin_token = app.token("admin", "admin-demo").await;
    let mut ws = app.ws(&admin_token).await;
    ws.send_text("this is not json").await;
    assert!(matches!(
        ws.next().await,
        ServerMessage::Error {
            code: ErrorCode::BadMessage,
            ..
        }
    ));
    ws.send_text(r#"{"type":"subscribe","channel":"nonsense"}"#)
        .await;
    assert!(matches!(
        ws.next().await,
        ServerMessage::Error {
            code: ErrorCode::BadMessage,
            ..
        }
    ));
    ws.send_text(&format!(
        r#"{{"type":"pong","nonce":1,"pad":"{}"}}"#,
        "x".repeat(5000)
    ))
    .await;
    assert!(matches!(
        ws.next().await,
        ServerMessage::Error {
            code: ErrorCode::FrameTooLarge,
            ..
        }
    ));
    // Still usable.
    ws.subscribe(Channel::School, None).await;

    let metrics = reqwest::Client::new()
        .get(format!("{}/metrics", app.base))
        .bearer_auth(&admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.unwrap();
    for line in [
        "rollcall_ws_bad_frames_total 3",
        "rollcall_ws_connections 1",
        "rollcall_ws_subscriptions 1",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(text.contains("rollcall_fanout_latency_seconds_bucket"));
    // Metrics are not public.
    let student = app.token("student1", "student-demo").await;
    let refused = reqwest::Client::new()
        .get(format!("{}/metrics", app.base))
        .bearer_auth(student)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn heartbeats_measure_latency_and_drop_silent_peers() {
    let app = spawn_app_with(|config| config.heartbeat_ms = 100).await;
    let token = app.token("rivera", "teacher-demo").await;

    // A client that answers pings gets the measured round trip back.
    let (stream, _) = tokio_tungstenite::connect_async(app.ws_request(Some(&token)))
        .await
        .unwrap();
    let mut answering = Ws { stream };
    let mut rtt = None;
    for _ in 0..10 {
        let frame = answering.stream.next().await.unwrap().unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(text) = frame {
            if let ServerMessage::Ping { nonce, rtt_ms } = serde_json::from_str(&text).unwrap() {
                if rtt_ms.is_some() {
                    rtt = rtt_ms;
                    break;
                }
                answering.send(&ClientMessage::Pong { nonce }).await;
            }
        }
    }
    assert!(rtt.is_some(), "no round trip reported");

    // A client that never answers is dropped after two missed heartbeats.
    let (silent, _) = tokio_tungstenite::connect_async(app.ws_request(Some(&token)))
        .await
        .unwrap();
    let mut silent = Ws { stream: silent };
    assert_eq!(silent.closed_with().await, close_code::HEARTBEAT_TIMEOUT);
}
