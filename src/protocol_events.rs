//! What happened: the body of every event in the log, and who hears it (`channels`) and what
//! each listener may see of it (`for_channel`).

use super::Channel;
use crate::domain::check_in_rules::ReviewDecision;
use crate::domain::notify::{InboxRead, Notice};
use crate::domain::{
    AttendanceStatus, CheckInRefusal, CheckInRules, ClassId, HoldReason, Mark, MarkSource,
    SessionId, UserId,
};
use serde::{Deserialize, Serialize};
/// What happened. Attendance events double as the audit trail: who, what, when, which device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    SessionOpened {
        session_id: SessionId,
        class_id: ClassId,
        class_name: String,
        join_code: String,
        starts_at_ms: i64,
        late_after_minutes: u32,
    },
    AttendanceChanged {
        session_id: SessionId,
        student_id: UserId,
        student_name: String,
        status: AttendanceStatus,
        previous: Option<AttendanceStatus>,
        source: MarkSource,
        version: i64,
        by_user_id: Option<UserId>,
        device: Option<String>,
    },
    SessionClosed {
        session_id: SessionId,
        marked_absent: u32,
        /// Who closed it; `None` when it closed by itself (its scheduled or automatic end).
        #[serde(default)]
        by_user_id: Option<UserId>,
    },
    /// A student's check-in was refused (wrong code, closed session, not on the roster); sent to
    /// the teacher of the session concerned.
    CheckInRefused {
        session_id: SessionId,
        student_id: UserId,
        student_name: String,
        reason: CheckInRefusal,
        code: String,
    },
    /// A check-in a guard held for the teacher's review (a shared device, an outside network);
    /// `status` is the mark it gives once accepted.
    CheckInHeld {
        session_id: SessionId,
        attempt_id: i64,
        student_id: UserId,
        student_name: String,
        reasons: Vec<HoldReason>,
        status: AttendanceStatus,
    },
    /// A held check-in was accepted or rejected by `by_user_id`, or superseded (the student
    /// checked in again and was accepted, or a teacher marked them): it leaves the queue.
    CheckInReviewed {
        session_id: SessionId,
        attempt_id: i64,
        student_id: UserId,
        student_name: String,
        decision: ReviewDecision,
        by_user_id: Option<UserId>,
    },
    /// The session's check-in rules changed (the session's own, or its class's).
    CheckInRulesChanged {
        session_id: SessionId,
        rules: CheckInRules,
    },
    /// A notification for one person (their inbox): only on their own channel.
    Notified { user_id: UserId, notice: Notice },
    /// Some of a person's notifications were read (on any of their devices).
    NotificationsRead { user_id: UserId, read: InboxRead },
}

impl EventBody {
    /// The channels this event is written to, in the order their logs are locked (session,
    /// then school, then user): the one place that decides who hears what.
    pub fn channels(&self) -> Vec<Channel> {
        match self {
            EventBody::SessionOpened { session_id, .. }
            | EventBody::SessionClosed { session_id, .. } => {
                vec![Channel::Session(*session_id), Channel::School]
            }
            EventBody::AttendanceChanged {
                session_id,
                student_id,
                ..
            } => vec![
                Channel::Session(*session_id),
                Channel::School,
                Channel::User(*student_id),
            ],
            EventBody::CheckInRefused { session_id, .. }
            | EventBody::CheckInRulesChanged { session_id, .. } => {
                vec![Channel::Session(*session_id)]
            }
            // The school channel carries held check-ins too: the notifier reads it (it is the
            // one log of everything that happens at the school, in commit order).
            EventBody::CheckInHeld {
                session_id,
                student_id,
                ..
            } => vec![
                Channel::Session(*session_id),
                Channel::School,
                Channel::User(*student_id),
            ],
            EventBody::CheckInReviewed {
                session_id,
                student_id,
                ..
            } => vec![Channel::Session(*session_id), Channel::User(*student_id)],
            EventBody::Notified { user_id, .. } | EventBody::NotificationsRead { user_id, .. } => {
                vec![Channel::User(*user_id)]
            }
        }
    }

    /// What `channel` is told of this event. A student's own channel never carries the
    /// device (IP address and browser) an event came from, nor who marked them unless it was
    /// themselves: those are for the staff on the session and school channels.
    pub fn for_channel(&self, channel: Channel) -> EventBody {
        match (self, channel) {
            (
                EventBody::AttendanceChanged {
                    student_id,
                    by_user_id,
                    ..
                },
                Channel::User(_),
            ) => {
                let mut reduced = self.clone();
                if let EventBody::AttendanceChanged {
                    device,
                    by_user_id: by,
                    ..
                } = &mut reduced
                {
                    *device = None;
                    *by = by_user_id.filter(|by| by == student_id);
                }
                reduced
            }
            // A review reaches the student as its decision, not as who made it.
            (EventBody::CheckInReviewed { .. }, Channel::User(_)) => {
                let mut reduced = self.clone();
                if let EventBody::CheckInReviewed { by_user_id, .. } = &mut reduced {
                    *by_user_id = None;
                }
                reduced
            }
            _ => self.clone(),
        }
    }

    /// The event for a student's new mark (by check-in, teacher or automatically).
    pub fn attendance_changed(
        session_id: SessionId,
        student_id: UserId,
        student_name: String,
        mark: &Mark,
        previous: Option<AttendanceStatus>,
        by_user_id: Option<UserId>,
        device: Option<String>,
    ) -> EventBody {
        EventBody::AttendanceChanged {
            session_id,
            student_id,
            student_name,
            status: mark.status,
            previous,
            source: mark.source,
            version: mark.version,
            by_user_id,
            device,
        }
    }

    /// The session this event is about (none for a person's notifications).
    pub fn session_id(&self) -> Option<SessionId> {
        Some(match self {
            EventBody::SessionOpened { session_id, .. }
            | EventBody::AttendanceChanged { session_id, .. }
            | EventBody::SessionClosed { session_id, .. }
            | EventBody::CheckInRefused { session_id, .. }
            | EventBody::CheckInHeld { session_id, .. }
            | EventBody::CheckInReviewed { session_id, .. }
            | EventBody::CheckInRulesChanged { session_id, .. } => *session_id,
            EventBody::Notified { .. } | EventBody::NotificationsRead { .. } => return None,
        })
    }

    /// Whether a follower showing the session's join code must read it again.
    pub fn changes_code(&self) -> bool {
        matches!(
            self,
            EventBody::SessionOpened { .. }
                | EventBody::SessionClosed { .. }
                | EventBody::CheckInRulesChanged { .. }
        )
    }
}
