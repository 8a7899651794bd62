use super::*;
use AttendanceStatus::*;

fn outcomes(statuses: &[Option<AttendanceStatus>]) -> Vec<Outcome> {
    statuses
        .iter()
        .enumerate()
        .map(|(i, status)| Outcome {
            session_id: i as i64 + 1,
            starts_at_ms: (i as i64 + 1) * 1_000,
            status: *status,
        })
        .collect()
}

const THREE_IN_A_ROW: WarningRule = WarningRule::ConsecutiveAbsences { count: 3 };

#[test]
fn three_absences_in_a_row_cross_once_and_again_after_recovering() {
    let first = outcomes(&[Some(Present), Some(Absent), Some(Absent), Some(Absent)]);
    let crossing = current_crossing(&first, &THREE_IN_A_ROW).unwrap();
    assert_eq!(crossing.since, 4);
    assert_eq!(crossing.missed_at_ms, [2_000, 3_000, 4_000]);
    // A fourth absence is the same crossing: the same key, so no second notification.
    let longer = outcomes(&[
        Some(Present),
        Some(Absent),
        Some(Absent),
        Some(Absent),
        Some(Absent),
    ]);
    let same = current_crossing(&longer, &THREE_IN_A_ROW).unwrap();
    assert_eq!(
        same.key(9, 2, &THREE_IN_A_ROW),
        crossing.key(9, 2, &THREE_IN_A_ROW)
    );
    // Back in class: no warning; three more absences: a new crossing with a new key.
    let recovered = outcomes(&[Some(Absent), Some(Absent), Some(Absent), Some(Late)]);
    assert_eq!(current_crossing(&recovered, &THREE_IN_A_ROW), None);
    let again = outcomes(&[
        Some(Absent),
        Some(Absent),
        Some(Absent),
        Some(Late),
        Some(Absent),
        Some(Absent),
        Some(Absent),
    ]);
    let second = current_crossing(&again, &THREE_IN_A_ROW).unwrap();
    assert_eq!(second.since, 7);
    assert_eq!(second.key(9, 2, &THREE_IN_A_ROW), "warn:9:2:absent-3:7");
}

#[test]
fn excused_and_unmarked_sessions_neither_break_nor_extend_a_run() {
    let run = outcomes(&[
        Some(Absent),
        Some(Excused),
        None,
        Some(Absent),
        Some(Absent),
    ]);
    assert_eq!(current_crossing(&run, &THREE_IN_A_ROW).unwrap().since, 5);
    assert_eq!(current_crossing(&run[..4], &THREE_IN_A_ROW), None);
}

#[test]
fn a_low_rate_counts_only_after_the_minimum_number_of_sessions() {
    let rule = WarningRule::RateBelow {
        percent: 80,
        min_sessions: 5,
    };
    let early = outcomes(&[Some(Absent), Some(Absent)]);
    assert_eq!(
        current_crossing(&early, &rule),
        None,
        "two sessions are too few"
    );
    let five = outcomes(&[
        Some(Absent),
        Some(Absent),
        Some(Present),
        Some(Present),
        Some(Present),
    ]);
    let crossing = current_crossing(&five, &rule).unwrap();
    assert_eq!(crossing.since, 5);
    assert_eq!(crossing.rate, Some(0.6));
    assert_eq!(
        crossing.message("Biology 9A", &rule, &["Mon 2 Nov".into(), "Tue 3 Nov".into()]),
        "Absence warning: attendance in Biology 9A is 60%, below 80%. Missed: Mon 2 Nov, Tue 3 Nov."
    );
    // Exactly at the threshold is not below it.
    let at = outcomes(&[
        Some(Absent),
        Some(Present),
        Some(Present),
        Some(Present),
        Some(Present),
    ]);
    assert_eq!(current_crossing(&at, &rule), None);
}

#[test]
fn rules_that_make_no_sense_are_refused() {
    let rate = |percent, min_sessions| WarningRule::RateBelow {
        percent,
        min_sessions,
    };
    assert!(rate(0, 5).validate().is_err());
    assert!(rate(80, 0).validate().is_err());
    assert!(WarningRule::ConsecutiveAbsences { count: 1 }
        .validate()
        .is_err());
    assert!(THREE_IN_A_ROW.validate().is_ok());
    assert_eq!(THREE_IN_A_ROW.key(), "absent-3");
}
