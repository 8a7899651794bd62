//! Importing people and enrolments from CSV: reading the file into rows (every error with its
//! line number), and planning what each row does to the school as it is. Pure: the store
//! supplies the school and writes the plan.
//!
//! Format: a header line naming the columns (any order, any case) `username`, `display_name`,
//! `role` (required) and `classes`, `password` (optional); then one line per person.
//! `classes` is a `;`-separated list of existing class names: a student is enrolled in them, a
//! teacher teaches them. `password` is used only for a new account. UTF-8, a byte-order mark is
//! fine. Import only adds: it never removes people or enrolments.

use super::Role;
#[cfg(feature = "ssr")]
pub use planning::*;
#[cfg(feature = "ssr")]
pub use reading::*;
use serde::{Deserialize, Serialize};

pub const TEMPLATE: &str = "username,display_name,role,classes,password,guardian_emails\n\
ava.adams,Ava Adams,student,Biology 9A;History 9C,,parent@example.org\n\
m.rivera,Ms. Rivera,teacher,Biology 9A,,\n";

/// Most rows one file may have.
pub const MAX_ROWS: usize = 20_000;

/// An error in the file, on a line (1 is the header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

/// What a row will do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    Create,
    Update,
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowPlan {
    pub line: u64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub action: RowAction,
    /// What changes, in words ("name: Ann → Anna", "enrol in Biology 9A").
    pub changes: Vec<String>,
    /// Class names to add them to (enrol a student, or add a teacher).
    pub add_classes: Vec<String>,
    /// The guardian addresses to record, when they change.
    #[serde(default)]
    pub set_guardians: Option<Vec<String>>,
    /// A new account without a password in the file gets a generated one-time password.
    pub generated_password: bool,
    #[serde(skip)]
    pub password: Option<String>,
}

/// The plan as text, the same for the same plan: what the preview's digest is taken of, so the
/// apply step can tell whether the school changed since the preview.
pub fn plan_text(plans: &[RowPlan]) -> String {
    plans
        .iter()
        .map(|p| {
            format!(
                "{}|{}|{:?}|{}|{}\n",
                p.line,
                p.username,
                p.action,
                p.changes.join(";"),
                p.generated_password
            )
        })
        .collect()
}

#[cfg(feature = "ssr")]
#[path = "import_read.rs"]
mod reading;

#[cfg(feature = "ssr")]
#[path = "import_plan.rs"]
mod planning;

#[cfg(all(test, feature = "ssr"))]
#[path = "import_tests.rs"]
mod tests;
