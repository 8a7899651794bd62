use super::*;
use crate::domain::zone::SchoolZone;
use jiff::civil::date;

fn input(days: &[Weekday], from: &str, to: &str, first: &str, last: &str) -> MeetingInput {
    MeetingInput {
        weekdays: days.to_vec(),
        starts_at: from.into(),
        ends_at: to.into(),
        first_day: first.into(),
        last_day: last.into(),
        late_after_minutes: 5,
    }
}

fn berlin() -> SchoolZone {
    SchoolZone::parse("Europe/Berlin").unwrap()
}

fn utc_label(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).unwrap().to_string()
}

#[test]
fn weekday_bits_round_trip() {
    let days = [Weekday::Monday, Weekday::Wednesday, Weekday::Sunday];
    assert_eq!(weekday_bits(&days), 0b100_0101);
    assert_eq!(weekdays_from_bits(0b100_0101), days.to_vec());
}

#[test]
fn a_term_of_mondays_and_wednesdays_across_the_autumn_clock_change() {
    let rule = MeetingRule::parse(&input(
        &[Weekday::Monday, Weekday::Wednesday],
        "09:00",
        "09:45",
        "2026-10-19",
        "2026-10-28",
    ))
    .unwrap();
    let sessions = rule.sessions(&[], &berlin(), 0);
    let starts: Vec<String> = sessions.iter().map(|s| utc_label(s.starts_at_ms)).collect();
    // Mon 19, Wed 21 in summer time (UTC+2); Mon 26, Wed 28 in winter time (UTC+1).
    assert_eq!(
        starts,
        [
            "2026-10-19T07:00:00Z",
            "2026-10-21T07:00:00Z",
            "2026-10-26T08:00:00Z",
            "2026-10-28T08:00:00Z"
        ]
    );
    for s in &sessions {
        assert_eq!(s.ends_at_ms - s.starts_at_ms, 45 * 60_000);
        assert_eq!(berlin().clock_label(s.starts_at_ms), "09:00");
    }
}

#[test]
fn spring_forward_keeps_the_wall_clock_and_skipped_times_move_on() {
    // Sunday 2026-03-29: clocks jump 02:00 → 03:00 in Berlin.
    let rule = MeetingRule::parse(&input(
        &[Weekday::Saturday, Weekday::Sunday],
        "02:30",
        "04:00",
        "2026-03-28",
        "2026-03-29",
    ))
    .unwrap();
    let sessions = rule.sessions(&[], &berlin(), 0);
    assert_eq!(sessions.len(), 2);
    assert_eq!(utc_label(sessions[0].starts_at_ms), "2026-03-28T01:30:00Z");
    // 02:30 does not exist on the 29th: it starts at 03:30 summer time, ends at 04:00.
    assert_eq!(berlin().clock_label(sessions[1].starts_at_ms), "03:30");
    assert_eq!(
        sessions[1].ends_at_ms - sessions[1].starts_at_ms,
        30 * 60_000
    );
}

#[test]
fn holidays_and_the_past_are_skipped() {
    let rule = MeetingRule::parse(&input(
        &Weekday::ALL[..5],
        "08:00",
        "08:50",
        "2026-12-14",
        "2027-01-08",
    ))
    .unwrap();
    let zone = berlin();
    let winter = parse_day_range("2026-12-21", "2027-01-03").unwrap();
    let all = rule.sessions(&[winter], &zone, 0);
    // Two weeks of school (14–18 Dec, 4–8 Jan), the holiday between them.
    assert_eq!(all.len(), 10);
    assert!(all
        .iter()
        .all(|s| !winter.contains(zone.date_of(s.starts_at_ms))));
    // A meeting already over is not scheduled; one in progress is.
    let during_first = zone.instant(date(2026, 12, 14), jiff::civil::time(8, 30, 0, 0));
    let later = rule.sessions(&[winter], &zone, during_first);
    assert_eq!(later.len(), 10);
    let after_first = zone.instant(date(2026, 12, 14), jiff::civil::time(9, 0, 0, 0));
    assert_eq!(rule.sessions(&[winter], &zone, after_first).len(), 9);
}

#[test]
fn bad_meetings_are_refused_with_a_reason() {
    let ok = input(
        &[Weekday::Monday],
        "09:00",
        "10:00",
        "2026-09-01",
        "2027-07-15",
    );
    assert!(MeetingRule::parse(&ok).is_ok());
    let cases = [
        (
            MeetingInput {
                weekdays: vec![],
                ..ok.clone()
            },
            "weekday",
        ),
        (
            MeetingInput {
                ends_at: "09:00".into(),
                ..ok.clone()
            },
            "after the start",
        ),
        (
            MeetingInput {
                starts_at: "9".into(),
                ..ok.clone()
            },
            "08:45",
        ),
        (
            MeetingInput {
                starts_at: "25:00".into(),
                ..ok.clone()
            },
            "08:45",
        ),
        (
            MeetingInput {
                first_day: "2026-13-01".into(),
                ..ok.clone()
            },
            "first day",
        ),
        (
            MeetingInput {
                last_day: "2026-08-01".into(),
                ..ok.clone()
            },
            "before the first",
        ),
        (
            MeetingInput {
                last_day: "2028-01-01".into(),
                ..ok.clone()
            },
            "at most",
        ),
        (
            MeetingInput {
                late_after_minutes: 500,
                ..ok.clone()
            },
            "late threshold",
        ),
    ];
    for (bad, expected) in cases {
        let error = MeetingRule::parse(&bad).unwrap_err();
        assert!(error.contains(expected), "{error} (wanted {expected})");
    }
}

#[test]
fn a_range_of_days_covers_their_local_instants_across_a_clock_change() {
    let zone = berlin();
    // The day clocks go forward in Berlin has 23 hours; the one they go back, 25.
    let spring = parse_day_range("2026-03-29", "2026-03-29").unwrap();
    let (from, until) = zone.instants_of(spring);
    assert_eq!(until - from, 23 * 3_600_000);
    assert_eq!(utc_label(from), "2026-03-28T23:00:00Z");
    let autumn = parse_day_range("2026-10-24", "2026-10-25").unwrap();
    assert_eq!(autumn.span_days(), 1);
    let (from, until) = zone.instants_of(autumn);
    assert_eq!(until - from, (24 + 25) * 3_600_000);
}
