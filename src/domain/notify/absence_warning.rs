//! A school's absence warning rules, and when a student crosses one. A crossing is the session
//! at which a rule starts to hold after not holding; it is notified once (its key names that
//! session, and a unique index on the key makes a second scan a no-op), and a student who
//! recovers and crosses again is a new crossing, notified again.
//!
//! Counting follows the reports (`domain::report`): present and late attend, absent does not,
//! excused and unmarked sessions are left out.

use crate::domain::report::{percent_label, rate};
use crate::domain::{AttendanceStatus, ClassId, SessionId, UserId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum WarningRule {
    /// The student's rate in a class is below `percent` once at least `min_sessions` sessions
    /// count.
    RateBelow { percent: u8, min_sessions: u32 },
    /// `count` absences in a row in a class.
    ConsecutiveAbsences { count: u32 },
}

impl WarningRule {
    /// Refuses rules that could never or would always hold.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            WarningRule::RateBelow {
                percent,
                min_sessions,
            } => {
                if !(1..=100).contains(&percent) {
                    return Err("The rate must be between 1% and 100%.".into());
                }
                if min_sessions == 0 || min_sessions > 500 {
                    return Err("The minimum number of sessions must be between 1 and 500.".into());
                }
            }
            WarningRule::ConsecutiveAbsences { count } => {
                if !(2..=100).contains(&count) {
                    return Err("Consecutive absences must be between 2 and 100.".into());
                }
            }
        }
        Ok(())
    }

    /// For people: "Attendance in a class below 80% (after 5 sessions)".
    pub fn describe(&self) -> String {
        match *self {
            WarningRule::RateBelow {
                percent,
                min_sessions,
            } => format!("Attendance in a class below {percent}% (after {min_sessions} sessions)"),
            WarningRule::ConsecutiveAbsences { count } => {
                format!("{count} absences in a row in a class")
            }
        }
    }

    /// A short stable name for keys ("rate-80-5", "absent-3").
    pub fn key(&self) -> String {
        match self {
            WarningRule::RateBelow {
                percent,
                min_sessions,
            } => format!("rate-{percent}-{min_sessions}"),
            WarningRule::ConsecutiveAbsences { count } => format!("absent-{count}"),
        }
    }
}

/// One held session of the class, as it went for the student, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub session_id: SessionId,
    pub starts_at_ms: i64,
    pub status: Option<AttendanceStatus>,
}

/// The warning a student is in now.
#[derive(Debug, Clone, PartialEq)]
pub struct Crossing {
    /// The session at which the rule began to hold (this time).
    pub since: SessionId,
    pub rate: Option<f64>,
    /// When the absences counted so far were (start times), oldest first, at most the last 10.
    pub missed_at_ms: Vec<i64>,
}

impl Crossing {
    /// Idempotency key of the notification about this crossing.
    pub fn key(&self, student: UserId, class: ClassId, rule: &WarningRule) -> String {
        format!("warn:{student}:{class}:{}:{}", rule.key(), self.since)
    }

    pub fn message(&self, class_name: &str, rule: &WarningRule, dates: &[String]) -> String {
        let rate = percent_label(self.rate);
        let reason = match rule {
            WarningRule::RateBelow { percent, .. } => {
                format!("attendance in {class_name} is {rate}, below {percent}%")
            }
            WarningRule::ConsecutiveAbsences { count } => {
                format!("{count} absences in a row in {class_name} (attendance {rate})")
            }
        };
        match dates {
            [] => format!("Absence warning: {reason}."),
            dates => format!("Absence warning: {reason}. Missed: {}.", dates.join(", ")),
        }
    }
}

/// The crossing the student is in after `outcomes`, if the rule holds now.
pub fn current_crossing(outcomes: &[Outcome], rule: &WarningRule) -> Option<Crossing> {
    let mut attended = 0u32;
    let mut expected = 0u32;
    let mut streak = 0u32;
    let mut since = None;
    let mut missed = Vec::new();
    for outcome in outcomes {
        match outcome.status {
            Some(AttendanceStatus::Present | AttendanceStatus::Late) => {
                attended += 1;
                expected += 1;
                streak = 0;
            }
            Some(AttendanceStatus::Absent) => {
                expected += 1;
                streak += 1;
                missed.push(outcome.starts_at_ms);
            }
            Some(AttendanceStatus::Excused) | None => continue,
        }
        let holds = match *rule {
            WarningRule::RateBelow {
                percent,
                min_sessions,
            } => {
                expected >= min_sessions
                    && (attended as f64) < f64::from(percent) / 100.0 * expected as f64
            }
            WarningRule::ConsecutiveAbsences { count } => streak >= count,
        };
        since = match (holds, since) {
            (true, None) => Some(outcome.session_id),
            (true, kept) => kept,
            (false, _) => None,
        };
    }
    let since = since?;
    let keep_from = missed.len().saturating_sub(10);
    Some(Crossing {
        since,
        rate: rate(attended, expected),
        missed_at_ms: missed.split_off(keep_from),
    })
}

#[cfg(test)]
#[path = "absence_warning_tests.rs"]
mod tests;
