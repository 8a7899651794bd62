//! The outbox as the page shows it, in plain data: what is kept on the device, the state of
//! each change, and when to try again. No browser here, so it is tested natively.

use crate::domain::outbox::{EntryAnswer, OfflineChange, OutboxEntry};
use crate::domain::{AttendanceStatus, Mark, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A change kept on the device until the server has answered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedChange {
    pub user_id: UserId,
    pub entry: OutboxEntry,
    /// What it is, for a person ("Check-in with code K7QM2X").
    pub label: String,
}

/// A change the server answered, kept a while so the person sees what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnsweredChange {
    pub queued: QueuedChange,
    pub answer: EntryAnswer,
    pub answered_at_ms: i64,
}

/// How many answered changes a device keeps to show (the oldest go first).
pub const KEEP_ANSWERED: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    /// Kept on the device; not sent yet.
    Waiting,
    /// On its way to the server now.
    Sending,
    Applied,
    NeedsReview,
    Refused,
    /// A teacher's mark met someone else's: the teacher chooses.
    Conflict,
}

impl ItemState {
    pub fn label(self) -> &'static str {
        match self {
            ItemState::Waiting => "Waiting to send",
            ItemState::Sending => "Sending…",
            ItemState::Applied => "Sent",
            ItemState::NeedsReview => "Needs the teacher's review",
            ItemState::Refused => "Not accepted",
            ItemState::Conflict => "Changed by someone else meanwhile",
        }
    }

    /// CSS class and test hook.
    pub fn key(self) -> &'static str {
        match self {
            ItemState::Waiting => "waiting",
            ItemState::Sending => "sending",
            ItemState::Applied => "applied",
            ItemState::NeedsReview => "needs-review",
            ItemState::Refused => "refused",
            ItemState::Conflict => "conflict",
        }
    }

    pub fn is_pending(self) -> bool {
        matches!(self, ItemState::Waiting | ItemState::Sending)
    }
}

/// One line of the outbox list.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub seq: u64,
    pub label: String,
    pub captured_at_ms: i64,
    pub state: ItemState,
    /// The server's words, when it said more than "done".
    pub detail: Option<String>,
    pub change: OfflineChange,
    /// For a conflict: the mark the other person made.
    pub theirs: Option<Mark>,
}

pub fn state_of(answer: &EntryAnswer) -> ItemState {
    match answer {
        EntryAnswer::Applied { .. } | EntryAnswer::Duplicate => ItemState::Applied,
        EntryAnswer::NeedsReview { .. } => ItemState::NeedsReview,
        EntryAnswer::Refused { .. } | EntryAnswer::Gap { .. } => ItemState::Refused,
        EntryAnswer::Conflict { .. } => ItemState::Conflict,
    }
}

/// The list a page shows: waiting and sending changes first (oldest first: the order they
/// go in), then answered ones, newest first.
pub fn items(
    pending: &[QueuedChange],
    answered: &[AnsweredChange],
    sending: &BTreeSet<u64>,
) -> Vec<OutboxItem> {
    let mut waiting: Vec<OutboxItem> = pending
        .iter()
        .map(|queued| OutboxItem {
            seq: queued.entry.seq,
            label: queued.label.clone(),
            captured_at_ms: queued.entry.captured_at_ms,
            state: if sending.contains(&queued.entry.seq) {
                ItemState::Sending
            } else {
                ItemState::Waiting
            },
            detail: None,
            change: queued.entry.change.clone(),
            theirs: None,
        })
        .collect();
    waiting.sort_by_key(|item| item.seq);
    let mut done: Vec<&AnsweredChange> = answered.iter().collect();
    done.sort_by_key(|a| std::cmp::Reverse((a.answered_at_ms, a.queued.entry.seq)));
    waiting.extend(done.into_iter().map(|answered| {
        let (detail, theirs) = match &answered.answer {
            EntryAnswer::Refused { reason } => (Some(reason.clone()), None),
            EntryAnswer::NeedsReview { message, .. } => (Some(message.clone()), None),
            EntryAnswer::Conflict { theirs, .. } => (None, theirs.clone()),
            EntryAnswer::Applied { mark: Some(mark) } => (Some(applied_detail(mark)), None),
            _ => (None, None),
        };
        OutboxItem {
            seq: answered.queued.entry.seq,
            label: answered.queued.label.clone(),
            captured_at_ms: answered.queued.entry.captured_at_ms,
            state: state_of(&answered.answer),
            detail,
            change: answered.queued.entry.change.clone(),
            theirs,
        }
    }));
    waiting
}

fn applied_detail(mark: &Mark) -> String {
    format!("Marked {}.", mark.status.label().to_lowercase())
}

/// What the page says at once when a change is kept on the device.
pub fn saved_message(pending: usize, noun: &str) -> String {
    let waiting = match pending {
        0 | 1 => String::new(),
        n => format!(" ({n} waiting)"),
    };
    format!("Saved on this {noun}, will be sent when you are back online{waiting}.")
}

pub fn check_in_label(code: &str) -> String {
    format!("Check-in with code {}", code.trim().to_uppercase())
}

pub fn mark_label(student_name: &str, status: AttendanceStatus) -> String {
    format!("{student_name}: {}", status.label().to_lowercase())
}

/// The pending changes renumbered from `expected` (the server's answer to a gap: entries
/// before these never reached it and are not on the device any more).
pub fn renumbered(pending: &[QueuedChange], expected: u64) -> Vec<QueuedChange> {
    let mut sorted = pending.to_vec();
    sorted.sort_by_key(|queued| queued.entry.seq);
    for (offset, queued) in sorted.iter_mut().enumerate() {
        queued.entry.seq = expected + offset as u64;
    }
    sorted
}

/// The wait before the next upload after `failures` failed ones in a row: 2 s doubling to a
/// minute, so a long outage costs a request a minute and a short one is over in seconds.
pub fn retry_delay_ms(failures: u32) -> u32 {
    2_000u32.saturating_mul(1 << failures.min(5)).min(60_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MarkSource;

    fn queued(seq: u64) -> QueuedChange {
        QueuedChange {
            user_id: 7,
            entry: OutboxEntry {
                seq,
                mutation_id: format!("m{seq}"),
                captured_at_ms: 1_000 * seq as i64,
                change: OfflineChange::CheckIn {
                    code: "K7QM2X".into(),
                    session_id: None,
                    window: None,
                },
            },
            label: check_in_label("k7qm2x"),
        }
    }

    fn answered(seq: u64, answer: EntryAnswer, at: i64) -> AnsweredChange {
        AnsweredChange {
            queued: queued(seq),
            answer,
            answered_at_ms: at,
        }
    }

    #[test]
    fn pending_changes_come_first_in_sending_order_then_answers_newest_first() {
        let mark = Mark {
            status: AttendanceStatus::Late,
            source: MarkSource::SelfCheckIn,
            marked_at_ms: 5,
            version: 2,
        };
        let list = items(
            &[queued(4), queued(3)],
            &[
                answered(1, EntryAnswer::Applied { mark: Some(mark) }, 10),
                answered(
                    2,
                    EntryAnswer::Refused {
                        reason: "No such code.".into(),
                    },
                    20,
                ),
            ],
            &BTreeSet::from([3]),
        );
        let summary: Vec<(u64, ItemState)> = list.iter().map(|i| (i.seq, i.state)).collect();
        assert_eq!(
            summary,
            [
                (3, ItemState::Sending),
                (4, ItemState::Waiting),
                (2, ItemState::Refused),
                (1, ItemState::Applied),
            ]
        );
        assert_eq!(list[2].detail.as_deref(), Some("No such code."));
        assert_eq!(list[3].detail.as_deref(), Some("Marked late."));
        assert_eq!(list[0].label, "Check-in with code K7QM2X");
    }

    #[test]
    fn a_duplicate_is_shown_as_sent_and_a_conflict_keeps_the_other_mark() {
        assert_eq!(state_of(&EntryAnswer::Duplicate), ItemState::Applied);
        let theirs = Mark {
            status: AttendanceStatus::Excused,
            source: MarkSource::Teacher,
            marked_at_ms: 1,
            version: 4,
        };
        let list = items(
            &[],
            &[answered(
                1,
                EntryAnswer::Conflict {
                    yours: AttendanceStatus::Absent,
                    theirs: Some(theirs.clone()),
                },
                1,
            )],
            &BTreeSet::new(),
        );
        assert_eq!(list[0].state, ItemState::Conflict);
        assert_eq!(list[0].theirs, Some(theirs));
        assert!(!ItemState::Conflict.is_pending());
        assert!(ItemState::Sending.is_pending());
    }

    #[test]
    fn the_saved_message_counts_what_waits() {
        assert_eq!(
            saved_message(1, "phone"),
            "Saved on this phone, will be sent when you are back online."
        );
        assert_eq!(
            saved_message(3, "device"),
            "Saved on this device, will be sent when you are back online (3 waiting)."
        );
    }

    #[test]
    fn renumbering_keeps_the_order_and_leaves_no_gap() {
        let renumbered = renumbered(&[queued(9), queued(7), queued(8)], 3);
        let seqs: Vec<(u64, String)> = renumbered
            .iter()
            .map(|q| (q.entry.seq, q.entry.mutation_id.clone()))
            .collect();
        assert_eq!(seqs, [(3, "m7".into()), (4, "m8".into()), (5, "m9".into())]);
    }

    #[test]
    fn retries_back_off_to_a_minute() {
        let delays: Vec<u32> = (0..8).map(retry_delay_ms).collect();
        assert_eq!(
            delays,
            [2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]
        );
    }
}
