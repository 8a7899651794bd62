//! Timetables in tests: a meeting a few seconds from now, on the school's clock.

use super::TestApp;
use rollcall::server::now_ms;
use serde_json::{json, Value};
use std::time::Duration;

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// (`YYYY-MM-DD`, `HH:MM:SS`, weekday) of a moment in the app's time zone.
pub fn local_parts(app: &TestApp, at_ms: i64) -> (String, String, &'static str) {
    let zone = &app.server.state.config.time_zone;
    let local_ms = at_ms + i64::from(zone.offset_minutes_at(at_ms)) * 60_000;
    let days = local_ms.div_euclid(86_400_000);
    let seconds = local_ms.rem_euclid(86_400_000) / 1000;
    let time = format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS[(days + 3).rem_euclid(7) as usize];
    (zone.date_label(at_ms), time, weekday)
}

/// A one-day meeting from `start_in` to `end_in` from now (waits past local midnight first if
/// the meeting would straddle it), and when it starts and ends in unix milliseconds.
pub async fn meeting_soon(
    app: &TestApp,
    start_in: Duration,
    end_in: Duration,
    late_after_minutes: u32,
) -> (Value, i64, i64) {
    loop {
        // Whole seconds: the timetable's resolution.
        let now = now_ms() / 1000 * 1000 + 1000;
        let start = now + start_in.as_millis() as i64;
        let end = now + end_in.as_millis() as i64;
        let (day, starts_at, weekday) = local_parts(app, start);
        let (end_day, ends_at, _) = local_parts(app, end);
        if day == end_day && starts_at < ends_at {
            let meeting = json!({
                "weekdays": [weekday],
                "starts_at": starts_at,
                "ends_at": ends_at,
                "first_day": day,
                "last_day": day,
                "late_after_minutes": late_after_minutes,
            });
            return (meeting, start, end);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Polls until `done` holds for the session's dashboard, or panics after `within`.
pub async fn wait_for_dashboard(
    client: &super::Client,
    session_id: i64,
    within: Duration,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let dashboard = client.dashboard(session_id).await;
        if done(&dashboard) {
            return dashboard;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {dashboard}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
