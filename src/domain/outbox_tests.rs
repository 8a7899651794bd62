use super::*;
use proptest::prelude::*;

fn mark(status: AttendanceStatus, source: MarkSource, version: i64) -> Mark {
    Mark {
        status,
        source,
        marked_at_ms: 0,
        version,
    }
}

#[test]
fn entries_are_taken_in_order_once() {
    assert_eq!(classify_seq(0, 1), SeqVerdict::Next);
    assert_eq!(classify_seq(4, 5), SeqVerdict::Next);
    assert_eq!(classify_seq(4, 4), SeqVerdict::Duplicate);
    assert_eq!(classify_seq(4, 1), SeqVerdict::Duplicate);
    assert_eq!(classify_seq(4, 7), SeqVerdict::Gap { expected: 5 });
}

#[test]
fn a_teachers_offline_mark_beats_check_ins_and_conflicts_with_other_teachers() {
    use AttendanceStatus::*;
    use OfflineMarkDecision::*;
    assert_eq!(decide_offline_mark(None, None, Absent), Write);
    let checked_in = mark(Present, MarkSource::SelfCheckIn, 1);
    assert_eq!(decide_offline_mark(Some(&checked_in), None, Absent), Write);
    let at_close = mark(Absent, MarkSource::Automatic, 1);
    assert_eq!(decide_offline_mark(Some(&at_close), None, Present), Write);
    // An excuse approved (or another teacher's mark) while this teacher was offline.
    let excused = mark(Excused, MarkSource::Teacher, 3);
    assert_eq!(decide_offline_mark(Some(&excused), None, Absent), Conflict);
    assert_eq!(
        decide_offline_mark(Some(&excused), Some(2), Absent),
        Conflict
    );
    // The teacher saw that very mark and changed it on purpose.
    assert_eq!(decide_offline_mark(Some(&excused), Some(3), Absent), Write);
    assert_eq!(
        decide_offline_mark(Some(&excused), None, Excused),
        Unchanged
    );
}

#[test]
fn the_earliest_self_check_in_stands() {
    use AttendanceStatus::*;
    assert!(offline_check_in_writes(None, Late));
    let late = mark(Late, MarkSource::SelfCheckIn, 1);
    assert!(offline_check_in_writes(Some(&late), Present));
    assert!(!offline_check_in_writes(Some(&late), Late));
    let present = mark(Present, MarkSource::SelfCheckIn, 1);
    assert!(!offline_check_in_writes(Some(&present), Late));
    assert!(offline_check_in_writes(
        Some(&mark(Absent, MarkSource::Automatic, 1)),
        Late
    ));
    assert!(!offline_check_in_writes(
        Some(&mark(Absent, MarkSource::Teacher, 1)),
        Present
    ));
}

/// What can happen to one student's mark in one session, in some order.
#[derive(Debug, Clone, Copy)]
enum Op {
    /// A self check-in that proves this status (synced from some device).
    CheckIn(AttendanceStatus),
    /// The teacher's offline mark, made looking at an unmarked student.
    Teacher(AttendanceStatus),
    /// The session closes: the unmarked become absent.
    Close,
}

fn apply(current: Option<Mark>, op: Op) -> Option<Mark> {
    let version = current.as_ref().map_or(1, |m| m.version + 1);
    match op {
        Op::CheckIn(status) if offline_check_in_writes(current.as_ref(), status) => {
            Some(mark(status, MarkSource::SelfCheckIn, version))
        }
        Op::Teacher(status)
            if decide_offline_mark(current.as_ref(), None, status)
                == OfflineMarkDecision::Write =>
        {
            Some(mark(status, MarkSource::Teacher, version))
        }
        Op::Close if current.is_none() => {
            Some(mark(AttendanceStatus::Absent, MarkSource::Automatic, 1))
        }
        _ => current,
    }
}

fn outcome(ops: &[Op]) -> Option<(AttendanceStatus, MarkSource)> {
    ops.iter()
        .fold(None, |state, op| apply(state, *op))
        .map(|m| (m.status, m.source))
}

fn op() -> impl Strategy<Value = Op> {
    let status = prop_oneof![
        Just(AttendanceStatus::Present),
        Just(AttendanceStatus::Late),
        Just(AttendanceStatus::Excused),
        Just(AttendanceStatus::Absent),
    ];
    let proven = prop_oneof![
        Just(AttendanceStatus::Present),
        Just(AttendanceStatus::Late)
    ];
    prop_oneof![
        proven.prop_map(Op::CheckIn),
        status.prop_map(Op::Teacher),
        Just(Op::Close)
    ]
}

/// Any number of check-ins and closes, and at most one teacher mark (two teachers marking one
/// student differently offline is a conflict a person resolves, not a rule's to decide).
fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 0..8).prop_map(|mut ops| {
        let mut seen_teacher = false;
        ops.retain(|op| match op {
            Op::Teacher(_) if seen_teacher => false,
            Op::Teacher(_) => {
                seen_teacher = true;
                true
            }
            _ => true,
        });
        ops
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_order_of_arrival_does_not_change_the_outcome(
        (ops, shuffled) in ops().prop_flat_map(|ops| {
            let shuffled = Just(ops.clone()).prop_shuffle();
            (Just(ops), shuffled)
        })
    ) {
        prop_assert_eq!(outcome(&ops), outcome(&shuffled));
        // And it is what the rules say: the teacher's, else the best check-in, else absent.
        let teacher = ops.iter().find_map(|op| match op { Op::Teacher(s) => Some(*s), _ => None });
        let best = ops.iter().filter_map(|op| match op { Op::CheckIn(s) => Some(*s), _ => None })
            .min_by_key(|s| rank(*s));
        let closed = ops.iter().any(|op| matches!(op, Op::Close));
        let expected = match (teacher, best, closed) {
            (Some(s), _, _) => Some((s, MarkSource::Teacher)),
            (None, Some(s), _) => Some((s, MarkSource::SelfCheckIn)),
            (None, None, true) => Some((AttendanceStatus::Absent, MarkSource::Automatic)),
            (None, None, false) => None,
        };
        prop_assert_eq!(outcome(&ops), expected);
    }

    #[test]
    fn a_batch_applied_twice_equals_once(ops in ops(), resent_from in 0usize..8) {
        // The device numbers its entries 1..=n; the server keeps the last applied one.
        let entries: Vec<(u64, Op)> = ops.iter().copied().zip(1u64..).map(|(op, seq)| (seq, op)).collect();
        let run = |batches: &[&[(u64, Op)]]| {
            let (mut last, mut state) = (0u64, None);
            for batch in batches {
                for (seq, op) in batch.iter() {
                    match classify_seq(last, *seq) {
                        SeqVerdict::Next => {
                            state = apply(state, *op);
                            last = *seq;
                        }
                        SeqVerdict::Duplicate => {}
                        SeqVerdict::Gap { .. } => break,
                    }
                }
            }
            (last, state.map(|m: Mark| (m.status, m.source, m.version)))
        };
        let once = run(&[&entries]);
        let twice = run(&[&entries, &entries]);
        prop_assert_eq!(once, twice);
        // A resend of the tail after a lost answer changes nothing either.
        let from = resent_from.min(entries.len());
        prop_assert_eq!(run(&[&entries, &entries[from..]]), once);
        // A batch that skips an entry applies nothing past the hole.
        if entries.len() >= 2 {
            let holed: Vec<_> = entries.iter().copied().skip(1).collect();
            prop_assert_eq!(run(&[&holed]).0, 0);
        }
    }
}
