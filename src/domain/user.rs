use serde::{Deserialize, Serialize};

pub type UserId = i64;
pub type ClassId = i64;
pub type SessionId = i64;

/// What a person may do in Rollcall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Teacher,
    Student,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Teacher => "teacher",
            Role::Student => "student",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "teacher" => Some(Role::Teacher),
            "student" => Some(Role::Student),
            _ => None,
        }
    }

    /// Where this role lands after signing in.
    pub fn home_path(self) -> &'static str {
        match self {
            Role::Admin => "/admin",
            Role::Teacher => "/teacher",
            Role::Student => "/checkin",
        }
    }
}

/// The signed-in person, as every page and server function sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// An administrator reset the password: until a new one is chosen, only signing out and
    /// changing the password are allowed.
    #[serde(default)]
    pub must_change_password: bool,
}

/// Who may run a class's sessions (see its roster and marks, open, mark, close): one of the
/// class's teachers (co-teachers and substitutes included), or any admin. The one statement of
/// that rule; every check calls it.
pub fn may_run_class(user: &CurrentUser, class_teachers: &[UserId]) -> bool {
    match user.role {
        Role::Admin => true,
        Role::Teacher => class_teachers.contains(&user.id),
        Role::Student => false,
    }
}

/// A person's name as shown to others: 1–100 characters, no control characters.
pub fn parse_display_name(text: &str) -> Result<String, String> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err("Give a name of 1 to 100 characters.".into());
    }
    Ok(name.to_string())
}

/// A login name: 1–64 characters of letters, digits, `.`, `-`, `_`; compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(text: &str) -> Result<Username, String> {
        let text = text.trim().to_ascii_lowercase();
        if text.is_empty() {
            return Err("Enter your username.".into());
        }
        if text.len() > 64
            || !text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            return Err("That is not a valid username.".into());
        }
        Ok(Username(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(
            Username::parse("  Ms.Rivera ").unwrap().as_str(),
            "ms.rivera"
        );
        assert!(Username::parse("").is_err());
        assert!(Username::parse("a b").is_err());
        assert!(Username::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn a_class_is_run_by_its_teacher_or_an_admin() {
        let user = |id, role| CurrentUser {
            id,
            username: format!("u{id}"),
            display_name: String::new(),
            role,
            must_change_password: false,
        };
        assert!(may_run_class(&user(7, Role::Teacher), &[7]));
        assert!(may_run_class(&user(8, Role::Teacher), &[7, 8]));
        assert!(!may_run_class(&user(8, Role::Teacher), &[7]));
        assert!(!may_run_class(&user(8, Role::Teacher), &[]));
        assert!(may_run_class(&user(1, Role::Admin), &[7]));
        assert!(may_run_class(&user(1, Role::Admin), &[]));
        assert!(!may_run_class(&user(7, Role::Student), &[7]));
    }

    #[test]
    fn roles_round_trip() {
        for role in [Role::Admin, Role::Teacher, Role::Student] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
