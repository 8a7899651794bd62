//! Planning imported rows against the school: what each row creates or changes, and what
//! cannot happen (server only).

use super::reading::error;
use super::*;
use std::collections::{HashMap, HashSet};

/// A person already in the school, as planning needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct ExistingUser {
    pub id: i64,
    pub display_name: String,
    pub role: Role,
    /// Classes they are enrolled in or teach, by class id.
    pub classes: HashSet<i64>,
    /// Their guardians' addresses, sorted.
    pub guardians: Vec<String>,
}

/// The school as the import sees it.
#[derive(Debug, Clone, Default)]
pub struct School {
    pub users: HashMap<String, ExistingUser>,
    /// Class ids by name.
    pub classes: HashMap<String, i64>,
}

/// Plans every row against the school; errors (unknown classes, role changes that cannot
/// happen) carry their line. `acting_admin` may not demote themselves.
pub fn plan(
    rows: Vec<ImportRow>,
    school: &School,
    acting_admin: &str,
) -> Result<Vec<RowPlan>, Vec<LineError>> {
    let mut errors = Vec::new();
    let mut plans = Vec::new();
    for row in rows {
        let mut class_ids = Vec::new();
        for name in &row.classes {
            match school.classes.get(name) {
                Some(id) => class_ids.push((*id, name.clone())),
                None => errors.push(error(row.line, unknown_class(name, school))),
            }
        }
        let existing = school.users.get(&row.username);
        let mut changes = Vec::new();
        if let Some(user) = existing {
            if user.display_name != row.display_name {
                changes.push(format!(
                    "name: {} → {}",
                    user.display_name, row.display_name
                ));
            }
            if user.role != row.role {
                if row.username == acting_admin {
                    errors.push(error(row.line, "You cannot change your own role."));
                } else if !user.classes.is_empty() {
                    errors.push(error(
                        row.line,
                        format!(
                            "{} is a {} in classes; a role change must be done by hand after removing them.",
                            row.username,
                            user.role.as_str()
                        ),
                    ));
                }
                changes.push(format!(
                    "role: {} → {}",
                    user.role.as_str(),
                    row.role.as_str()
                ));
            }
        }
        let member_of = existing.map(|u| &u.classes);
        let add_classes: Vec<String> = class_ids
            .into_iter()
            .filter(|(id, _)| !member_of.is_some_and(|c| c.contains(id)))
            .map(|(_, name)| name)
            .collect();
        let verb = if row.role == Role::Teacher {
            "teach"
        } else {
            "enrol in"
        };
        changes.extend(add_classes.iter().map(|c| format!("{verb} {c}")));
        let set_guardians = (!row.guardians.is_empty()
            && existing.is_none_or(|user| user.guardians != row.guardians))
        .then(|| row.guardians.clone());
        if let Some(guardians) = &set_guardians {
            changes.push(format!("guardians: {}", guardians.join(", ")));
        }
        let action = match (existing, changes.is_empty()) {
            (None, _) => RowAction::Create,
            (Some(_), true) => RowAction::Unchanged,
            (Some(_), false) => RowAction::Update,
        };
        plans.push(RowPlan {
            line: row.line,
            generated_password: existing.is_none() && row.password.is_none(),
            username: row.username,
            display_name: row.display_name,
            role: row.role,
            action,
            changes,
            add_classes,
            set_guardians,
            password: row.password.filter(|_| existing.is_none()),
        });
    }
    if errors.is_empty() {
        Ok(plans)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

fn unknown_class(name: &str, school: &School) -> String {
    let wanted = name.to_lowercase();
    // The nearest name by edits (a typo), or one that differs only in case or length.
    let close = school
        .classes
        .keys()
        .map(|known| (strsim::levenshtein(&known.to_lowercase(), &wanted), known))
        .filter(|(distance, known)| {
            *distance <= 2
                || known.to_lowercase().contains(&wanted)
                || wanted.contains(&known.to_lowercase())
        })
        .min();
    match close {
        Some((_, guess)) => {
            format!("There is no class called '{name}'. Did you mean '{guess}'?")
        }
        None => format!("There is no class called '{name}'. Create it first, then import."),
    }
}
