//! Which events become notifications, for whom: the notifier reads the school's log in order
//! and asks this for each event. Preferences, batching and quiet hours come after.

use super::NotificationKind;
use crate::domain::{AttendanceStatus, MarkSource, UserId};
use crate::protocol::{Event, EventBody};

/// What the planner needs to know of the event's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFacts {
    pub class_name: String,
    pub teacher_ids: Vec<UserId>,
}

/// One thing to tell one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    pub user_id: UserId,
    pub kind: NotificationKind,
    /// What it is about (the session): batches and push topics are per subject.
    pub subject: i64,
    /// Whom it names (batched into "12 students checked in …").
    pub name: String,
    pub title: String,
    pub body: String,
    pub url: String,
    /// Unique per event and recipient: the notifier reading an event twice adds nothing.
    pub key: String,
}

/// The notifications an event on the school channel gives.
pub fn intents(event: &Event, session: &SessionFacts) -> Vec<Intent> {
    let key = |user: UserId| format!("ev:{}:{}:{user}", event.channel, event.seq);
    let class = &session.class_name;
    let to_teachers = |kind: NotificationKind,
                       subject: i64,
                       name: &str,
                       title: String,
                       body: String,
                       url: String| {
        session
            .teacher_ids
            .iter()
            .map(|&user_id| Intent {
                user_id,
                kind,
                subject,
                name: name.to_string(),
                title: title.clone(),
                body: body.clone(),
                url: url.clone(),
                key: key(user_id),
            })
            .collect::<Vec<_>>()
    };
    match &event.body {
        EventBody::AttendanceChanged {
            session_id,
            student_id,
            student_name,
            status,
            source,
            by_user_id,
            ..
        } => {
            let dashboard = format!("/teacher/sessions/{session_id}");
            match (source, status) {
                (MarkSource::SelfCheckIn, AttendanceStatus::Present) => to_teachers(
                    NotificationKind::CheckIns,
                    *session_id,
                    student_name,
                    format!("{student_name} checked in to {class}"),
                    String::new(),
                    dashboard,
                ),
                (MarkSource::SelfCheckIn, AttendanceStatus::Late) => to_teachers(
                    NotificationKind::LateArrival,
                    *session_id,
                    student_name,
                    format!("{student_name} arrived late to {class}"),
                    String::new(),
                    dashboard,
                ),
                // A mark the student did not make themselves: by a teacher, or absent when the
                // session ended without a check-in.
                (MarkSource::Teacher, _) if *by_user_id != Some(*student_id) => {
                    vec![marked(
                        key(*student_id),
                        *student_id,
                        *session_id,
                        class,
                        *status,
                    )]
                }
                (MarkSource::Automatic, AttendanceStatus::Absent) => {
                    vec![marked(
                        key(*student_id),
                        *student_id,
                        *session_id,
                        class,
                        *status,
                    )]
                }
                _ => Vec::new(),
            }
        }
        EventBody::CheckInHeld {
            session_id,
            student_name,
            reasons,
            ..
        } => {
            let why: Vec<&str> = reasons.iter().map(|reason| reason.label()).collect();
            to_teachers(
                NotificationKind::CheckInHeld,
                *session_id,
                student_name,
                format!("{student_name}'s check-in to {class} waits for your review"),
                why.join("; "),
                format!("/teacher/sessions/{session_id}"),
            )
        }
        _ => Vec::new(),
    }
}

fn marked(
    key: String,
    student: UserId,
    session_id: i64,
    class: &str,
    status: AttendanceStatus,
) -> Intent {
    let body = match status {
        AttendanceStatus::Absent => "If you were there or had a reason, send an excuse.".into(),
        _ => String::new(),
    };
    Intent {
        user_id: student,
        kind: NotificationKind::MarkedByTeacher,
        subject: session_id,
        name: String::new(),
        title: format!(
            "You were marked {} in {class}",
            status.label().to_lowercase()
        ),
        body,
        url: "/attendance".into(),
        key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::HoldReason;
    use crate::protocol::Channel;

    fn facts() -> SessionFacts {
        SessionFacts {
            class_name: "Biology 9A".into(),
            teacher_ids: vec![1, 2],
        }
    }

    fn changed(status: AttendanceStatus, source: MarkSource, by: Option<UserId>) -> Event {
        Event {
            channel: Channel::School,
            seq: 41,
            at_ms: 0,
            body: EventBody::AttendanceChanged {
                session_id: 5,
                student_id: 9,
                student_name: "Ava Adams".into(),
                status,
                previous: None,
                source,
                version: 1,
                by_user_id: by,
                device: None,
            },
        }
    }

    #[test]
    fn a_check_in_tells_every_teacher_once_each() {
        let out = intents(
            &changed(AttendanceStatus::Present, MarkSource::SelfCheckIn, Some(9)),
            &facts(),
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].kind, NotificationKind::CheckIns);
        assert_eq!(out[0].title, "Ava Adams checked in to Biology 9A");
        assert_ne!(out[0].key, out[1].key);
        let late = intents(
            &changed(AttendanceStatus::Late, MarkSource::SelfCheckIn, Some(9)),
            &facts(),
        );
        assert_eq!(late[0].kind, NotificationKind::LateArrival);
    }

    #[test]
    fn a_student_hears_of_marks_they_did_not_make() {
        let by_teacher = intents(
            &changed(AttendanceStatus::Absent, MarkSource::Teacher, Some(1)),
            &facts(),
        );
        assert_eq!(by_teacher.len(), 1);
        assert_eq!(by_teacher[0].user_id, 9);
        assert_eq!(by_teacher[0].title, "You were marked absent in Biology 9A");
        let at_close = intents(
            &changed(AttendanceStatus::Absent, MarkSource::Automatic, None),
            &facts(),
        );
        assert_eq!(at_close[0].kind, NotificationKind::MarkedByTeacher);
        // Their own check-in is not news to them.
        let own = intents(
            &changed(AttendanceStatus::Present, MarkSource::SelfCheckIn, Some(9)),
            &facts(),
        );
        assert!(own.iter().all(|intent| intent.user_id != 9));
    }

    #[test]
    fn a_held_check_in_says_why() {
        let event = Event {
            channel: Channel::School,
            seq: 3,
            at_ms: 0,
            body: EventBody::CheckInHeld {
                session_id: 5,
                attempt_id: 1,
                student_id: 9,
                student_name: "Ava Adams".into(),
                reasons: vec![HoldReason::OutsideNetwork],
                status: AttendanceStatus::Present,
            },
        };
        let out = intents(&event, &facts());
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].kind, NotificationKind::CheckInHeld);
        assert!(!out[0].body.is_empty());
    }
}
