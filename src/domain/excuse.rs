//! Absence excuses: a student (or staff for them) explains an absence over a range of days; a
//! teacher of the class or an admin approves or declines it. Approved, it marks the class's
//! sessions in that range excused, including ones that have not happened yet. Also the rules for
//! which marks a bulk change ("mark all present", an approved excuse) may overwrite.

use super::{AttendanceStatus, ClassId, Mark, MarkSource, UserId};
use serde::{Deserialize, Serialize};

/// Where an excuse is in its life: pending → approved | declined, or pending → withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExcuseState {
    Pending,
    Approved,
    Declined,
    /// Taken back by the student before anyone decided.
    Withdrawn,
}

impl ExcuseState {
    pub const ALL: [ExcuseState; 4] = [
        ExcuseState::Pending,
        ExcuseState::Approved,
        ExcuseState::Declined,
        ExcuseState::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExcuseState::Pending => "pending",
            ExcuseState::Approved => "approved",
            ExcuseState::Declined => "declined",
            ExcuseState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<ExcuseState> {
        ExcuseState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            ExcuseState::Pending => "Waiting for a decision",
            ExcuseState::Approved => "Approved",
            ExcuseState::Declined => "Declined",
            ExcuseState::Withdrawn => "Withdrawn",
        }
    }
}

/// A teacher's or admin's answer to a pending excuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExcuseDecision {
    Approve,
    Decline,
}

impl ExcuseDecision {
    pub fn resulting_state(self) -> ExcuseState {
        match self {
            ExcuseDecision::Approve => ExcuseState::Approved,
            ExcuseDecision::Decline => ExcuseState::Declined,
        }
    }
}

/// What deciding an excuse in `current` state does: `Ok(true)` changes it, `Ok(false)` is a
/// repeat of the decision already taken (a double click or a retry: nothing to do), `Err` says
/// why it cannot be decided.
pub fn decide_excuse(current: ExcuseState, decision: ExcuseDecision) -> Result<bool, &'static str> {
    match current {
        ExcuseState::Pending => Ok(true),
        state if state == decision.resulting_state() => Ok(false),
        ExcuseState::Withdrawn => Err("The student withdrew this excuse."),
        _ => Err("This excuse has already been decided the other way."),
    }
}

/// An excuse as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Excuse {
    pub id: i64,
    pub student_id: UserId,
    pub student_name: String,
    pub class_id: ClassId,
    pub class_name: String,
    /// Inclusive local dates, `YYYY-MM-DD`.
    pub first_day: String,
    pub last_day: String,
    pub reason: String,
    pub state: ExcuseState,
    pub submitted_by_name: String,
    pub submitted_at_ms: i64,
    pub decided_by_name: Option<String>,
    pub decided_at_ms: Option<i64>,
    /// Sessions of the class in the range that it marked excused (approved excuses).
    pub sessions_excused: u32,
}

/// What a student (or staff for them) sends to explain an absence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExcuseInput {
    /// Whose absence, by username; `None`: the caller's own (students may only give their own).
    pub student: Option<String>,
    /// The classes it is for; empty: every class the student is enrolled in.
    pub class_ids: Vec<ClassId>,
    pub first_day: String,
    pub last_day: String,
    pub reason: String,
}

/// The longest range one excuse may cover.
pub const MAX_EXCUSE_DAYS: i32 = 120;
pub const MAX_REASON_CHARS: usize = 1000;

/// The reason, trimmed, or why it is not acceptable.
pub fn parse_reason(text: &str) -> Result<String, String> {
    let reason = text.trim();
    if reason.chars().count() < 3 {
        return Err("Please give a reason (a few words are enough).".into());
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(format!(
            "The reason is too long: at most {MAX_REASON_CHARS} characters."
        ));
    }
    if reason.chars().any(|c| c.is_control() && c != '\n') {
        return Err("The reason contains characters that cannot be shown.".into());
    }
    Ok(reason.to_string())
}

/// Whether "mark all present" changes this student's mark: only when not yet marked, or marked
/// absent by Rollcall when the session closed. A teacher's own mark, an excuse and a self
/// check-in all stay.
pub fn mark_all_present_changes(existing: Option<&Mark>) -> bool {
    match existing {
        None => true,
        Some(mark) => {
            mark.source == MarkSource::Automatic && mark.status == AttendanceStatus::Absent
        }
    }
}

/// Whether an approved excuse changes this mark: when not yet marked, or marked absent (by
/// anyone: approving is the teacher's later decision). A student who came after all keeps
/// present or late, and an excused mark stays as it is.
pub fn excuse_changes(existing: Option<&Mark>) -> bool {
    match existing {
        None => true,
        Some(mark) => mark.status == AttendanceStatus::Absent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(status: AttendanceStatus, source: MarkSource) -> Mark {
        Mark {
            status,
            source,
            marked_at_ms: 0,
            version: 1,
        }
    }

    #[test]
    fn mark_all_present_leaves_excused_teacher_and_self_marks_alone() {
        use AttendanceStatus::*;
        use MarkSource::*;
        assert!(mark_all_present_changes(None));
        assert!(mark_all_present_changes(Some(&mark(Absent, Automatic))));
        for status in AttendanceStatus::ALL {
            assert!(!mark_all_present_changes(Some(&mark(status, Teacher))));
            assert!(!mark_all_present_changes(Some(&mark(status, SelfCheckIn))));
        }
        // An excuse's mark is excused, whoever set it.
        assert!(!mark_all_present_changes(Some(&mark(Excused, Automatic))));
    }

    #[test]
    fn an_excuse_turns_absent_into_excused_but_never_a_presence() {
        use AttendanceStatus::*;
        use MarkSource::*;
        assert!(excuse_changes(None));
        assert!(excuse_changes(Some(&mark(Absent, Automatic))));
        assert!(excuse_changes(Some(&mark(Absent, Teacher))));
        assert!(!excuse_changes(Some(&mark(Present, SelfCheckIn))));
        assert!(!excuse_changes(Some(&mark(Late, Teacher))));
        assert!(!excuse_changes(Some(&mark(Excused, Teacher))));
    }

    #[test]
    fn deciding_twice_is_a_no_op_and_the_other_way_is_refused() {
        use ExcuseDecision::*;
        assert_eq!(decide_excuse(ExcuseState::Pending, Approve), Ok(true));
        assert_eq!(decide_excuse(ExcuseState::Pending, Decline), Ok(true));
        assert_eq!(decide_excuse(ExcuseState::Approved, Approve), Ok(false));
        assert_eq!(decide_excuse(ExcuseState::Declined, Decline), Ok(false));
        assert!(decide_excuse(ExcuseState::Approved, Decline).is_err());
        assert!(decide_excuse(ExcuseState::Declined, Approve).is_err());
        assert!(decide_excuse(ExcuseState::Withdrawn, Approve).is_err());
    }

    #[test]
    fn reasons_are_trimmed_and_bounded() {
        assert_eq!(
            parse_reason("  flu, doctor's note  ").unwrap(),
            "flu, doctor's note"
        );
        assert!(parse_reason(" a ").is_err());
        assert!(parse_reason(&"x".repeat(MAX_REASON_CHARS + 1)).is_err());
        assert!(parse_reason("ok\u{0}ok").is_err());
        assert!(parse_reason("two\nlines").is_ok());
        for state in ExcuseState::ALL {
            assert_eq!(ExcuseState::parse(state.as_str()), Some(state));
        }
    }
}
