//! Who may follow what: every kind of live channel against every kind of caller, over the
//! WebSocket and over polling, which must agree.

use crate::helpers::*;
use reqwest::StatusCode;
use rollcall::protocol::{Channel, ClientMessage, ServerMessage};

/// Whether a subscribe on this socket is answered `subscribed` (true) or refused (false).
async fn may_subscribe(ws: &mut Ws, channel: Channel) -> bool {
    ws.send(&ClientMessage::Subscribe {
        channel,
        since: None,
    })
    .await;
    match ws.next().await {
        ServerMessage::Subscribed { channel: c, .. } if c == channel => true,
        ServerMessage::Error {
            channel: Some(c),
            message,
            ..
        } if c == channel => {
            assert!(message.len() > 10, "unreadable refusal: {message}");
            false
        }
        other => panic!("unexpected answer to subscribe {channel}: {other:?}"),
    }
}

#[tokio::test]
async fn every_channel_checks_role_and_ownership_on_both_transports() {
    let app = spawn_app().await;
    let (session, _) = app.teacher().await.open_session("Biology 9A", 10).await;
    let student1 = app.user_id("student1").await;

    // Anonymous: no socket at all, and polling is 401 for every channel.
    match tokio_tungstenite::connect_async(app.ws_request(None)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401)
        }
        other => panic!("expected 401, got {:?}", other.map(|_| ())),
    }
    for channel in [
        Channel::Session(session),
        Channel::School,
        Channel::User(student1),
    ] {
        let status = reqwest::Client::new()
            .get(format!("{}/api/updates?channel={channel}", app.base))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "anonymous poll of {channel}"
        );
    }

    // (caller, password, may follow: [session, school, student1's channel, own channel])
    let callers = [
        ("student1", "student-demo", [false, false, true, true]),
        ("student2", "student-demo", [false, false, false, true]),
        ("rivera", "teacher-demo", [true, false, false, true]),
        ("okafor", "teacher-demo", [false, false, false, true]),
        ("admin", "admin-demo", [true, true, false, true]),
    ];
    let mut failures = Vec::new();
    for (username, password, expected) in callers {
        let token = app.token(username, password).await;
        let own = Channel::User(app.user_id(username).await);
        let channels = [
            Channel::Session(session),
            Channel::School,
            Channel::User(student1),
            own,
        ];
        let mut ws = app.ws(&token).await;
        for (channel, want) in channels.into_iter().zip(expected) {
            let by_socket = may_subscribe(&mut ws, channel).await;
            let poll = poll_status(&app, &token, channel).await;
            let by_poll = poll == StatusCode::OK;
            if !by_poll && poll != StatusCode::FORBIDDEN {
                failures.push(format!("{username} polling {channel}: {poll}"));
            }
            if (by_socket, by_poll) != (want, want) {
                failures.push(format!(
                    "{username} on {channel}: socket {by_socket}, polling {by_poll}, want {want}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
