//! Who hears what: staff devices never reach students, devices are erased after the retention
//! period, and refusals do not name other people's classes.

use crate::helpers::*;
use reqwest::StatusCode;
use rollcall::domain::AttendanceStatus;
use rollcall::protocol::{Channel, ClientMessage, Event, EventBody, ServerMessage};
use rollcall::server::store::Actor;
use serde_json::{json, Value};

fn device_and_marker(event: &Event) -> (Option<String>, Option<i64>) {
    match &event.body {
        EventBody::AttendanceChanged {
            device, by_user_id, ..
        } => (device.clone(), *by_user_id),
        other => panic!("expected attendance_changed, got {other:?}"),
    }
}

#[tokio::test]
async fn a_students_own_channel_never_carries_the_teachers_device() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (session, _) = teacher.open_session("Biology 9A", 10).await;
    let student_id = app.user_id("student1").await;
    let token = app.token("student1", "student-demo").await;
    let mut ws = app.ws(&token).await;
    let (start, _, _) = ws.subscribe(Channel::User(student_id), None).await;

    teacher
        .ok(
            "mark_attendance",
            json!({ "session_id": session, "student_id": student_id, "status": "excused" }),
        )
        .await;

    // The socket…
    let pushed = ws.event().await;
    assert_eq!(pushed.channel, Channel::User(student_id));
    assert_eq!(device_and_marker(&pushed), (None, None));
    // … the polling fallback …
    let polled: Value = reqwest::Client::new()
        .get(format!(
            "{}/api/updates?channel=user:{student_id}&since={}&epoch={}",
            app.base, start.seq, start.epoch
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let polled = &polled["events"][0]["body"];
    assert_eq!(polled["type"], "attendance_changed");
    assert_eq!(polled["status"], "excused");
    assert!(polled["device"].is_null(), "{polled}");
    assert!(polled["by_user_id"].is_null(), "{polled}");
    // … while the staff on the session and school channels see who did it and from where.
    let rivera = app.user_id("rivera").await;
    for channel in [Channel::Session(session), Channel::School] {
        let events = app.events(channel).await;
        let (device, by) = device_and_marker(events.last().unwrap());
        assert!(device.is_some_and(|d| d.contains("127.0.0.1")), "{channel}");
        assert_eq!(by, Some(rivera));
    }
}

#[tokio::test]
async fn devices_are_erased_after_the_retention_period() {
    let app = spawn_app().await;
    let (session, _) = app.teacher().await.open_session("Biology 9A", 10).await;
    let store = &app.server.state.store;
    let session = store.session(session).await.unwrap().unwrap();
    let student = app.user_id("student2").await;
    let actor = |device: &str| Actor {
        user_id: session.teacher_ids[0],
        device: Some(device.to_string()),
    };
    let day_ms = 86_400_000;
    let now = rollcall::server::now_ms();
    let long_ago = now - 100 * day_ms;
    store
        .mark(
            &session,
            student,
            AttendanceStatus::Excused,
            &actor("203.0.113.5 · Old browser"),
            long_ago,
        )
        .await
        .unwrap();
    store
        .mark(
            &session,
            student,
            AttendanceStatus::Present,
            &actor("198.51.100.7 · New browser"),
            now,
        )
        .await
        .unwrap();

    // The old event is on the session and school channels (the student's own has no device).
    let erased = store.erase_device_details(now - 90 * day_ms).await.unwrap();
    assert_eq!(erased, 2);
    for channel in [Channel::Session(session.id), Channel::School] {
        let events = app.events(channel).await;
        let devices: Vec<_> = events
            .iter()
            .filter(|e| matches!(e.body, EventBody::AttendanceChanged { .. }))
            .map(|e| (e.at_ms, device_and_marker(e)))
            .collect();
        assert_eq!(
            devices,
            [
                (long_ago, (None, Some(session.teacher_ids[0]))),
                (
                    now,
                    (
                        Some("198.51.100.7 · New browser".to_string()),
                        Some(session.teacher_ids[0])
                    )
                ),
            ],
            "{channel}"
        );
    }
    // Nothing left to erase: a second pass changes nothing.
    assert_eq!(
        store.erase_device_details(now - 90 * day_ms).await.unwrap(),
        0
    );
}

#[tokio::test]
async fn refusals_do_not_name_other_classes() {
    let app = spawn_app().await;
    // okafor's History 9C; student1 is in Biology 9A only.
    let (session, _) = app
        .login("okafor", "teacher-demo")
        .await
        .open_session("History 9C", 10)
        .await;
    let token = app.token("student1", "student-demo").await;
    let mut ws = app.ws(&token).await;
    let mut messages = Vec::new();
    for channel in [Channel::Session(session), Channel::Session(987_654)] {
        ws.send(&ClientMessage::Subscribe {
            channel,
            since: None,
        })
        .await;
        match ws.next().await {
            ServerMessage::Error { message, .. } => messages.push(message),
            other => panic!("expected a refusal, got {other:?}"),
        }
        let polled = reqwest::Client::new()
            .get(format!("{}/api/updates?channel={channel}", app.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(polled.status(), StatusCode::FORBIDDEN);
        let body: Value = polled.json().await.unwrap();
        messages.push(body["message"].as_str().unwrap().to_string());
    }
    for message in &messages {
        assert!(!message.contains("History"), "{message}");
        assert!(!message.contains("9C"), "{message}");
    }
    // An existing session and a made-up one are refused in the same words.
    assert!(messages.iter().all(|m| m == &messages[0]), "{messages:?}");
}
