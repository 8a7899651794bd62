use super::report::*;
use super::{AttendanceStatus, AttendanceStatus::*};

fn session(id: i64, day: &str, hour: u8, held: bool, started: bool) -> ReportSession {
    ReportSession {
        id,
        class_id: 1,
        starts_at_ms: id * 1000,
        day: day.into(),
        hour,
        held,
        started,
    }
}

#[test]
fn streaks_count_absences_in_a_row_and_skip_excused_and_unmarked() {
    let seq = [
        Some(Absent),
        Some(Absent),
        Some(Present),
        Some(Absent),
        Some(Excused),
        None,
        Some(Absent),
        Some(Absent),
    ];
    // The last three absences are in a row: excused and unmarked neither end nor extend them.
    assert_eq!(absence_streaks(seq), (3, 3));
    assert_eq!(absence_streaks([Some(Absent), Some(Late)]), (1, 0));
    assert_eq!(
        absence_streaks(Vec::<Option<AttendanceStatus>>::new()),
        (0, 0)
    );
}

#[test]
fn held_rate_leaves_out_excused_and_sessions_never_taken() {
    let sessions = [
        session(1, "2026-09-01", 9, true, true),
        session(2, "2026-09-02", 9, true, true),
        session(3, "2026-09-03", 9, false, true), // never taken
        session(4, "2026-09-04", 9, true, true),
        session(5, "2026-09-05", 9, true, true),
        session(6, "2026-09-06", 9, false, false), // still to come
    ];
    let marks = [
        Some(Present),
        Some(Late),
        None,
        Some(Excused),
        Some(Absent),
        None,
    ];
    let cells = || sessions.iter().zip(marks);
    let held = student_totals(cells(), RateBasis::Held);
    assert_eq!(held.counts.present, 1);
    assert_eq!(held.counts.late, 1);
    assert_eq!(held.counts.excused, 1);
    assert_eq!(held.counts.absent, 1);
    assert_eq!(held.started, 5);
    // 2 attended of 3 expected (the excused session and the one never taken are left out).
    assert_eq!(held.rate, Some(2.0 / 3.0));
    assert_eq!(held.expected, 3);
    // Scheduled: 5 started, one excused: 2 of 4.
    let scheduled = student_totals(cells(), RateBasis::Scheduled);
    assert_eq!(scheduled.rate, Some(0.5));
    assert_eq!(scheduled.expected, 4);
    assert_eq!(percent_label(held.rate), "67%");
    assert_eq!(percent_label(None), "–");
}

#[test]
fn a_student_excused_from_everything_has_no_rate() {
    let sessions = [session(1, "2026-09-01", 9, true, true)];
    let totals = student_totals(sessions.iter().zip([Some(Excused)]), RateBasis::Held);
    assert_eq!(totals.rate, None);
    let totals = student_totals(sessions.iter().zip([Some(Excused)]), RateBasis::Scheduled);
    assert_eq!(totals.rate, None);
}

#[test]
fn groups_count_held_and_never_taken_sessions_and_their_marks() {
    let sessions = [
        session(1, "2026-09-01", 9, true, true),
        session(2, "2026-09-01", 11, true, true),
        session(3, "2026-09-02", 9, false, true),
        session(4, "2026-09-03", 9, false, false),
    ];
    let mark = |session_id, student_id, status| MarkCell {
        session_id,
        student_id,
        status,
    };
    let marks = [
        mark(1, 10, Present),
        mark(1, 11, Absent),
        mark(2, 10, Late),
        mark(2, 11, Excused),
    ];
    let by_day = group_figures(&sessions, &marks, |s| s.day.clone());
    assert_eq!(by_day.len(), 2, "the session still to come makes no group");
    assert_eq!(by_day[0].key, "2026-09-01");
    assert_eq!(by_day[0].sessions_held, 2);
    assert_eq!(by_day[0].rate, Some(2.0 / 3.0));
    assert_eq!(by_day[1].sessions_not_held, 1);
    assert_eq!(by_day[1].rate, None);
    let by_hour = group_figures(&sessions, &marks, |s| format!("{:02}", s.hour));
    assert_eq!(by_hour[0].key, "09");
    assert_eq!(by_hour[0].rate, Some(0.5));

    let students = totals_by_student(&sessions, &marks);
    assert_eq!(students[&10].rate, Some(1.0));
    assert_eq!(students[&11].rate, Some(0.0));
    assert_eq!(students[&11].current_absence_streak, 1);
}

#[test]
fn chronic_absence_is_a_low_rate_or_a_run_of_absences() {
    let rule = ChronicRule::default();
    let totals = |rate, streak| StudentTotals {
        rate,
        current_absence_streak: streak,
        ..StudentTotals::default()
    };
    assert!(rule.matches(&totals(Some(0.85), 0)));
    assert!(!rule.matches(&totals(Some(0.95), 2)));
    assert!(rule.matches(&totals(Some(0.95), 3)));
    assert!(!rule.matches(&totals(None, 0)));
}

#[test]
fn a_day_is_as_good_as_its_worst_session() {
    assert_eq!(day_standing([Present, Late]), Some(DayStanding::Late));
    assert_eq!(
        day_standing([Present, Absent, Excused]),
        Some(DayStanding::Absent)
    );
    assert_eq!(day_standing([Excused, Present]), Some(DayStanding::Excused));
    assert_eq!(day_standing([]), None);
    assert_eq!(RateBasis::parse("scheduled"), Some(RateBasis::Scheduled));
    assert_eq!(RateBasis::parse("sometimes"), None);
}
