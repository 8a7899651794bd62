//! Classes and their sessions as every layer sees them (the store returns these; server
//! functions send them).

use super::{
    AttendanceStatus, CheckInRules, ClassId, JoinCode, Mark, MarkSource, SessionFacts, SessionId,
    UserId,
};
use serde::{Deserialize, Serialize};

/// One meeting of a class that students check in to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassSession {
    pub id: SessionId,
    pub class_id: ClassId,
    pub class_name: String,
    /// Everyone who runs the class (its teachers; admins run every class).
    pub teacher_ids: Vec<UserId>,
    /// The teachers' names, for display ("Ms. Rivera, Mr. Okafor").
    pub teacher_name: String,
    /// Scheduled start, or when an unscheduled session was opened; lateness counts from here.
    pub starts_at_ms: i64,
    /// When an open session closes by itself (`None` only for sessions from before timetables).
    pub ends_at_ms: Option<i64>,
    pub late_after_minutes: u32,
    /// Drawn when the session opens; an upcoming session has none.
    pub join_code: Option<JoinCode>,
    pub is_open: bool,
    pub opened_at_ms: Option<i64>,
    pub closed_at_ms: Option<i64>,
    /// Created by the class's timetable (as opposed to opened by hand).
    pub scheduled: bool,
    /// How students check in: copied from the class when the session opens.
    pub rules: CheckInRules,
}

/// Where a session is in its life: upcoming → open → closed (or upcoming → closed, never held).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionPhase {
    Upcoming,
    Open,
    Closed,
}

impl SessionPhase {
    pub fn label(self) -> &'static str {
        match self {
            SessionPhase::Upcoming => "Upcoming",
            SessionPhase::Open => "Open",
            SessionPhase::Closed => "Closed",
        }
    }
}

impl ClassSession {
    pub fn facts(&self) -> SessionFacts {
        SessionFacts {
            is_open: self.is_open,
            starts_at_ms: self.starts_at_ms,
            late_after_minutes: self.late_after_minutes,
        }
    }

    pub fn phase(&self) -> SessionPhase {
        session_phase(self.is_open, self.closed_at_ms)
    }
}

/// The phase from the two stored facts.
pub fn session_phase(is_open: bool, closed_at_ms: Option<i64>) -> SessionPhase {
    match (is_open, closed_at_ms) {
        (true, _) => SessionPhase::Open,
        (false, None) => SessionPhase::Upcoming,
        (false, Some(_)) => SessionPhase::Closed,
    }
}

/// A class as listed for its teacher (or an admin).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassSummary {
    pub id: ClassId,
    pub name: String,
    /// The teachers' names, comma-separated ("" when the class has none yet).
    pub teacher_name: String,
    pub archived: bool,
    pub student_count: u32,
    pub open_session_id: Option<SessionId>,
}

/// One student on a session's roster and their mark, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RosterEntry {
    pub student_id: UserId,
    pub display_name: String,
    pub username: String,
    /// `None`: not yet marked.
    pub mark: Option<Mark>,
}

/// A session of one of a student's classes, with that student's mark if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudentSession {
    pub session_id: SessionId,
    pub class_name: String,
    pub starts_at_ms: i64,
    pub is_open: bool,
    pub status: Option<AttendanceStatus>,
    pub source: Option<MarkSource>,
}

/// A session as a class's list of sessions shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionListing {
    pub id: SessionId,
    pub phase: SessionPhase,
    pub starts_at_ms: i64,
    pub ends_at_ms: Option<i64>,
    /// It opened at some point (a closed session that never opened was not held).
    pub held: bool,
    pub scheduled: bool,
    pub counts: crate::domain::AttendanceCounts,
}

/// One change of a mark, as the audit trail keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkChangeEntry {
    pub at_ms: i64,
    pub student_id: UserId,
    pub student_name: String,
    /// `None`: the student had no mark yet.
    pub before: Option<AttendanceStatus>,
    pub after: AttendanceStatus,
    pub source: MarkSource,
    /// Who made it (`None`: Rollcall itself, e.g. absent at closing).
    pub by_name: Option<String>,
}
