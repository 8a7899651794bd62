//! What Rollcall tells people and how (issue 14's rules, pure): the kinds of notification, who
//! gets which by default and over which ways (in the app, push, e-mail), how a push of each
//! kind is sent (how long it may wait, how urgent, which older one it replaces), when quiet
//! hours hold it back, how a burst becomes one notification, and when a student's absences
//! cross a school's warning rule. The server wires these to storage, jobs and senders.

pub mod absence_warning;
pub mod batching;
pub mod inbox;
pub mod plan;
pub mod quiet_hours;

pub use inbox::{InboxRead, Notice};

use super::Role;
use serde::{Deserialize, Serialize};

/// A guardian address as an import or an admin gives it, checked and lower-cased (server
/// only: the check is lettre's, the same the mail is sent with).
#[cfg(feature = "ssr")]
pub fn guardian_address(text: &str) -> Result<String, String> {
    let address = text.trim().to_ascii_lowercase();
    match address.parse::<lettre::Address>() {
        Ok(_) if address.len() <= 254 => Ok(address),
        _ => Err(format!("{:?} is not an e-mail address.", text.trim())),
    }
}

/// The most guardian addresses one student may have.
pub const MAX_GUARDIANS: usize = 5;

/// A student's guardian addresses from a list as people type it (`,`, `;` or one a line),
/// checked, sorted, without repeats. Every problem is reported, not just the first.
#[cfg(feature = "ssr")]
pub fn guardian_addresses(text: &str) -> Result<Vec<String>, Vec<String>> {
    let mut addresses = Vec::new();
    let mut problems = Vec::new();
    for part in text
        .split([',', ';', '\n'])
        .filter(|p| !p.trim().is_empty())
    {
        match guardian_address(part) {
            Ok(address) => addresses.push(address),
            Err(problem) => problems.push(problem),
        }
    }
    addresses.sort();
    addresses.dedup();
    if addresses.len() > MAX_GUARDIANS {
        problems.push(format!(
            "A student can have at most {MAX_GUARDIANS} guardian addresses."
        ));
    }
    if problems.is_empty() {
        Ok(addresses)
    } else {
        Err(problems)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Teachers: students checked in (batched: "12 students checked in to Biology 9A").
    CheckIns,
    /// Teachers: a student arrived late.
    LateArrival,
    /// Teachers: a check-in waits for their review.
    CheckInHeld,
    /// Students: a teacher marked them (or changed their mark), or they were marked absent
    /// when the session ended.
    MarkedByTeacher,
    /// Students, teachers, optionally admins and guardians: a student crossed an absence rule.
    AbsenceWarning,
}

/// The ways a notification reaches someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ways {
    pub in_app: bool,
    pub push: bool,
    pub email: bool,
}

impl Ways {
    pub const OFF: Ways = Ways {
        in_app: false,
        push: false,
        email: false,
    };
    const IN_APP: Ways = Ways {
        in_app: true,
        push: false,
        email: false,
    };
    const IN_APP_AND_PUSH: Ways = Ways {
        in_app: true,
        push: true,
        email: false,
    };
}

/// Urgency of a push (RFC 8030 §5.3): a phone on battery may hold back low ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Urgency {
    VeryLow,
    Low,
    Normal,
    High,
}

impl Urgency {
    pub fn header_value(self) -> &'static str {
        match self {
            Urgency::VeryLow => "very-low",
            Urgency::Low => "low",
            Urgency::Normal => "normal",
            Urgency::High => "high",
        }
    }
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 5] = [
        NotificationKind::CheckIns,
        NotificationKind::LateArrival,
        NotificationKind::CheckInHeld,
        NotificationKind::MarkedByTeacher,
        NotificationKind::AbsenceWarning,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::CheckIns => "check_ins",
            NotificationKind::LateArrival => "late_arrival",
            NotificationKind::CheckInHeld => "check_in_held",
            NotificationKind::MarkedByTeacher => "marked_by_teacher",
            NotificationKind::AbsenceWarning => "absence_warning",
        }
    }

    pub fn parse(text: &str) -> Option<NotificationKind> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// For the settings page.
    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::CheckIns => "Students checking in",
            NotificationKind::LateArrival => "Late arrivals",
            NotificationKind::CheckInHeld => "Check-ins waiting for my review",
            NotificationKind::MarkedByTeacher => "My attendance was marked",
            NotificationKind::AbsenceWarning => "Absence warnings",
        }
    }

    /// Who may get this kind at all.
    pub fn for_role(self, role: Role) -> bool {
        match self {
            NotificationKind::CheckIns
            | NotificationKind::LateArrival
            | NotificationKind::CheckInHeld => role != Role::Student,
            NotificationKind::MarkedByTeacher => role == Role::Student,
            NotificationKind::AbsenceWarning => true,
        }
    }

    /// The ways a person gets this kind until they choose otherwise: what needs them pushes,
    /// the rest waits in the inbox.
    pub fn default_ways(self, role: Role) -> Ways {
        if !self.for_role(role) {
            return Ways::OFF;
        }
        match self {
            NotificationKind::CheckIns | NotificationKind::LateArrival => Ways::IN_APP,
            NotificationKind::CheckInHeld
            | NotificationKind::MarkedByTeacher
            | NotificationKind::AbsenceWarning => Ways::IN_APP_AND_PUSH,
        }
    }

    /// How long a push service keeps an undelivered push (TTL): news of a check-in is stale
    /// within the lesson, a warning still matters tomorrow.
    pub fn ttl_seconds(self) -> u32 {
        match self {
            NotificationKind::CheckIns | NotificationKind::LateArrival => 30 * 60,
            NotificationKind::CheckInHeld => 2 * 60 * 60,
            NotificationKind::MarkedByTeacher => 24 * 60 * 60,
            NotificationKind::AbsenceWarning => 3 * 24 * 60 * 60,
        }
    }

    pub fn urgency(self) -> Urgency {
        match self {
            NotificationKind::CheckIns => Urgency::Low,
            NotificationKind::LateArrival | NotificationKind::MarkedByTeacher => Urgency::Normal,
            NotificationKind::CheckInHeld | NotificationKind::AbsenceWarning => Urgency::High,
        }
    }

    /// The push `Topic` (RFC 8030 §5.4: at most 32 URL-safe characters): a newer push with the
    /// same topic replaces one still waiting, so a phone that was off gets the latest state of
    /// each subject, not a backlog. `subject` is what it is about (a session, a student).
    pub fn topic(self, subject: i64) -> String {
        let short = match self {
            NotificationKind::CheckIns => "ci",
            NotificationKind::LateArrival => "late",
            NotificationKind::CheckInHeld => "held",
            NotificationKind::MarkedByTeacher => "mark",
            NotificationKind::AbsenceWarning => "warn",
        };
        format!("{short}-{subject}")
    }

    /// How long a burst of this kind is gathered into one notification (0: sent one by one).
    pub fn batch_window_ms(self) -> i64 {
        match self {
            NotificationKind::CheckIns => 60_000,
            NotificationKind::LateArrival => 30_000,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn guardian_lists_are_split_checked_and_every_problem_reported() {
        assert_eq!(
            guardian_address(" Parent@Example.org ").unwrap(),
            "parent@example.org"
        );
        assert!(guardian_address("not an address").is_err());
        assert!(guardian_address("a@").is_err());
        assert_eq!(
            guardian_addresses("Mum@Example.org; dad@example.org,\nmum@example.org").unwrap(),
            ["dad@example.org", "mum@example.org"]
        );
        assert_eq!(guardian_addresses(" ; ").unwrap(), Vec::<String>::new());
        let problems = guardian_addresses("a@, ok@example.org; nope").unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        let six = (1..=6)
            .map(|n| format!("g{n}@example.org"))
            .collect::<Vec<_>>();
        let too_many = guardian_addresses(&six.join(";")).unwrap_err();
        assert_eq!(
            too_many,
            ["A student can have at most 5 guardian addresses."]
        );
    }

    #[test]
    fn kinds_round_trip_and_go_only_to_the_roles_they_concern() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(NotificationKind::parse("spam"), None);
        assert_eq!(
            NotificationKind::CheckIns.default_ways(Role::Student),
            Ways::OFF
        );
        assert_eq!(
            NotificationKind::MarkedByTeacher.default_ways(Role::Teacher),
            Ways::OFF
        );
        assert!(
            NotificationKind::CheckInHeld
                .default_ways(Role::Teacher)
                .push
        );
        assert!(!NotificationKind::CheckIns.default_ways(Role::Teacher).push);
        assert!(
            NotificationKind::AbsenceWarning
                .default_ways(Role::Student)
                .push
        );
    }

    #[test]
    fn topics_are_short_url_safe_and_per_subject() {
        for kind in NotificationKind::ALL {
            let topic = kind.topic(i64::MAX);
            assert!(topic.len() <= 32, "{topic}");
            assert!(topic
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert_ne!(kind.topic(1), kind.topic(2));
        }
        assert!(
            NotificationKind::CheckIns.ttl_seconds()
                < NotificationKind::AbsenceWarning.ttl_seconds()
        );
        assert_eq!(
            NotificationKind::CheckInHeld.urgency().header_value(),
            "high"
        );
    }
}
