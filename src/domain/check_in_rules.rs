//! How a session checks students in: a fixed or a rotating code, and two optional guards (one
//! student per device, the school's network). A class has rules; each session copies them when
//! it opens and its teacher may change them for that session. Everything is off by default.

use super::rotating_code::{DEFAULT_PERIOD_SECONDS, MAX_PERIOD_SECONDS, MIN_PERIOD_SECONDS};
use super::CheckInRefusal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInRules {
    /// `None`: one code for the whole session. `Some(s)`: a new code every `s` seconds.
    #[serde(default)]
    pub rotate_every_seconds: Option<u32>,
    /// A second student checking in from a device that already checked someone in to this
    /// session is held for the teacher's review.
    #[serde(default)]
    pub one_student_per_device: bool,
    #[serde(default)]
    pub network: NetworkRule,
    /// The class's own networks (addresses or CIDR ranges); empty: the school's
    /// (`ROLLCALL_CHECK_IN_NETWORKS`).
    #[serde(default)]
    pub networks: Vec<String>,
}

impl Default for CheckInRules {
    fn default() -> Self {
        CheckInRules {
            rotate_every_seconds: None,
            one_student_per_device: false,
            network: NetworkRule::Anywhere,
            networks: Vec::new(),
        }
    }
}

/// What happens to a check-in from outside the allowed networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkRule {
    #[default]
    Anywhere,
    /// Held for the teacher's review.
    Review,
    Refuse,
}

impl NetworkRule {
    pub const ALL: [NetworkRule; 3] = [
        NetworkRule::Anywhere,
        NetworkRule::Review,
        NetworkRule::Refuse,
    ];

    pub fn key(self) -> &'static str {
        match self {
            NetworkRule::Anywhere => "anywhere",
            NetworkRule::Review => "review",
            NetworkRule::Refuse => "refuse",
        }
    }

    pub fn from_key(key: &str) -> Option<NetworkRule> {
        NetworkRule::ALL.into_iter().find(|rule| rule.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            NetworkRule::Anywhere => "from anywhere",
            NetworkRule::Review => "outside the school network: hold for my review",
            NetworkRule::Refuse => "outside the school network: refuse",
        }
    }
}

/// Most networks one class may list.
pub const MAX_NETWORKS: usize = 32;

impl CheckInRules {
    /// The same rules with a rotating code every `DEFAULT_PERIOD_SECONDS`.
    pub fn rotating() -> CheckInRules {
        CheckInRules {
            rotate_every_seconds: Some(DEFAULT_PERIOD_SECONDS),
            ..CheckInRules::default()
        }
    }

    /// Checks what a person could get wrong; the networks' syntax is checked by the server.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(seconds) = self.rotate_every_seconds {
            if !(MIN_PERIOD_SECONDS..=MAX_PERIOD_SECONDS).contains(&seconds) {
                return Err(format!(
                    "A rotating code changes every {MIN_PERIOD_SECONDS} to {MAX_PERIOD_SECONDS} \
                     seconds."
                ));
            }
        }
        if self.networks.len() > MAX_NETWORKS {
            return Err(format!("List at most {MAX_NETWORKS} networks."));
        }
        Ok(())
    }

    /// One line for the dashboard: "Code changes every 15 s · one student per device".
    pub fn summary(&self) -> String {
        let mut parts = vec![match self.rotate_every_seconds {
            Some(seconds) => format!("Code changes every {seconds} s"),
            None => "Fixed code".to_string(),
        }];
        if self.one_student_per_device {
            parts.push("one student per device".into());
        }
        match self.network {
            NetworkRule::Anywhere => {}
            NetworkRule::Review => parts.push("outside the network: review".into()),
            NetworkRule::Refuse => parts.push("outside the network: refused".into()),
        }
        parts.join(" · ")
    }
}

/// Why a check-in waits for the teacher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    /// This device already checked another student in to the session.
    SharedDevice,
    /// The request came from outside the allowed networks.
    OutsideNetwork,
    /// Made offline and synced after the session closed (or with a code that had expired),
    /// without a scanned code that proves when.
    Unproven,
}

impl HoldReason {
    pub fn key(self) -> &'static str {
        match self {
            HoldReason::SharedDevice => "shared_device",
            HoldReason::OutsideNetwork => "outside_network",
            HoldReason::Unproven => "unproven",
        }
    }

    pub fn from_key(key: &str) -> Option<HoldReason> {
        [
            HoldReason::SharedDevice,
            HoldReason::OutsideNetwork,
            HoldReason::Unproven,
        ]
        .into_iter()
        .find(|reason| reason.key() == key)
    }

    /// For the teacher's review queue.
    pub fn label(self) -> &'static str {
        match self {
            HoldReason::SharedDevice => "device already checked in another student",
            HoldReason::OutsideNetwork => "outside the school network",
            HoldReason::Unproven => "made offline, arrived late, no proof of time",
        }
    }
}

/// How a held check-in left the review queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    Accepted,
    Rejected,
    /// The student checked in again and was accepted, or a teacher marked them.
    Superseded,
}

impl ReviewDecision {
    pub fn key(self) -> &'static str {
        match self {
            ReviewDecision::Accepted => "accepted",
            ReviewDecision::Rejected => "rejected",
            ReviewDecision::Superseded => "superseded",
        }
    }

    pub fn from_key(key: &str) -> Option<ReviewDecision> {
        [
            ReviewDecision::Accepted,
            ReviewDecision::Rejected,
            ReviewDecision::Superseded,
        ]
        .into_iter()
        .find(|decision| decision.key() == key)
    }
}

/// Reasons as stored: keys joined by commas.
pub fn reasons_key(reasons: &[HoldReason]) -> String {
    reasons
        .iter()
        .map(|r| r.key())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn reasons_from_key(key: &str) -> Vec<HoldReason> {
    key.split(',').filter_map(HoldReason::from_key).collect()
}

/// What the student is told while their check-in waits.
pub fn held_message(reasons: &[HoldReason]) -> String {
    let why: Vec<&str> = reasons
        .iter()
        .map(|reason| match reason {
            HoldReason::SharedDevice => "this device already checked in another student",
            HoldReason::OutsideNetwork => "you are not on the school's network",
            HoldReason::Unproven => "it reached the server after check-in had closed",
        })
        .collect();
    format!(
        "Your check-in is waiting for your teacher to confirm it, because {}.",
        why.join(" and ")
    )
}

/// What the server found out about the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardFacts {
    /// This device already checked in (or is waiting for) another student of the session.
    pub device_used_by_another: bool,
    /// Whether the client address is in the allowed networks; `None` when no list applies.
    pub inside_network: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardVerdict {
    Accept,
    Hold(Vec<HoldReason>),
    Refuse(CheckInRefusal),
}

/// The guards' answer to an otherwise acceptable check-in.
pub fn guard_check_in(rules: &CheckInRules, facts: GuardFacts) -> GuardVerdict {
    let outside = facts.inside_network == Some(false);
    if outside && rules.network == NetworkRule::Refuse {
        return GuardVerdict::Refuse(CheckInRefusal::OutsideNetwork);
    }
    let mut reasons = Vec::new();
    if rules.one_student_per_device && facts.device_used_by_another {
        reasons.push(HoldReason::SharedDevice);
    }
    if outside && rules.network == NetworkRule::Review {
        reasons.push(HoldReason::OutsideNetwork);
    }
    if reasons.is_empty() {
        GuardVerdict::Accept
    } else {
        GuardVerdict::Hold(reasons)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(shared: bool, inside: Option<bool>) -> GuardFacts {
        GuardFacts {
            device_used_by_another: shared,
            inside_network: inside,
        }
    }

    #[test]
    fn guards_are_off_by_default() {
        let rules = CheckInRules::default();
        for shared in [false, true] {
            for inside in [None, Some(false), Some(true)] {
                assert_eq!(
                    guard_check_in(&rules, facts(shared, inside)),
                    GuardVerdict::Accept
                );
            }
        }
    }

    #[test]
    fn a_shared_device_is_held_and_an_outside_network_held_or_refused() {
        let device = CheckInRules {
            one_student_per_device: true,
            ..CheckInRules::default()
        };
        assert_eq!(
            guard_check_in(&device, facts(true, None)),
            GuardVerdict::Hold(vec![HoldReason::SharedDevice])
        );
        assert_eq!(
            guard_check_in(&device, facts(false, Some(false))),
            GuardVerdict::Accept
        );
        let review = CheckInRules {
            one_student_per_device: true,
            network: NetworkRule::Review,
            ..CheckInRules::default()
        };
        assert_eq!(
            guard_check_in(&review, facts(true, Some(false))),
            GuardVerdict::Hold(vec![HoldReason::SharedDevice, HoldReason::OutsideNetwork])
        );
        assert_eq!(
            guard_check_in(&review, facts(false, Some(true))),
            GuardVerdict::Accept
        );
        // No list to check against (none configured): nobody is outside.
        assert_eq!(
            guard_check_in(&review, facts(false, None)),
            GuardVerdict::Accept
        );
        let refuse = CheckInRules {
            one_student_per_device: true,
            network: NetworkRule::Refuse,
            ..CheckInRules::default()
        };
        assert_eq!(
            guard_check_in(&refuse, facts(true, Some(false))),
            GuardVerdict::Refuse(CheckInRefusal::OutsideNetwork)
        );
    }

    #[test]
    fn rules_are_validated_and_read_back() {
        assert!(CheckInRules::rotating().validate().is_ok());
        for bad in [0, 4, 301] {
            let rules = CheckInRules {
                rotate_every_seconds: Some(bad),
                ..CheckInRules::default()
            };
            assert!(rules.validate().unwrap_err().contains("5 to 300"));
        }
        let many = CheckInRules {
            networks: vec!["10.0.0.0/8".into(); MAX_NETWORKS + 1],
            ..CheckInRules::default()
        };
        assert!(many.validate().is_err());
        // Rules stored before a field existed read with that field's default.
        let old: CheckInRules = serde_json::from_str(r#"{"rotate_every_seconds":20}"#).unwrap();
        assert_eq!(old.rotate_every_seconds, Some(20));
        assert_eq!(old.network, NetworkRule::Anywhere);
        let reasons = [HoldReason::SharedDevice, HoldReason::OutsideNetwork];
        assert_eq!(reasons_from_key(&reasons_key(&reasons)), reasons);
        assert!(held_message(&reasons).contains(" and "));
        assert_eq!(
            CheckInRules::rotating().summary(),
            "Code changes every 15 s"
        );
    }
}
