//! Classes and their sessions as every layer sees them (the store returns these; server
//! functions send them).

use super::{
    AttendanceStatus, ClassId, JoinCode, Mark, MarkSource, SessionFacts, SessionId, UserId,
};
use serde::{Deserialize, Serialize};

/// One meeting of a class that students check in to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassSession {
    pub id: SessionId,
    pub class_id: ClassId,
    pub class_name: String,
    pub teacher_id: UserId,
    pub teacher_name: String,
    pub starts_at_ms: i64,
    pub late_after_minutes: u32,
    pub join_code: JoinCode,
    pub is_open: bool,
    pub closed_at_ms: Option<i64>,
}

impl ClassSession {
    pub fn facts(&self) -> SessionFacts {
        SessionFacts {
            is_open: self.is_open,
            starts_at_ms: self.starts_at_ms,
            late_after_minutes: self.late_after_minutes,
        }
    }
}

/// A class as listed for its teacher (or an admin).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassSummary {
    pub id: ClassId,
    pub name: String,
    pub teacher_name: String,
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
