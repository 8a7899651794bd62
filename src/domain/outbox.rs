//! The offline outbox's rules: what a device queues while it cannot reach the server, the order
//! its entries are taken in, and how each one meets the marks it finds when it arrives.
//!
//! Attendance rules decide, never the last writer: a teacher's mark beats a self check-in and
//! the automatic absence at closing; of several self check-ins of one student the earliest
//! (the best status) stands; a teacher's offline mark over another person's mark made meanwhile
//! is a conflict shown to the teacher, not an overwrite. So the order in which devices come
//! back online does not change the outcome, and a batch sent twice applies once.

use super::{AttendanceStatus, Mark, MarkSource, SessionId, UserId};
use serde::{Deserialize, Serialize};

/// Most entries one upload may carry.
pub const MAX_BATCH: usize = 1000;

/// One queued change, as the device sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// The device's own counter, from 1, one per entry, with no gaps.
    pub seq: u64,
    /// A unique id the device gave the change (for its own bookkeeping and the log).
    pub mutation_id: String,
    /// When it was made, by the device's clock: shown, never trusted by any rule.
    pub captured_at_ms: i64,
    pub change: OfflineChange,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OfflineChange {
    /// A student's check-in; a scanned rotating code carries its session and window, which is
    /// the proof of when they were there.
    CheckIn {
        code: String,
        #[serde(default)]
        session_id: Option<SessionId>,
        #[serde(default)]
        window: Option<i64>,
    },
    /// A teacher's mark; `seen_version` is the version of the mark the teacher was looking at
    /// (`None`: the student was unmarked on their screen).
    Mark {
        session_id: SessionId,
        student_id: UserId,
        status: AttendanceStatus,
        #[serde(default)]
        seen_version: Option<i64>,
    },
}

/// The server's answer to one entry. The device drops an entry from its outbox only once it
/// has an answer; `gap` means it must send from `expected` on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum EntryAnswer {
    /// Applied now; `mark` is the student's mark afterwards (unchanged when an earlier check-in
    /// or a teacher's mark stands).
    Applied {
        mark: Option<Mark>,
    },
    /// Applied before (a resend): nothing done.
    Duplicate,
    /// Refused, and why, in a sentence.
    Refused {
        reason: String,
    },
    /// Held for the teacher's review (e.g. a check-in synced after closing without a code that
    /// proves when it was made).
    NeedsReview {
        attempt_id: i64,
        message: String,
    },
    /// A teacher's mark over someone else's made meanwhile: both values, for the teacher to
    /// choose with one click (marking again online).
    Conflict {
        yours: AttendanceStatus,
        theirs: Option<Mark>,
    },
    Gap {
        expected: u64,
    },
}

/// A device id as a browser draws it: 8 to 64 letters, digits, `-` or `_`.
pub fn valid_device_id(id: &str) -> bool {
    (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Where an entry stands against the device's last applied one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqVerdict {
    /// Already applied (a resend): answered, not applied again.
    Duplicate,
    /// The next one: apply it.
    Next,
    /// Entries are missing before it: refused, with the one expected.
    Gap { expected: u64 },
}

pub fn classify_seq(last_applied: u64, seq: u64) -> SeqVerdict {
    if seq <= last_applied {
        SeqVerdict::Duplicate
    } else if seq == last_applied + 1 {
        SeqVerdict::Next
    } else {
        SeqVerdict::Gap {
            expected: last_applied + 1,
        }
    }
}

/// What happens to a teacher's offline mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfflineMarkDecision {
    Write,
    /// The mark already says so, by a teacher: nothing to do.
    Unchanged,
    /// Another person's mark (another teacher, an approved excuse) came in meanwhile: show the
    /// teacher both.
    Conflict,
}

pub fn decide_offline_mark(
    current: Option<&Mark>,
    seen_version: Option<i64>,
    wanted: AttendanceStatus,
) -> OfflineMarkDecision {
    match current {
        None => OfflineMarkDecision::Write,
        Some(mark) if mark.status == wanted && mark.source == MarkSource::Teacher => {
            OfflineMarkDecision::Unchanged
        }
        // Nobody changed it since the teacher looked, or only a check-in or the automatic
        // absence did: a teacher's mark beats both.
        Some(mark) if Some(mark.version) == seen_version || mark.source != MarkSource::Teacher => {
            OfflineMarkDecision::Write
        }
        Some(_) => OfflineMarkDecision::Conflict,
    }
}

/// Whether a self check-in that proves `status` replaces the current mark: over nothing or
/// the automatic absence, yes; over a teacher's mark, never; over another self check-in only
/// when it is better (present over late: the earliest proof stands, whatever arrives first).
pub fn offline_check_in_writes(current: Option<&Mark>, status: AttendanceStatus) -> bool {
    match current {
        None => true,
        Some(mark) => match mark.source {
            MarkSource::Automatic => true,
            MarkSource::Teacher => false,
            MarkSource::SelfCheckIn => rank(status) < rank(mark.status),
        },
    }
}

/// Lower is better for a self check-in.
fn rank(status: AttendanceStatus) -> u8 {
    match status {
        AttendanceStatus::Present => 0,
        AttendanceStatus::Late => 1,
        AttendanceStatus::Excused => 2,
        AttendanceStatus::Absent => 3,
    }
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
