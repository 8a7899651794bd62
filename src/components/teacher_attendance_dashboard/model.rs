//! What the teacher's dashboard knows about one session, as plain data: built from the
//! server's snapshot, then kept current by applying the session's events in order. No signals
//! and no browser here, so every rule is unit-tested natively.

use crate::api::teacher::SessionView;
use crate::components::live_student_activity::ActivityItem;
use crate::domain::check_in_review::HeldCheckIn;
use crate::domain::{AttendanceCounts, AttendanceStatus, Mark, MarkSource, UserId};
use crate::protocol::{CodeShown, Event, EventBody};
use std::collections::HashMap;

/// Longest lists kept (newest first).
const MAX_NOTICES: usize = 100;
const MAX_ACTIVITY: usize = 200;

/// Something the teacher should know about, listed with read/unread.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub seq: i64,
    pub at_ms: i64,
    pub text: String,
    pub warning: bool,
}

impl Notice {
    /// Late arrivals and refused check-ins are notices; everything else is not.
    pub fn from_event(event: &Event) -> Option<Notice> {
        let (text, warning) = match &event.body {
            EventBody::AttendanceChanged {
                student_name,
                status: AttendanceStatus::Late,
                source: MarkSource::SelfCheckIn,
                ..
            } => (format!("{student_name} arrived late."), false),
            EventBody::CheckInRefused {
                student_name,
                reason,
                code,
                ..
            } => (reason.teacher_notice(student_name, code), true),
            EventBody::CheckInHeld {
                student_name,
                reasons,
                ..
            } => (
                format!(
                    "{student_name}'s check-in waits for your review: {}.",
                    reasons
                        .iter()
                        .map(|r| r.label())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                true,
            ),
            _ => return None,
        };
        Some(Notice {
            seq: event.seq,
            at_ms: event.at_ms,
            text,
            warning,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionModel {
    /// Every roster student's current mark (`None`: not yet marked).
    marks: HashMap<UserId, Option<Mark>>,
    pub is_open: bool,
    pub closed_at_ms: Option<i64>,
    pub notices: Vec<Notice>,
    pub activity: Vec<ActivityItem>,
    /// The join code on screen (a rotating one is replaced as each new one arrives).
    pub code: Option<CodeShown>,
    /// Check-ins waiting for review, oldest first.
    pub held: Vec<HeldCheckIn>,
}

impl SessionModel {
    /// The snapshot's state, with its recent events replayed into the feed and notices (their
    /// marks are already in the roster and are skipped by version).
    pub fn from_snapshot(view: &SessionView) -> SessionModel {
        let mut model = SessionModel {
            marks: view
                .roster
                .iter()
                .map(|entry| (entry.student_id, entry.mark.clone()))
                .collect(),
            is_open: view.session.is_open,
            closed_at_ms: view.session.closed_at_ms,
            notices: Vec::new(),
            activity: Vec::new(),
            code: view.session.join_code.clone().map(|code| CodeShown {
                session_id: view.session.id,
                code,
                check_in_url: view.session.check_in_url.clone().unwrap_or_default(),
                qr_svg: view.session.qr_svg.clone().unwrap_or_default(),
                rotation: view.session.rotation,
            }),
            held: view.held.clone(),
        };
        for event in &view.recent {
            model.apply(event, true);
        }
        model
    }

    /// Applies the next event of the session's log. Returns the student whose row changed, if
    /// one did (the view highlights it when the event is live).
    pub fn apply(&mut self, event: &Event, replayed: bool) -> Option<UserId> {
        if let Some(notice) = Notice::from_event(event) {
            self.notices.insert(0, notice);
            self.notices.truncate(MAX_NOTICES);
        }
        if let Some(item) = ActivityItem::from_event(event, replayed) {
            self.activity.insert(0, item);
            self.activity.truncate(MAX_ACTIVITY);
        }
        match event.body {
            EventBody::AttendanceChanged {
                student_id,
                status,
                source,
                version,
                ..
            } => {
                let mark = Mark {
                    status,
                    source,
                    marked_at_ms: event.at_ms,
                    version,
                };
                self.apply_mark(student_id, mark).then_some(student_id)
            }
            // Replayed or live, a close means closed: no code, no QR, no close button.
            EventBody::SessionClosed { .. } => {
                self.is_open = false;
                self.closed_at_ms.get_or_insert(event.at_ms);
                None
            }
            EventBody::CheckInHeld {
                session_id,
                attempt_id,
                student_id,
                ref student_name,
                ref reasons,
                status,
            } => {
                if !self.held.iter().any(|h| h.attempt_id == attempt_id) {
                    self.held.push(HeldCheckIn {
                        attempt_id,
                        session_id,
                        student_id,
                        student_name: student_name.clone(),
                        reasons: reasons.clone(),
                        status,
                        at_ms: event.at_ms,
                    });
                }
                None
            }
            EventBody::CheckInReviewed { attempt_id, .. } => {
                self.settle(attempt_id);
                None
            }
            _ => None,
        }
    }

    /// Takes a mark if it is newer (by version) than the one held; returns whether it did. Marks
    /// arrive both from the live stream and from the answers to the teacher's own clicks, in
    /// any order; the version decides.
    pub fn apply_mark(&mut self, student: UserId, mark: Mark) -> bool {
        let Some(current) = self.marks.get_mut(&student) else {
            return false; // not on this roster
        };
        if current.as_ref().is_some_and(|m| mark.version <= m.version) {
            return false;
        }
        *current = Some(mark);
        true
    }

    /// A new rotating code arrived; an older one (by window) never replaces a newer.
    pub fn show_code(&mut self, shown: CodeShown) {
        let window = |code: &CodeShown| code.rotation.map(|r| r.window);
        if self.is_open
            && self
                .code
                .as_ref()
                .is_none_or(|current| window(current) <= window(&shown))
        {
            self.code = Some(shown);
        }
    }

    /// A held check-in left the queue (reviewed here, elsewhere, or superseded).
    pub fn settle(&mut self, attempt_id: i64) {
        self.held.retain(|held| held.attempt_id != attempt_id);
    }

    pub fn mark(&self, student: UserId) -> Option<&Mark> {
        self.marks.get(&student).and_then(Option::as_ref)
    }

    /// Grows with every change of any mark (the sum of their versions).
    pub fn marks_version(&self) -> i64 {
        self.marks.values().flatten().map(|mark| mark.version).sum()
    }

    pub fn counts(&self) -> AttendanceCounts {
        AttendanceCounts::from_statuses(self.marks.values().map(|m| m.as_ref().map(|m| m.status)))
    }

    /// Notices newer than what the teacher marked read.
    pub fn unread(&self, read_upto: i64) -> usize {
        self.notices.iter().filter(|n| n.seq > read_upto).count()
    }

    /// The seq to remember as read after "Mark all read".
    pub fn newest_notice(&self) -> i64 {
        self.notices.first().map_or(0, |n| n.seq)
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
