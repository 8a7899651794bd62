//! Why a check-in was refused: each reason reads as a sentence a student understands, and
//! tells the teacher what happened.

use serde::{Deserialize, Serialize};

/// Why a check-in was refused; each reads as a sentence a student understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckInRefusal {
    WrongCode,
    SessionClosed,
    NotOnRoster,
    /// A rotating code from a window that has passed (a photo of the screen, or a slow scan).
    CodeExpired,
    /// The class accepts check-ins only from its networks, and this one came from elsewhere.
    OutsideNetwork,
}

impl CheckInRefusal {
    pub const ALL: [CheckInRefusal; 5] = [
        CheckInRefusal::WrongCode,
        CheckInRefusal::SessionClosed,
        CheckInRefusal::NotOnRoster,
        CheckInRefusal::CodeExpired,
        CheckInRefusal::OutsideNetwork,
    ];

    /// As stored and sent.
    pub fn key(self) -> &'static str {
        match self {
            CheckInRefusal::WrongCode => "wrong_code",
            CheckInRefusal::SessionClosed => "session_closed",
            CheckInRefusal::NotOnRoster => "not_on_roster",
            CheckInRefusal::CodeExpired => "code_expired",
            CheckInRefusal::OutsideNetwork => "outside_network",
        }
    }

    pub fn from_key(key: &str) -> Option<CheckInRefusal> {
        CheckInRefusal::ALL.into_iter().find(|r| r.key() == key)
    }

    /// For the audit view.
    pub fn label(self) -> &'static str {
        match self {
            CheckInRefusal::WrongCode => "wrong code",
            CheckInRefusal::SessionClosed => "session closed",
            CheckInRefusal::NotOnRoster => "not on the roster",
            CheckInRefusal::CodeExpired => "expired code",
            CheckInRefusal::OutsideNetwork => "outside the school network",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            CheckInRefusal::WrongCode => {
                "No open session has that code. Check the code on the board and try again."
            }
            CheckInRefusal::SessionClosed => {
                "This session is closed, so check-in is no longer possible. Talk to your teacher."
            }
            CheckInRefusal::NotOnRoster => {
                "You are not on the roster of this class. Talk to your teacher."
            }
            CheckInRefusal::CodeExpired => {
                "That code has expired. Scan the code on the board again, or type the one it \
                 shows now."
            }
            CheckInRefusal::OutsideNetwork => {
                "This class takes check-ins only from the school's network. Connect to the \
                 school Wi-Fi and try again."
            }
        }
    }

    /// What the teacher is told about a refused attempt.
    pub fn teacher_notice(self, student_name: &str, code: &str) -> String {
        match self {
            CheckInRefusal::WrongCode => format!("{student_name} tried a wrong code ({code})."),
            CheckInRefusal::SessionClosed => {
                format!("{student_name} tried to check in after closing.")
            }
            CheckInRefusal::NotOnRoster => {
                format!("{student_name} is not on the roster but tried to check in.")
            }
            CheckInRefusal::CodeExpired => {
                format!("{student_name} tried an expired code ({code}).")
            }
            CheckInRefusal::OutsideNetwork => {
                format!("{student_name} tried to check in from outside the school network.")
            }
        }
    }
}
