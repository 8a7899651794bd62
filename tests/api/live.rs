//! The live channel over real sockets: subscribe, authorization, resume, slow consumers,
//! frame limits, heartbeats, polling and restart.

use crate::helpers::*;
use futures::StreamExt;
use reqwest::StatusCode;
use rollcall::protocol::{
    close_code, Channel, ClientMessage, ErrorCode, EventBody, ServerMessage, StreamPosition,
};
use serde_json::json;

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
