//! What the teacher's review queue and the check-in audit show: check-ins held by a guard,
//! and every attempt with where it came from.

use super::check_in_rules::{HoldReason, ReviewDecision};
use super::{AttendanceStatus, SessionId, UserId};
use serde::{Deserialize, Serialize};

/// A check-in waiting for the teacher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldCheckIn {
    pub attempt_id: i64,
    pub session_id: SessionId,
    pub student_id: UserId,
    pub student_name: String,
    pub reasons: Vec<HoldReason>,
    /// The mark it gives once accepted (by the time the student checked in).
    pub status: AttendanceStatus,
    pub at_ms: i64,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Accepted,
    Held,
    Refused,
}

impl AttemptOutcome {
    pub fn key(self) -> &'static str {
        match self {
            AttemptOutcome::Accepted => "accepted",
            AttemptOutcome::Held => "held",
            AttemptOutcome::Refused => "refused",
        }
    }

    pub fn from_key(key: &str) -> Option<AttemptOutcome> {
        [
            AttemptOutcome::Accepted,
            AttemptOutcome::Held,
            AttemptOutcome::Refused,
        ]
        .into_iter()
        .find(|outcome| outcome.key() == key)
    }
}

/// One line of a session's check-in audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptLine {
    pub attempt_id: i64,
    pub at_ms: i64,
    pub student_id: UserId,
    pub student_name: String,
    pub username: String,
    pub outcome: AttemptOutcome,
    /// The refusal or hold reasons, as a person reads them.
    pub why: String,
    pub status: Option<AttendanceStatus>,
    pub code: String,
    /// The rotating code's window; `None` for a fixed code.
    pub code_window: Option<i64>,
    pub device_id: Option<String>,
    /// `None` once erased (after the retention period).
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub review: Option<ReviewDecision>,
    /// `None` while pending, or for one the student's later check-in superseded.
    pub reviewed_by: Option<String>,
    pub reviewed_at_ms: Option<i64>,
}

/// A teacher's change to a mark in the session (an override of a check-in, or a mark by hand).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideLine {
    pub at_ms: i64,
    pub student_name: String,
    pub before: Option<AttendanceStatus>,
    pub after: AttendanceStatus,
    pub by: String,
}
