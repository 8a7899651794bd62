//! Timetables and sessions that run themselves: scheduled sessions open for check-in before
//! their start, count lateness from the scheduled start, close by themselves (also after a
//! restart), follow the school's clock across daylight saving, and skip holidays.

use crate::helpers::*;
use reqwest::StatusCode;
use rollcall::domain::zone::SchoolZone;
use rollcall::protocol::{Channel, EventBody};
use rollcall::server::now_ms;
use serde_json::{json, Value};
use std::time::Duration;

pub fn berlin_fast_scheduler(config: &mut rollcall::server::config::Config) {
    config.time_zone = SchoolZone::parse("Europe/Berlin").unwrap();
    config.scheduler_interval_ms = 100;
}

/// The class's sessions (upcoming then past) as the teacher's page lists them.
pub async fn listed_sessions(client: &Client, class_id: i64) -> Vec<Value> {
    let view = client
        .ok("class_sessions", json!({ "class_id": class_id }))
        .await;
    let mut all = view["upcoming"].as_array().unwrap().clone();
    all.extend(view["past"].as_array().unwrap().iter().cloned());
    all
}

fn status_of(dashboard: &Value, username: &str) -> (String, String) {
    let mark = &roster_entry(dashboard, username)["mark"];
    (
        mark["status"].as_str().unwrap_or("-").to_string(),
        mark["source"].as_str().unwrap_or("-").to_string(),
    )
}

#[tokio::test]
async fn a_scheduled_session_opens_counts_lateness_from_its_start_and_closes_by_itself() {
    let app = spawn_app_with(|c| {
        berlin_fast_scheduler(c);
        c.check_in_opens_minutes = 1;
    })
    .await;
    let teacher = app.teacher().await;
    let class_id = teacher.class_id("Biology 9A").await;
    let (meeting, start, end) =
        meeting_soon(&app, Duration::from_secs(3), Duration::from_secs(6), 0).await;
    teacher
        .ok(
            "add_meeting",
            json!({ "class_id": class_id, "meeting": meeting }),
        )
        .await;
    let session = listed_sessions(&teacher, class_id)
        .await
        .into_iter()
        .find(|s| s["starts_at_ms"] == start)
        .expect("the meeting scheduled a session");
    assert_eq!(session["scheduled"], true);
    assert_eq!(session["ends_at_ms"], end);
    let id = session["id"].as_i64().unwrap();

    // It opens a minute before its start, which is now.
    let open = wait_for_dashboard(&teacher, id, Duration::from_secs(5), "opening", |d| {
        d["session"]["phase"] == "open"
    })
    .await;
    let code = open["session"]["join_code"].as_str().unwrap().to_string();
    assert!(now_ms() < start, "the test was too slow to check in early");
    app.student(1)
        .await
        .ok("check_in", json!({ "code": code }))
        .await;
    // Late after 0 minutes, counted from the scheduled start, not from when it opened.
    tokio::time::sleep(Duration::from_millis((start - now_ms() + 300).max(0) as u64)).await;
    app.student(2)
        .await
        .ok("check_in", json!({ "code": code }))
        .await;

    let closed = wait_for_dashboard(&teacher, id, Duration::from_secs(10), "closing", |d| {
        d["session"]["phase"] == "closed"
    })
    .await;
    assert!(now_ms() >= end, "closed before its end");
    assert_eq!(
        status_of(&closed, "student1"),
        ("present".into(), "self_check_in".into())
    );
    assert_eq!(
        status_of(&closed, "student2"),
        ("late".into(), "self_check_in".into())
    );
    assert_eq!(
        status_of(&closed, "student3"),
        ("absent".into(), "automatic".into())
    );
    assert!(closed["session"]["join_code"].is_string());

    let log = app.events(Channel::Session(id)).await;
    let opened = log
        .iter()
        .filter(|e| matches!(e.body, EventBody::SessionOpened { .. }))
        .count();
    let closes: Vec<_> = log
        .iter()
        .filter_map(|e| match e.body {
            EventBody::SessionClosed { by_user_id, .. } => Some(by_user_id),
            _ => None,
        })
        .collect();
    assert_eq!(opened, 1);
    assert_eq!(closes, [None], "closed once, by nobody");

    // The next open by hand is a new session, never the closed one again.
    let (again, _) = teacher.open_session("Biology 9A", 10).await;
    assert_ne!(again, id);
}

#[tokio::test]
async fn the_timetable_keeps_the_school_clock_across_daylight_saving_and_skips_holidays() {
    let app = spawn_app_with(berlin_fast_scheduler).await;
    let teacher = app.teacher().await;
    let class_id = teacher.class_id("Biology 9A").await;
    let meeting = json!({
        "weekdays": ["monday"], "starts_at": "09:00", "ends_at": "09:45",
        "first_day": "2030-03-18", "last_day": "2030-04-08", "late_after_minutes": 5,
    });
    let stored = teacher
        .ok(
            "add_meeting",
            json!({ "class_id": class_id, "meeting": meeting }),
        )
        .await;
    assert_eq!(stored["starts_at"], "09:00");
    let starts = |sessions: Vec<Value>| -> Vec<i64> {
        sessions
            .iter()
            .map(|s| s["starts_at_ms"].as_i64().unwrap())
            .collect()
    };
    // Berlin moves to summer time on Sunday 2030-03-31: 09:00 is 08:00Z before, 07:00Z after.
    let all = [
        1_900_051_200_000,
        1_900_656_000_000,
        1_901_257_200_000,
        1_901_862_000_000,
    ];
    assert_eq!(starts(listed_sessions(&teacher, class_id).await), all);

    // A holiday removes the sessions on it; taking it back restores them.
    let admin = app.login("admin", "admin-demo").await;
    let holiday =
        json!({ "name": "Staff day", "first_day": "2030-03-25", "last_day": "2030-03-25" });
    let (status, _) = teacher
        .call("add_holiday", json!({ "holiday": holiday }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "holidays are the school's");
    let added = admin.ok("add_holiday", json!({ "holiday": holiday })).await;
    let without = [all[0], all[2], all[3]];
    assert_eq!(starts(listed_sessions(&teacher, class_id).await), without);
    let timetable = teacher
        .ok("class_timetable", json!({ "class_id": class_id }))
        .await;
    assert_eq!(timetable["time_zone"], "Europe/Berlin");
    assert_eq!(timetable["holidays"][0]["name"], "Staff day");
    admin
        .ok("remove_holiday", json!({ "holiday_id": added["id"] }))
        .await;
    assert_eq!(starts(listed_sessions(&teacher, class_id).await), all);

    // Removing the meeting removes its upcoming sessions.
    teacher
        .ok("remove_meeting", json!({ "meeting_id": stored["id"] }))
        .await;
    assert!(listed_sessions(&teacher, class_id).await.is_empty());
}

#[tokio::test]
async fn bad_timetables_are_refused_with_a_sentence_and_other_classes_are_off_limits() {
    let app = spawn_app_with(berlin_fast_scheduler).await;
    let teacher = app.teacher().await;
    let class_id = teacher.class_id("Biology 9A").await;
    let good = json!({
        "weekdays": ["tuesday"], "starts_at": "10:00", "ends_at": "10:50",
        "first_day": "2030-01-07", "last_day": "2030-03-29", "late_after_minutes": 5,
    });
    let cases = [
        ("weekdays", json!([]), "weekday"),
        ("ends_at", json!("09:00"), "after the start"),
        ("starts_at", json!("ten"), "08:45"),
        ("last_day", json!("2029-01-01"), "before the first"),
        ("first_day", json!("2030-02-30"), "first day"),
    ];
    for (field, value, expected) in cases {
        let mut meeting = good.clone();
        meeting[field] = value;
        let (status, body) = teacher
            .call(
                "add_meeting",
                json!({ "class_id": class_id, "meeting": meeting }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {body}");
        assert!(body.to_string().contains(expected), "{field}: {body}");
    }
    let before = Fingerprint::read(&database(&app.server.state.config.database_url).await).await;
    let okafor = app.login("okafor", "teacher-demo").await;
    let (status, _) = okafor
        .call("class_timetable", json!({ "class_id": class_id }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = okafor
        .call(
            "add_meeting",
            json!({ "class_id": class_id, "meeting": good }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = okafor
        .call("class_sessions", json!({ "class_id": class_id }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let stored = teacher
        .ok(
            "add_meeting",
            json!({ "class_id": class_id, "meeting": good }),
        )
        .await;
    let (status, _) = okafor
        .call("remove_meeting", json!({ "meeting_id": stored["id"] }))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "someone else's meeting is not there"
    );
    let after = Fingerprint::read(&database(&app.server.state.config.database_url).await).await;
    assert_eq!(
        before.rows.len() + 1 + 12,
        after.rows.len(),
        "one meeting, 12 Tuesdays"
    );
}

#[tokio::test]
async fn sessions_whose_end_passed_while_the_server_was_down_are_closed_when_it_comes_back() {
    let app = spawn_app_with(berlin_fast_scheduler).await;
    let teacher = app.teacher().await;
    let (open, code) = teacher.open_session("Biology 9A", 10).await;
    app.student(1)
        .await
        .ok("check_in", json!({ "code": code }))
        .await;
    // A scheduled session of another class, far ahead.
    let chemistry = teacher.class_id("Chemistry 10B").await;
    let meeting = json!({
        "weekdays": ["monday"], "starts_at": "09:00", "ends_at": "09:45",
        "first_day": "2030-03-18", "last_day": "2030-03-18", "late_after_minutes": 5,
    });
    teacher
        .ok(
            "add_meeting",
            json!({ "class_id": chemistry, "meeting": meeting }),
        )
        .await;
    let upcoming = listed_sessions(&teacher, chemistry).await[0]["id"]
        .as_i64()
        .unwrap();

    // Stop the server; while it is down, both sessions' ends pass.
    let TestApp { server, _dir, .. } = app;
    let config = (*server.state.config).clone();
    server.shutdown().await;
    let db = database(&config.database_url).await;
    let past = now_ms() - 60_000;
    sqlx::query("UPDATE class_sessions SET starts_at_ms = $1, ends_at_ms = $2 WHERE id = $3")
        .bind(past - 3_600_000)
        .bind(past)
        .bind(upcoming)
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("UPDATE class_sessions SET ends_at_ms = $1 WHERE id = $2")
        .bind(past)
        .bind(open)
        .execute(&db)
        .await
        .unwrap();
    db.close().await;

    let app = spawn_on(config, _dir).await;
    let teacher = app.teacher().await;
    let closed = wait_for_dashboard(&teacher, open, Duration::from_secs(5), "closing", |d| {
        d["session"]["phase"] == "closed"
    })
    .await;
    assert_eq!(status_of(&closed, "student1").0, "present");
    assert_eq!(
        status_of(&closed, "student2"),
        ("absent".into(), "automatic".into())
    );
    // The one that never opened is closed as not held: nobody is marked absent for it.
    let never = wait_for_dashboard(&teacher, upcoming, Duration::from_secs(5), "closing", |d| {
        d["session"]["phase"] == "closed"
    })
    .await;
    assert!(never["roster"]
        .as_array()
        .unwrap()
        .iter()
        .all(|entry| entry["mark"].is_null()));
    let listed = listed_sessions(&teacher, chemistry).await;
    assert_eq!(listed[0]["held"], false);
}

#[tokio::test]
async fn a_session_left_open_from_an_earlier_day_is_closed_not_reused() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (yesterday, _) = teacher.open_session("Biology 9A", 10).await;
    // As if it had been opened yesterday with a very long automatic close.
    let db = database(&app.server.state.config.database_url).await;
    let day = 86_400_000;
    sqlx::query(
        "UPDATE class_sessions SET starts_at_ms = starts_at_ms - $1, ends_at_ms = $2 WHERE id = $3",
    )
    .bind(day)
    .bind(now_ms() + day)
    .bind(yesterday)
    .execute(&db)
    .await
    .unwrap();
    let (today, _) = teacher.open_session("Biology 9A", 10).await;
    assert_ne!(today, yesterday, "a new day gets a new session");
    let old = teacher.dashboard(yesterday).await;
    assert_eq!(old["session"]["phase"], "closed");
    assert_eq!(
        status_of(&old, "student1"),
        ("absent".into(), "automatic".into())
    );
    // Opening again today answers today's session.
    assert_eq!(teacher.open_session("Biology 9A", 10).await.0, today);
}
