//! Notifications as people meet them: the inbox (live, caught up, read), Web Push through a
//! push service started here that checks VAPID and decrypts, preferences, quiet hours and
//! batching (absence warnings: `absence_warnings.rs`).

use crate::helpers::*;
use reqwest::StatusCode;
use rollcall::protocol::{Channel, EventBody, ServerMessage};
use serde_json::{json, Value};
use std::time::Duration;

/// A server that may push to the test push service (plain http on this machine), runs its
/// jobs every 100 ms and gathers bursts for one second.
pub async fn notifying_app(smtp: Option<&SmtpServer>) -> TestApp {
    let smtp = smtp.map(|server| server.url.clone());
    spawn_app_with(move |config| {
        config.notify.push_hosts = vec!["127.0.0.1".into()];
        config.notify.push_allow_http = true;
        config.notify.job_poll_ms = 100;
        config.notify.batch_window_ms = Some(1000);
        config.notify.smtp_url = smtp;
        config.notify.smtp_from = "Rollcall <rollcall@school.test>".into();
    })
    .await
}

/// The push service, expecting this server's VAPID key.
pub async fn push_service_for(app: &TestApp) -> PushService {
    let service = PushService::start().await;
    service.expect_key(&app.server.state.senders.vapid.public_key);
    service
}

pub async fn subscribe(client: &Client, service: &PushService) -> (TestSubscription, Value) {
    let subscription = service.subscribe();
    let device = client
        .ok(
            "save_push_subscription",
            json!({ "endpoint": subscription.endpoint, "p256dh": subscription.p256dh,
                    "auth": subscription.auth }),
        )
        .await;
    (subscription, device)
}

/// Waits up to `seconds` for the caller's inbox to hold `count` notifications.
pub async fn inbox_with(client: &Client, count: usize, seconds: u64) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        let inbox = client.ok("inbox", json!({})).await;
        if inbox["notices"].as_array().unwrap().len() >= count
            || std::time::Instant::now() > deadline
        {
            return inbox;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A check-in held for review: two students on one phone with one-student-per-device on.
async fn held_check_in(app: &TestApp, teacher: &Client) -> i64 {
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    teacher
        .ok(
            "set_session_check_in_rules",
            json!({ "session_id": session, "rules": { "one_student_per_device": true } }),
        )
        .await;
    let phone = app.anonymous();
    for n in [1, 2] {
        phone
            .ok(
                "login",
                json!({ "username": format!("student{n}"), "password": "student-demo" }),
            )
            .await;
        phone.ok("check_in", json!({ "code": code })).await;
        phone.ok("logout", json!({})).await;
    }
    session
}

#[tokio::test]
async fn a_held_check_in_reaches_the_teacher_live_in_the_inbox_and_by_push() {
    let app = notifying_app(None).await;
    let service = push_service_for(&app).await;
    let teacher = app.teacher().await;
    let (_, device) = subscribe(&teacher, &service).await;
    assert!(device["id"].as_i64().is_some());
    let rivera = app.user_id("rivera").await;
    let token = app.token("rivera", "teacher-demo").await;
    let mut ws = app.ws(&token).await;
    ws.subscribe(Channel::User(rivera), None).await;

    let session = held_check_in(&app, &teacher).await;

    // Live, on the teacher's own channel.
    let notice = loop {
        if let ServerMessage::Event(event) = ws.next().await {
            if let EventBody::Notified { notice, .. } = event.body {
                break notice;
            }
        }
    };
    assert!(
        notice
            .title
            .ends_with("'s check-in to Biology 9A waits for your review"),
        "{}",
        notice.title
    );
    assert_eq!(notice.url, format!("/teacher/sessions/{session}"));
    // In the inbox, unread.
    let inbox = teacher.ok("inbox", json!({})).await;
    assert_eq!(inbox["unread"], 1);
    assert_eq!(inbox["notices"][0]["id"], notice.id);
    // Pushed: signed, encrypted, with the kind's TTL, urgency and topic, and its actions.
    let pushes = service.wait_for(1, 5).await;
    assert_eq!(pushes.len(), 1, "refused: {:?}", service.refused());
    let push = &pushes[0];
    assert_eq!(push.payload["id"], notice.id);
    assert_eq!(push.payload["title"], notice.title.as_str());
    assert_eq!(push.ttl, 2 * 3600);
    assert_eq!(push.urgency.as_deref(), Some("high"));
    assert_eq!(
        push.topic.as_deref(),
        Some(format!("held-{session}").as_str())
    );
    assert_eq!(push.payload["actions"][0]["title"], "Review");
    assert_eq!(
        push.payload["actions"][0]["url"],
        format!("/teacher/sessions/{session}#review")
    );
    // The student on their own channel is not told of the teacher's notification.
    let inbox2 = app.student(2).await.ok("inbox", json!({})).await;
    assert!(inbox2["notices"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["kind"] != "check_in_held"));
}

#[tokio::test]
async fn reading_one_or_all_is_told_to_the_persons_other_devices() {
    let app = notifying_app(None).await;
    let teacher = app.teacher().await;
    held_check_in(&app, &teacher).await;
    held_check_in(&app, &teacher).await;
    let inbox = inbox_with(&teacher, 2, 5).await;
    assert_eq!(inbox["unread"], 2, "{inbox}");
    let newest = inbox["notices"][0]["id"].as_i64().unwrap();
    let oldest = inbox["notices"][1]["id"].as_i64().unwrap();

    let unread = teacher
        .ok("mark_notifications_read", json!({ "id": oldest }))
        .await;
    assert_eq!(unread, 1);
    // Someone else cannot read (or learn about) the teacher's notifications.
    let other = app.login("okafor", "teacher-demo").await;
    assert_eq!(
        other
            .ok("mark_notifications_read", json!({ "through": newest }))
            .await,
        0
    );
    assert_eq!(teacher.ok("inbox", json!({})).await["unread"], 1);
    assert!(other.ok("inbox", json!({})).await["notices"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        teacher
            .ok("mark_notifications_read", json!({ "through": newest }))
            .await,
        0
    );
    let (status, body) = teacher
        .call("mark_notifications_read", json!({ "id": 1, "through": 2 }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // The channel carries both reads, in order, for the person's other devices.
    let rivera = app.user_id("rivera").await;
    let reads: Vec<_> = app
        .events(Channel::User(rivera))
        .await
        .into_iter()
        .filter_map(|event| match event.body {
            EventBody::NotificationsRead { read, .. } => Some(read),
            _ => None,
        })
        .collect();
    assert_eq!(reads.len(), 2);

    // Past the retention period they are forgotten, with the finished jobs behind them.
    let store = &app.server.state.store;
    let later = rollcall::server::now_ms() + 1;
    assert_eq!(store.forget_notices(later).await.unwrap(), 2);
    store.forget_finished_jobs(later).await.unwrap();
    assert!(teacher.ok("inbox", json!({})).await["notices"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(teacher.ok("unread_notifications", json!({})).await, 0);
}

#[tokio::test]
async fn a_device_the_push_service_calls_gone_is_forgotten_and_429_is_retried() {
    let app = notifying_app(None).await;
    let service = push_service_for(&app).await;
    let teacher = app.teacher().await;
    let (gone, _) = subscribe(&teacher, &service).await;
    let (kept, _) = subscribe(&teacher, &service).await;
    service.expire(&gone.id);
    service.throttle(1);
    held_check_in(&app, &teacher).await;
    // The throttled push comes again after its backoff (5 s, longer than Retry-After: 1).
    let pushes = service.wait_for(1, 15).await;
    assert_eq!(pushes.len(), 1, "refused: {:?}", service.refused());
    assert_eq!(pushes[0].subscription, kept.id);
    let settings = teacher.ok("notification_settings", json!({})).await;
    let devices = settings["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1, "{settings}");
    assert_eq!(devices[0]["endpoint"], kept.endpoint.as_str());
}

#[tokio::test]
async fn subscriptions_to_unknown_push_services_or_with_bad_keys_are_refused() {
    let app = notifying_app(None).await;
    let service = push_service_for(&app).await;
    let teacher = app.teacher().await;
    let good = service.subscribe();
    for (endpoint, p256dh, auth) in [
        (
            "https://169.254.169.254/latest/meta-data",
            good.p256dh.as_str(),
            good.auth.as_str(),
        ),
        (
            "ftp://127.0.0.1/push",
            good.p256dh.as_str(),
            good.auth.as_str(),
        ),
        (good.endpoint.as_str(), "BAAA", good.auth.as_str()),
        (good.endpoint.as_str(), good.p256dh.as_str(), "c2hvcnQ"),
    ] {
        let (status, body) = teacher
            .call(
                "save_push_subscription",
                json!({ "endpoint": endpoint, "p256dh": p256dh, "auth": auth }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{endpoint}: {body}");
        assert!(body["message"].as_str().unwrap().len() > 10, "{body}");
    }
    // A shared browser signed in as someone else moves to them.
    teacher
        .ok(
            "save_push_subscription",
            json!({ "endpoint": good.endpoint, "p256dh": good.p256dh, "auth": good.auth }),
        )
        .await;
    let other = app.login("okafor", "teacher-demo").await;
    other
        .ok(
            "save_push_subscription",
            json!({ "endpoint": good.endpoint, "p256dh": good.p256dh, "auth": good.auth }),
        )
        .await;
    let mine = teacher.ok("notification_settings", json!({})).await;
    assert!(mine["devices"].as_array().unwrap().is_empty());
    let id = other.ok("notification_settings", json!({})).await["devices"][0]["id"].clone();
    let (status, _) = teacher
        .call("remove_push_subscription", json!({ "id": id }))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    other
        .ok(
            "remove_push_subscription",
            json!({ "endpoint": good.endpoint }),
        )
        .await;
}

#[tokio::test]
async fn choices_quiet_hours_and_batches_decide_what_is_sent() {
    let app = notifying_app(None).await;
    let service = push_service_for(&app).await;
    let teacher = app.teacher().await;
    subscribe(&teacher, &service).await;
    // Check-ins pushed too; held check-ins not at all.
    let settings = teacher.ok("notification_settings", json!({})).await;
    let kinds: Vec<Value> = settings["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kind| match kind["kind"].as_str().unwrap() {
            "check_ins" => {
                json!({ "kind": "check_ins", "label": "", "in_app": true, "push": true })
            }
            "check_in_held" => {
                json!({ "kind": "check_in_held", "label": "", "in_app": false, "push": false })
            }
            _ => kind.clone(),
        })
        .collect();
    assert!(kinds.iter().all(|kind| kind["kind"] != "marked_by_teacher"));
    teacher
        .ok(
            "save_notification_settings",
            json!({ "kinds": kinds, "quiet_hours": "" }),
        )
        .await;
    let (status, body) = teacher
        .call(
            "save_notification_settings",
            json!({ "kinds": [], "quiet_hours": "late" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Five check-ins within the window: one notification, one push.
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    for n in 1..=5 {
        app.student(n)
            .await
            .ok("check_in", json!({ "code": code }))
            .await;
    }
    let inbox = inbox_with(&teacher, 1, 5).await;
    assert_eq!(inbox["notices"].as_array().unwrap().len(), 1, "{inbox}");
    assert_eq!(
        inbox["notices"][0]["title"],
        "5 students checked in to Biology 9A"
    );
    assert!(inbox["notices"][0]["body"].as_str().unwrap().contains(", "));
    let pushes = service.wait_for(1, 5).await;
    assert_eq!(pushes.len(), 1, "refused: {:?}", service.refused());
    assert_eq!(
        pushes[0].topic.as_deref(),
        Some(format!("ci-{session}").as_str())
    );
    assert_eq!(pushes[0].urgency.as_deref(), Some("low"));

    // Held check-ins are off: nothing more.
    held_check_in(&app, &teacher).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        teacher.ok("inbox", json!({})).await["notices"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Quiet hours all day long (from one minute past now to now): in the inbox at once, the
    // push held for later.
    let minute = (rollcall::server::now_ms() / 60_000 % 1440) as u32;
    let at = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
    let quiet = format!(
        "{}-{}",
        at((minute + 1440 - 1) % 1440),
        at((minute + 2) % 1440)
    );
    teacher
        .ok(
            "save_notification_settings",
            json!({ "kinds": [], "quiet_hours": quiet }),
        )
        .await;
    assert_eq!(
        teacher.ok("notification_settings", json!({})).await["quiet_hours"],
        quiet
    );
    let (_, code) = teacher.open_session("Chemistry 10B", 10).await;
    app.student(15)
        .await
        .ok("check_in", json!({ "code": code }))
        .await;
    let inbox = inbox_with(&teacher, 2, 5).await;
    assert_eq!(inbox["notices"].as_array().unwrap().len(), 2, "{inbox}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(service.received().len(), 1, "held by quiet hours");
}

#[tokio::test]
async fn a_student_marked_absent_is_told_with_an_excuse_action() {
    let app = notifying_app(None).await;
    let service = push_service_for(&app).await;
    let teacher = app.teacher().await;
    let student = app.student(3).await;
    subscribe(&student, &service).await;
    let (session, _) = teacher.open_session("Biology 9A", 10).await;
    let student3 = app.user_id("student3").await;
    teacher
        .ok(
            "mark_attendance",
            json!({ "session_id": session, "student_id": student3, "status": "absent" }),
        )
        .await;
    let inbox = inbox_with(&student, 1, 5).await;
    assert_eq!(
        inbox["notices"][0]["title"],
        "You were marked absent in Biology 9A"
    );
    let pushes = service.wait_for(1, 5).await;
    assert_eq!(pushes.len(), 1, "refused: {:?}", service.refused());
    assert_eq!(pushes[0].payload["actions"][0]["title"], "Send an excuse");
}
