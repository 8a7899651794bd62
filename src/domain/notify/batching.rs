//! Bursts into one notification: what happens to one person about one subject (a session)
//! within a kind's window becomes a single push ("12 students checked in to Biology 9A"); the
//! inbox keeps every detail. A window opens with the first item and closes `window` later,
//! whatever arrives meanwhile, so the first news is never held longer than the window.

use super::NotificationKind;
use crate::domain::UserId;
use std::collections::BTreeMap;

/// One thing to tell someone, before batching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub user_id: UserId,
    pub kind: NotificationKind,
    /// What it is about (e.g. the session); items batch only with the same subject.
    pub subject: i64,
    /// Whom it names ("Ava Adams").
    pub name: String,
    pub at_ms: i64,
}

/// One push: the items it stands for and when it is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub user_id: UserId,
    pub kind: NotificationKind,
    pub subject: i64,
    pub names: Vec<String>,
    /// When the window closes (when it may be sent).
    pub due_at_ms: i64,
}

/// Groups items (in any order) into batches per person, kind and subject, each window opened by
/// its earliest item. Kinds without a window give one batch per item.
pub fn batch(items: &[Item]) -> Vec<Batch> {
    let mut sorted: Vec<&Item> = items.iter().collect();
    sorted.sort_by_key(|item| item.at_ms);
    let mut open: BTreeMap<(UserId, NotificationKind, i64), Vec<Batch>> = BTreeMap::new();
    for item in sorted {
        let window = item.kind.batch_window_ms();
        let batches = open
            .entry((item.user_id, item.kind, item.subject))
            .or_default();
        match batches.last_mut() {
            Some(last) if window > 0 && item.at_ms < last.due_at_ms => {
                last.names.push(item.name.clone())
            }
            _ => batches.push(Batch {
                user_id: item.user_id,
                kind: item.kind,
                subject: item.subject,
                names: vec![item.name.clone()],
                due_at_ms: item.at_ms + window,
            }),
        }
    }
    let mut all: Vec<Batch> = open.into_values().flatten().collect();
    all.sort_by_key(|b| (b.due_at_ms, b.user_id, b.subject));
    all
}

/// The push's text for a batch, naming the class.
pub fn summary(batch: &Batch, class_name: &str) -> String {
    let count = batch.names.len();
    let first = batch
        .names
        .first()
        .map(String::as_str)
        .unwrap_or("A student");
    match (batch.kind, count) {
        (NotificationKind::CheckIns, 1) => format!("{first} checked in to {class_name}"),
        (NotificationKind::CheckIns, n) => format!("{n} students checked in to {class_name}"),
        (NotificationKind::LateArrival, 1) => format!("{first} arrived late to {class_name}"),
        (NotificationKind::LateArrival, n) => {
            format!("{first} and {} others arrived late to {class_name}", n - 1)
        }
        (NotificationKind::CheckInHeld, _) => {
            format!("{first}'s check-in to {class_name} waits for your review")
        }
        (NotificationKind::MarkedByTeacher, _) => {
            format!("Your attendance in {class_name} changed")
        }
        (NotificationKind::AbsenceWarning, _) => {
            format!("Absence warning: {first} in {class_name}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_in(user: UserId, subject: i64, name: &str, at_ms: i64) -> Item {
        Item {
            user_id: user,
            kind: NotificationKind::CheckIns,
            subject,
            name: name.into(),
            at_ms,
        }
    }

    #[test]
    fn twelve_check_ins_in_a_minute_are_one_push() {
        let items: Vec<Item> = (0..12)
            .map(|i| check_in(1, 7, &format!("Student {i}"), 1_000 + i * 4_000))
            .collect();
        let batches = batch(&items);
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].names.len(), 12);
        assert_eq!(batches[0].due_at_ms, 61_000);
        assert_eq!(
            summary(&batches[0], "Biology 9A"),
            "12 students checked in to Biology 9A"
        );
    }

    #[test]
    fn windows_split_by_time_person_and_session_in_any_order() {
        let mut items = vec![
            check_in(1, 7, "A", 0),
            check_in(1, 7, "B", 59_999),
            check_in(1, 7, "C", 60_000), // the first window has closed
            check_in(2, 7, "A", 10),     // another teacher
            check_in(1, 8, "D", 20),     // another session
        ];
        let forward = batch(&items);
        items.reverse();
        assert_eq!(batch(&items), forward, "arrival order does not matter");
        let shape: Vec<(UserId, i64, usize)> = forward
            .iter()
            .map(|b| (b.user_id, b.subject, b.names.len()))
            .collect();
        // Ordered by when each is due.
        assert_eq!(shape, [(1, 7, 2), (2, 7, 1), (1, 8, 1), (1, 7, 1)]);
        assert_eq!(
            summary(&forward[2], "Chemistry"),
            "D checked in to Chemistry"
        );
    }

    #[test]
    fn kinds_without_a_window_go_one_by_one_and_at_once() {
        let held = |name: &str, at| Item {
            user_id: 1,
            kind: NotificationKind::CheckInHeld,
            subject: 7,
            name: name.into(),
            at_ms: at,
        };
        let batches = batch(&[held("A", 5), held("B", 6)]);
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[0].due_at_ms, 5);
        assert_eq!(
            summary(&batches[1], "Biology 9A"),
            "B's check-in to Biology 9A waits for your review"
        );
    }
}
