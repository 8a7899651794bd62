//! The live channel over real sockets: subscribe, authorization, resume, slow consumers,
//! frame limits, heartbeats, polling and restart.

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
async fn a_check_in_reaches_the_teachers_socket() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    let position = teacher.position(session).await;
    let mut ws = app.ws(&app.token("rivera", "teacher-demo").await).await;
    let (now, recovered, replayed) = ws
        .subscribe(Channel::Session(session), Some(position.clone()))
        .await;
    assert_eq!((now, recovered, replayed), (position.clone(), true, 0));

    app.student(1)
        .await
        .ok("check_in", json!({ "code": code }))
        .await;
    let event = ws.event().await;
    assert_eq!(event.channel, Channel::Session(session));
    assert_eq!(event.seq, position.seq + 1);
    match event.body {
        EventBody::AttendanceChanged {
            student_name,
            status,
            ..
        } => {
            assert_eq!(student_name, "Ava Adams");
            assert_eq!(status.as_str(), "present");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn upgrades_need_a_session_and_this_sites_origin() {
    let app = spawn_app().await;
    let refused = tokio_tungstenite::connect_async(app.ws_request(None)).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401)
        }
        other => panic!("expected 401, got {:?}", other.map(|_| ())),
    }
    let token = app.token("rivera", "teacher-demo").await;
    let mut request = app.ws_request(Some(&token));
    request
        .headers_mut()
        .insert("origin", "http://evil.example".parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("expected 403, got {:?}", other.map(|_| ())),
    }
    // The site's own origin (as the browser sends it) is accepted.
    let mut request = app.ws_request(Some(&token));
    let own = format!("http://{}", app.server.addr);
    request.headers_mut().insert("origin", own.parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request).await.is_ok());
}

#[tokio::test]
async fn foreign_channels_are_refused_and_the_socket_stays_up() {
    let app = spawn_app().await;
    let (session, _) = app.teacher().await.open_session("Biology 9A", 10).await;
    let mut other = app.ws(&app.token("okafor", "teacher-demo").await).await;
    let expectations = [
        (Channel::Session(session), ErrorCode::Forbidden),
        (Channel::School, ErrorCode::Forbidden),
        (Channel::User(1), ErrorCode::Forbidden),
        (Channel::Session(987_654), ErrorCode::Forbidden),
    ];
    let mut session_refusals = Vec::new();
    for (channel, code) in expectations {
        other
            .send(&ClientMessage::Subscribe {
                channel,
                since: None,
            })
            .await;
        match other.next().await {
            ServerMessage::Error {
                code: got,
                message,
                channel: Some(c),
            } => {
                assert_eq!((got, c), (code, channel));
                assert!(message.len() > 10, "{message}");
                if let Channel::Session(_) = channel {
                    session_refusals.push(message);
                }
            }
            unexpected => panic!("{unexpected:?}"),
        }
    }
    // Someone else's session and one that does not exist get the same answer: refusals do not
    // reveal which sessions exist or what their classes are called.
    assert_eq!(session_refusals[0], session_refusals[1]);
    assert!(
        !session_refusals[0].contains("Biology"),
        "{session_refusals:?}"
    );
    // Still connected: its own user channel works.
    let (_, recovered, _) = other
        .subscribe(Channel::User(app.user_id("okafor").await), None)
        .await;
    assert!(recovered);
    // Admins may follow any session and the school; students only themselves.
    let mut admin = app.ws(&app.token("admin", "admin-demo").await).await;
    admin.subscribe(Channel::Session(session), None).await;
    admin.subscribe(Channel::School, None).await;
    let mut student = app.ws(&app.token("student1", "student-demo").await).await;
    student
        .send(&ClientMessage::Subscribe {
            channel: Channel::Session(session),
            since: None,
        })
        .await;
    assert!(matches!(
        student.next().await,
        ServerMessage::Error {
            code: ErrorCode::Forbidden,
            ..
        }
    ));
}

#[tokio::test]
async fn resume_replays_exactly_what_was_missed_then_streams_live() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    let token = app.token("rivera", "teacher-demo").await;
    let channel = Channel::Session(session);

    let mut ws = app.ws(&token).await;
    ws.subscribe(channel, Some(teacher.position(session).await))
        .await;
    app.student(1)
        .await
        .ok("check_in", json!({ "code": code }))
        .await;
    let seen = ws.event().await;
    let resume_from = StreamPosition {
        epoch: teacher.position(session).await.epoch,
        seq: seen.seq,
    };
    drop(ws); // the Wi-Fi drops

    for n in 2..=4 {
        app.student(n)
            .await
            .ok("check_in", json!({ "code": code }))
            .await;
    }
    let mut ws = app.ws(&token).await;
    let (_, recovered, replayed) = ws.subscribe(channel, Some(resume_from.clone())).await;
    assert!(recovered);
    assert_eq!(replayed, 3);
    let mut names = Vec::new();
    let mut seqs = Vec::new();
    for _ in 0..3 {
        let event = ws.event().await;
        seqs.push(event.seq);
        if let EventBody::AttendanceChanged { student_name, .. } = event.body {
            names.push(student_name);
        }
    }
    assert_eq!(
        seqs,
        [
            resume_from.seq + 1,
            resume_from.seq + 2,
            resume_from.seq + 3
        ]
    );
    assert_eq!(names, ["Ben Brown", "Chloe Chen", "Daniel Diaz"]);

    // Live continues right after the replay, with no duplicate at the seam.
    app.student(5)
        .await
        .ok("check_in", json!({ "code": code }))
        .await;
    let live = ws.event().await;
    assert_eq!(live.seq, resume_from.seq + 4);
    // And nothing else is pending.
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(300), ws.stream.next()).await;
    assert!(quiet.is_err(), "unexpected extra frame: {quiet:?}");
}

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

#[tokio::test]
async fn polling_returns_the_same_events_and_long_polls() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    let start = teacher.position(session).await;
    let token = app.token("rivera", "teacher-demo").await;
    let http = reqwest::Client::new();
    let poll = |since: i64, wait: u64| {
        http.get(format!(
            "{}/api/updates?channel=session:{session}&since={since}&epoch={}&wait={wait}",
            app.base, start.epoch
        ))
        .bearer_auth(&token)
        .send()
    };

    app.student(1)
        .await
        .ok("check_in", json!({ "code": code }))
        .await;
    let answer: serde_json::Value = poll(start.seq, 0).await.unwrap().json().await.unwrap();
    assert_eq!(answer["recovered"], true);
    assert_eq!(answer["events"].as_array().unwrap().len(), 1);
    assert_eq!(answer["events"][0]["seq"], start.seq + 1);
    assert_eq!(answer["events"][0]["body"]["student_name"], "Ava Adams");

    // Long-poll: the request waits until the next check-in lands.
    let waiting = tokio::spawn(poll(start.seq + 1, 10));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!waiting.is_finished());
    app.student(2)
        .await
        .ok("check_in", json!({ "code": code }))
        .await;
    let answer: serde_json::Value = waiting.await.unwrap().unwrap().json().await.unwrap();
    assert_eq!(answer["events"][0]["body"]["student_name"], "Ben Brown");

    // Same authorization as the socket.
    let anonymous = reqwest::Client::new()
        .get(format!(
            "{}/api/updates?channel=session:{session}",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let other = app.token("okafor", "teacher-demo").await;
    let foreign = reqwest::Client::new()
        .get(format!(
            "{}/api/updates?channel=session:{session}",
            app.base
        ))
        .bearer_auth(other)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let missing = reqwest::Client::new()
        .get(format!("{}/api/updates?channel=session:987654", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    let bad = reqwest::Client::new()
        .get(format!("{}/api/updates?channel=bogus", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn shutting_down_tells_clients_the_server_is_restarting() {
    let app = spawn_app().await;
    let mut ws = app.ws(&app.token("admin", "admin-demo").await).await;
    ws.subscribe(Channel::School, None).await;
    let TestApp { server, _dir, .. } = app;
    let stopping = tokio::spawn(server.shutdown());
    assert_eq!(ws.closed_with().await, close_code::SERVER_RESTARTING);
    stopping.await.unwrap();
}
