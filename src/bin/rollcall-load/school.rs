//! `school`: the administrative side at a school's size, on the store directly (DATABASE_URL,
//! after `seed`): `--classes` classes, each meeting Monday to Friday for a `--days`-long term,
//! then one scheduler pass over every pending session, one class's session list, and the admin's
//! people list (first page, a search, a late page). Prints how long each took.

use crate::args::Args;
use rollcall::domain::timetable::{MeetingInput, MeetingRule, Weekday};
use rollcall::domain::zone::SchoolZone;
use rollcall::domain::JoinCode;
use rollcall::server::crypto::random_bytes;
use rollcall::server::now_ms;
use rollcall::server::store::{Store, UserFilter};
use serde_json::{json, Value};
use std::time::Instant;

pub async fn school(args: &Args) -> Value {
    let classes: usize = args.get("classes", 100);
    let days: i64 = args.get("days", 180);
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite:rollcall-load.db".into());
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let store = Store::open(&url, tx).await.expect("database");
    let zone = SchoolZone::parse("Europe/Berlin").unwrap();
    let now = now_ms();
    let first = zone.date_of(now);
    let last = first.checked_add(jiff_days(days)).unwrap_or(first);
    let mut ids = Vec::with_capacity(classes);
    for n in 0..classes {
        ids.push(
            store
                .create_class(&format!("School class {n}"), &[], &[])
                .await
                .expect("a fresh set of class names (drop the database to rerun)"),
        );
    }
    let started = Instant::now();
    for (n, class) in ids.iter().enumerate() {
        let hour = 8 + (n % 8) as i8;
        let rule = MeetingRule::parse(&MeetingInput {
            weekdays: Weekday::ALL[..5].to_vec(),
            starts_at: format!("{hour:02}:00"),
            ends_at: format!("{hour:02}:45"),
            first_day: first.to_string(),
            last_day: last.to_string(),
            late_after_minutes: 5,
        })
        .unwrap();
        store.add_meeting(*class, &rule, &zone, now).await.unwrap();
    }
    let schedule_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (upcoming, _) = store
        .class_sessions(ids[0], 1_000_000, 0, i64::MAX)
        .await
        .unwrap();
    let sessions = upcoming.len() * classes;

    // A pass with nothing due (the usual case), then one an hour into the school day.
    let started = Instant::now();
    store
        .run_due_transitions(now, 0, || JoinCode::from_random(random_bytes()))
        .await
        .unwrap();
    let idle_pass_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    let list = store
        .class_sessions(ids[0], 10, 30, i64::MAX)
        .await
        .unwrap();
    let list_ms = started.elapsed().as_secs_f64() * 1000.0;
    assert!(!list.0.is_empty());

    // The admin's people page at the school's size (after `seed`: 10,000 students): the first
    // page of everyone, a search by part of a name, and a page far down the list.
    let mut people = Vec::new();
    for (label, query, offset) in [
        ("first_page", "", 0),
        ("search", "stud", 0),
        ("page_150", "", 7_500),
    ] {
        let filter = UserFilter {
            query: query.into(),
            role: None,
            include_inactive: true,
        };
        let started = Instant::now();
        let (rows, total) = store.list_users(&filter, offset, 50).await.unwrap();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        people.push(json!({ "list": label, "total": total, "rows": rows.len(), "ms": (ms * 10.0).round() / 10.0 }));
    }
    json!({
        "scenario": "school",
        "classes": classes,
        "scheduled_sessions": sessions,
        "schedule_all_ms": schedule_ms.round(),
        "schedule_per_class_ms": (schedule_ms / classes as f64 * 10.0).round() / 10.0,
        "scheduler_idle_pass_ms": (idle_pass_ms * 10.0).round() / 10.0,
        "class_sessions_ms": (list_ms * 10.0).round() / 10.0,
        "list_users": people,
    })
}

fn jiff_days(days: i64) -> jiff::Span {
    jiff::Span::new().days(days)
}
