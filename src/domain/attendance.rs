//! Attendance statuses and the rules that decide them.

use super::time::MINUTE_MS;
use super::CheckInRefusal;
use serde::{Deserialize, Serialize};

/// A student's standing in one class session. "Not yet marked" is the absence of a mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceStatus {
    Present,
    Late,
    Excused,
    Absent,
}

impl AttendanceStatus {
    pub const ALL: [AttendanceStatus; 4] = [
        AttendanceStatus::Present,
        AttendanceStatus::Late,
        AttendanceStatus::Excused,
        AttendanceStatus::Absent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttendanceStatus::Present => "present",
            AttendanceStatus::Late => "late",
            AttendanceStatus::Excused => "excused",
            AttendanceStatus::Absent => "absent",
        }
    }

    pub fn parse(text: &str) -> Option<AttendanceStatus> {
        AttendanceStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            AttendanceStatus::Present => "Present",
            AttendanceStatus::Late => "Late",
            AttendanceStatus::Excused => "Excused",
            AttendanceStatus::Absent => "Absent",
        }
    }
}

/// Who set a mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkSource {
    /// The student checked in with the join code.
    SelfCheckIn,
    /// The teacher (or an admin) set it by hand.
    Teacher,
    /// Rollcall set it, e.g. absent when the session closed.
    Automatic,
}

impl MarkSource {
    pub fn as_str(self) -> &'static str {
        match self {
            MarkSource::SelfCheckIn => "self",
            MarkSource::Teacher => "teacher",
            MarkSource::Automatic => "automatic",
        }
    }

    /// How a roster line says who set the mark: "09:03 · checked in".
    pub fn roster_label(self) -> &'static str {
        match self {
            MarkSource::SelfCheckIn => "checked in",
            MarkSource::Teacher => "by teacher",
            MarkSource::Automatic => "at close",
        }
    }

    /// How an activity feed says what happened: "Ava Adams checked in late".
    pub fn activity_verb(self, status: AttendanceStatus) -> String {
        let status = status.label().to_lowercase();
        match self {
            MarkSource::SelfCheckIn if status == "late" => "checked in late".into(),
            MarkSource::SelfCheckIn => "checked in".into(),
            MarkSource::Teacher => format!("marked {status}"),
            MarkSource::Automatic => format!("marked {status} at close"),
        }
    }

    pub fn parse(text: &str) -> Option<MarkSource> {
        [
            MarkSource::SelfCheckIn,
            MarkSource::Teacher,
            MarkSource::Automatic,
        ]
        .into_iter()
        .find(|source| source.as_str() == text)
    }
}

/// The current mark of one student in one session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub status: AttendanceStatus,
    pub source: MarkSource,
    pub marked_at_ms: i64,
    /// Bumped on every change, so clients can tell newer from older.
    pub version: i64,
}

/// What the check-in rule needs to know about a class session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFacts {
    pub is_open: bool,
    pub starts_at_ms: i64,
    pub late_after_minutes: u32,
}

impl SessionFacts {
    /// Arriving at or before this moment counts as present, after it as late.
    pub fn late_from_ms(&self) -> i64 {
        self.starts_at_ms + self.late_after_minutes as i64 * MINUTE_MS
    }
}

/// The outcome of an accepted check-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckInDecision {
    /// Write a new mark with this status.
    Record(AttendanceStatus),
    /// A mark already exists (an earlier check-in, or the teacher's); nothing is written.
    AlreadyMarked(Mark),
}

/// Decides a self check-in. `session` is `None` when no session has the code; `code_expired`
/// when the code was one of the session's rotating codes from a window that has passed.
pub fn decide_check_in(
    session: Option<&SessionFacts>,
    on_roster: bool,
    existing: Option<&Mark>,
    code_expired: bool,
    now_ms: i64,
) -> Result<CheckInDecision, CheckInRefusal> {
    let session = session.ok_or(CheckInRefusal::WrongCode)?;
    if !session.is_open {
        return Err(CheckInRefusal::SessionClosed);
    }
    if !on_roster {
        return Err(CheckInRefusal::NotOnRoster);
    }
    // Checking in twice answers the first result; a teacher's mark is never overwritten by the
    // student.
    if let Some(mark) = existing {
        return Ok(CheckInDecision::AlreadyMarked(mark.clone()));
    }
    if code_expired {
        return Err(CheckInRefusal::CodeExpired);
    }
    Ok(CheckInDecision::Record(
        if now_ms <= session.late_from_ms() {
            AttendanceStatus::Present
        } else {
            AttendanceStatus::Late
        },
    ))
}

/// Whether a teacher's mark changes anything: setting the same status the teacher already set is
/// a no-op, everything else (including overriding a self check-in) is a change.
pub fn teacher_mark_changes(existing: Option<&Mark>, status: AttendanceStatus) -> bool {
    !matches!(existing, Some(mark) if mark.status == status && mark.source == MarkSource::Teacher)
}

/// The status given to every student still unmarked when a session closes.
pub const STATUS_WHEN_UNMARKED_AT_CLOSE: AttendanceStatus = AttendanceStatus::Absent;

#[cfg(test)]
mod tests {
    use super::*;

    const START: i64 = 1_795_338_000_000;

    fn open_session() -> SessionFacts {
        SessionFacts {
            is_open: true,
            starts_at_ms: START,
            late_after_minutes: 10,
        }
    }

    fn mark(status: AttendanceStatus, source: MarkSource) -> Mark {
        Mark {
            status,
            source,
            marked_at_ms: START,
            version: 1,
        }
    }

    #[test]
    fn on_time_is_present_and_after_threshold_is_late() {
        let s = open_session();
        let at = |minutes: i64| {
            decide_check_in(Some(&s), true, None, false, START + minutes * MINUTE_MS)
        };
        assert_eq!(
            at(-5),
            Ok(CheckInDecision::Record(AttendanceStatus::Present))
        );
        assert_eq!(
            at(0),
            Ok(CheckInDecision::Record(AttendanceStatus::Present))
        );
        assert_eq!(
            at(10),
            Ok(CheckInDecision::Record(AttendanceStatus::Present))
        );
        assert_eq!(
            decide_check_in(Some(&s), true, None, false, START + 10 * MINUTE_MS + 1),
            Ok(CheckInDecision::Record(AttendanceStatus::Late))
        );
        assert_eq!(at(45), Ok(CheckInDecision::Record(AttendanceStatus::Late)));
    }

    #[test]
    fn zero_threshold_makes_anyone_after_start_late() {
        let s = SessionFacts {
            late_after_minutes: 0,
            ..open_session()
        };
        assert_eq!(
            decide_check_in(Some(&s), true, None, false, START + 1),
            Ok(CheckInDecision::Record(AttendanceStatus::Late))
        );
    }

    #[test]
    fn checking_in_twice_returns_the_first_mark() {
        let s = open_session();
        let first = mark(AttendanceStatus::Present, MarkSource::SelfCheckIn);
        // Even after the late threshold, the second attempt changes nothing.
        assert_eq!(
            decide_check_in(Some(&s), true, Some(&first), false, START + 60 * MINUTE_MS),
            Ok(CheckInDecision::AlreadyMarked(first))
        );
    }

    #[test]
    fn refusals_have_reasons_in_priority_order() {
        let closed = SessionFacts {
            is_open: false,
            ..open_session()
        };
        assert_eq!(
            decide_check_in(None, true, None, false, START),
            Err(CheckInRefusal::WrongCode)
        );
        assert_eq!(
            decide_check_in(Some(&closed), true, None, false, START),
            Err(CheckInRefusal::SessionClosed)
        );
        assert_eq!(
            decide_check_in(Some(&closed), false, None, false, START),
            Err(CheckInRefusal::SessionClosed)
        );
        assert_eq!(
            decide_check_in(Some(&open_session()), false, None, false, START),
            Err(CheckInRefusal::NotOnRoster)
        );
        for refusal in CheckInRefusal::ALL {
            assert!(refusal.message().ends_with('.'));
            assert_eq!(CheckInRefusal::from_key(refusal.key()), Some(refusal));
            let json = serde_json::to_string(&refusal).unwrap();
            assert_eq!(json, format!("\"{}\"", refusal.key()));
        }
    }

    #[test]
    fn an_expired_code_is_refused_unless_the_student_is_already_marked() {
        let open = open_session();
        assert_eq!(
            decide_check_in(Some(&open), true, None, true, START),
            Err(CheckInRefusal::CodeExpired)
        );
        let first = mark(AttendanceStatus::Present, MarkSource::SelfCheckIn);
        assert_eq!(
            decide_check_in(Some(&open), true, Some(&first), true, START),
            Ok(CheckInDecision::AlreadyMarked(first))
        );
        // A closed session or someone else's class says so first.
        let closed = SessionFacts {
            is_open: false,
            ..open_session()
        };
        assert_eq!(
            decide_check_in(Some(&closed), true, None, true, START),
            Err(CheckInRefusal::SessionClosed)
        );
        assert_eq!(
            decide_check_in(Some(&open), false, None, true, START),
            Err(CheckInRefusal::NotOnRoster)
        );
    }

    #[test]
    fn teacher_mark_overrides_self_check_in_and_is_never_overwritten_by_it() {
        let self_mark = mark(AttendanceStatus::Present, MarkSource::SelfCheckIn);
        assert!(teacher_mark_changes(
            Some(&self_mark),
            AttendanceStatus::Present
        ));
        assert!(teacher_mark_changes(
            Some(&self_mark),
            AttendanceStatus::Excused
        ));
        assert!(teacher_mark_changes(None, AttendanceStatus::Absent));
        let teacher_mark = mark(AttendanceStatus::Excused, MarkSource::Teacher);
        assert!(!teacher_mark_changes(
            Some(&teacher_mark),
            AttendanceStatus::Excused
        ));
        assert!(teacher_mark_changes(
            Some(&teacher_mark),
            AttendanceStatus::Late
        ));
        // The student checking in afterwards keeps the teacher's mark.
        assert_eq!(
            decide_check_in(
                Some(&open_session()),
                true,
                Some(&teacher_mark),
                false,
                START
            ),
            Ok(CheckInDecision::AlreadyMarked(teacher_mark))
        );
    }

    #[test]
    fn statuses_and_sources_round_trip() {
        for status in AttendanceStatus::ALL {
            assert_eq!(AttendanceStatus::parse(status.as_str()), Some(status));
        }
        for source in [
            MarkSource::SelfCheckIn,
            MarkSource::Teacher,
            MarkSource::Automatic,
        ] {
            assert_eq!(MarkSource::parse(source.as_str()), Some(source));
        }
        assert_eq!(
            MarkSource::SelfCheckIn.activity_verb(AttendanceStatus::Late),
            "checked in late"
        );
        assert_eq!(
            MarkSource::Automatic.activity_verb(AttendanceStatus::Absent),
            "marked absent at close"
        );
    }
}
