use super::*;
use crate::api::teacher::{SessionInfo, SessionView};
use crate::domain::{CheckInRefusal, RosterEntry};
use crate::protocol::{Channel, StreamPosition};

const A: UserId = 11;
const B: UserId = 12;

fn entry(student_id: UserId, mark: Option<Mark>) -> RosterEntry {
    RosterEntry {
        student_id,
        display_name: format!("Student {student_id}"),
        username: format!("student{student_id}"),
        mark,
    }
}

fn mark(status: AttendanceStatus, source: MarkSource, version: i64) -> Mark {
    Mark {
        status,
        source,
        marked_at_ms: 1_000,
        version,
    }
}

fn view(roster: Vec<RosterEntry>, recent: Vec<Event>) -> SessionView {
    SessionView {
        session: SessionInfo {
            id: 5,
            class_id: 1,
            class_name: "Biology".into(),
            teacher_name: "Ms. Rivera".into(),
            starts_at_ms: 0,
            ends_at_ms: None,
            late_after_minutes: 10,
            phase: crate::domain::SessionPhase::Open,
            scheduled: false,
            join_code: Some("K7QM2X".into()),
            rotation: None,
            rules: Default::default(),
            is_open: true,
            closed_at_ms: None,
            check_in_url: None,
            qr_svg: None,
            utc_offset_minutes: 0,
        },
        roster,
        counts: AttendanceCounts::default(),
        position: StreamPosition {
            epoch: "e".into(),
            seq: recent.last().map_or(0, |e| e.seq),
        },
        recent,
        held: Vec::new(),
    }
}

fn event(seq: i64, body: EventBody) -> Event {
    Event {
        channel: Channel::Session(5),
        seq,
        at_ms: 1_000 + seq,
        body,
    }
}

fn changed(
    seq: i64,
    student: UserId,
    status: AttendanceStatus,
    source: MarkSource,
    version: i64,
) -> Event {
    event(
        seq,
        EventBody::attendance_changed(
            5,
            student,
            format!("Student {student}"),
            &mark(status, source, version),
            None,
            None,
            None,
        ),
    )
}

#[test]
fn snapshot_history_fills_feed_and_notices_without_touching_marks() {
    let late = mark(AttendanceStatus::Late, MarkSource::SelfCheckIn, 1);
    let recent = vec![
        changed(1, A, AttendanceStatus::Late, MarkSource::SelfCheckIn, 1),
        event(
            2,
            EventBody::CheckInRefused {
                session_id: 5,
                student_id: B,
                student_name: "Student 12".into(),
                reason: CheckInRefusal::WrongCode,
                code: "ZZZZZZ".into(),
            },
        ),
    ];
    let model = SessionModel::from_snapshot(&view(
        vec![entry(A, Some(late.clone())), entry(B, None)],
        recent,
    ));
    assert_eq!(model.mark(A), Some(&late));
    assert_eq!(model.mark(B), None);
    assert_eq!(model.activity.len(), 1);
    assert!(!model.activity[0].fresh, "history is not fresh");
    assert_eq!(model.notices.len(), 2);
    assert_eq!(
        model.notices[0].text,
        "Student 12 tried a wrong code (ZZZZZZ)."
    );
    assert!(model.notices[0].warning);
    assert_eq!(model.notices[1].text, "Student 11 arrived late.");
    assert_eq!(model.unread(0), 2);
    assert_eq!(model.unread(model.newest_notice()), 0);
    let counts = model.counts();
    assert_eq!((counts.late, counts.not_marked), (1, 1));
}

#[test]
fn marks_merge_by_version_in_any_order() {
    let mut model =
        SessionModel::from_snapshot(&view(vec![entry(A, None), entry(B, None)], vec![]));
    // The teacher's click answers with version 2 before the stream's version 1 arrives.
    assert!(model.apply_mark(A, mark(AttendanceStatus::Excused, MarkSource::Teacher, 2)));
    assert_eq!(
        model.apply(
            &changed(1, A, AttendanceStatus::Present, MarkSource::SelfCheckIn, 1),
            false
        ),
        None
    );
    assert_eq!(model.mark(A).unwrap().status, AttendanceStatus::Excused);
    // The stream's own copy of version 2 changes nothing; version 3 does.
    assert_eq!(
        model.apply(
            &changed(2, A, AttendanceStatus::Excused, MarkSource::Teacher, 2),
            false
        ),
        None
    );
    assert_eq!(
        model.apply(
            &changed(3, A, AttendanceStatus::Absent, MarkSource::Teacher, 3),
            false
        ),
        Some(A)
    );
    assert_eq!(model.mark(A).unwrap().status, AttendanceStatus::Absent);
    // Each student's mark stays on its own row.
    assert_eq!(model.mark(B), None);
    // Someone not on this roster changes nothing.
    assert!(!model.apply_mark(99, mark(AttendanceStatus::Present, MarkSource::Teacher, 1)));
    assert_eq!(model.counts().total(), 2);
}

#[test]
fn a_close_closes_the_session_even_when_replayed() {
    let mut model = SessionModel::from_snapshot(&view(vec![entry(A, None)], vec![]));
    assert!(model.is_open);
    model.apply(
        &changed(1, A, AttendanceStatus::Absent, MarkSource::Automatic, 1),
        true,
    );
    model.apply(
        &event(
            2,
            EventBody::SessionClosed {
                session_id: 5,
                marked_absent: 1,
                by_user_id: Some(3),
            },
        ),
        true,
    );
    assert!(!model.is_open);
    assert_eq!(model.closed_at_ms, Some(1_002));
    assert_eq!(model.counts().absent, 1);
}

#[test]
fn lists_stay_bounded() {
    let mut model = SessionModel::from_snapshot(&view(vec![entry(A, None)], vec![]));
    for seq in 1..=500 {
        model.apply(
            &changed(seq, A, AttendanceStatus::Late, MarkSource::SelfCheckIn, seq),
            false,
        );
    }
    assert_eq!(model.activity.len(), MAX_ACTIVITY);
    assert_eq!(model.notices.len(), MAX_NOTICES);
    assert_eq!(model.activity[0].seq, 500);
}

#[test]
fn held_check_ins_queue_up_once_and_leave_when_settled() {
    use crate::domain::check_in_rules::ReviewDecision;
    use crate::domain::HoldReason;
    let mut model = SessionModel::from_snapshot(&view(vec![], vec![]));
    let held = |seq, attempt_id| {
        event(
            seq,
            EventBody::CheckInHeld {
                session_id: 5,
                attempt_id,
                student_id: 7,
                student_name: "Ana".into(),
                reasons: vec![HoldReason::SharedDevice],
                status: AttendanceStatus::Present,
            },
        )
    };
    model.apply(&held(1, 40), false);
    model.apply(&held(1, 40), true); // the same event again (a replay): still one
    model.apply(&held(2, 41), false);
    assert_eq!(model.held.len(), 2);
    assert!(model.notices[0].warning && model.notices[0].text.contains("review"));
    let reviewed = event(
        3,
        EventBody::CheckInReviewed {
            session_id: 5,
            attempt_id: 40,
            student_id: 7,
            student_name: "Ana".into(),
            decision: ReviewDecision::Accepted,
            by_user_id: Some(1),
        },
    );
    model.apply(&reviewed, false);
    assert_eq!(
        model.held.iter().map(|h| h.attempt_id).collect::<Vec<_>>(),
        [41]
    );
}

#[test]
fn a_rotating_code_is_replaced_by_newer_ones_only() {
    use crate::domain::rotating_code::Rotation;
    use crate::protocol::CodeShown;
    let mut model = SessionModel::from_snapshot(&view(vec![], vec![]));
    let shown = |code: &str, window| CodeShown {
        session_id: 5,
        code: code.into(),
        check_in_url: String::new(),
        qr_svg: String::new(),
        rotation: Some(Rotation {
            period_seconds: 15,
            window,
            changes_in_ms: 15_000,
        }),
    };
    model.show_code(shown("AAAAAA", 10));
    model.show_code(shown("BBBBBB", 11));
    model.show_code(shown("AAAAAA", 10)); // a late poll answer
    assert_eq!(model.code.as_ref().map(|c| c.code.as_str()), Some("BBBBBB"));
    model.is_open = false;
    model.show_code(shown("CCCCCC", 12));
    assert_eq!(model.code.as_ref().map(|c| c.code.as_str()), Some("BBBBBB"));
}
