//! Pure attendance domain: types and rules shared by server and browser. No I/O here.

pub mod attendance;
pub mod check_in_link;
pub mod check_in_refusal;
pub mod check_in_review;
pub mod check_in_rules;
pub mod counts;
pub mod excuse;
pub mod import;
pub mod jobs;
pub mod join_code;
pub mod notify;
pub mod outbox;
pub mod password;
pub mod redirect;
pub mod report;
#[cfg(test)]
mod report_tests;
pub mod rotating_code;
pub mod session;
pub mod time;
pub mod timetable;
pub mod user;
#[cfg(feature = "ssr")]
pub mod zone;

pub use attendance::*;
pub use check_in_refusal::CheckInRefusal;
pub use check_in_rules::{CheckInRules, HoldReason, NetworkRule};
pub use counts::AttendanceCounts;
pub use join_code::JoinCode;
pub use session::*;
pub use user::*;
