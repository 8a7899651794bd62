//! What makes a password acceptable when one is chosen (changed, reset or set up from the
//! command line). Signing in never checks these rules: old passwords keep working.
//!
//! At least 10 characters: long enough that the easy choice is a short phrase ("blue kite
//! garden") rather than a word and a digit, and short enough that a pupil can type it on a
//! phone. Guessing is slowed by sign-in rate limits and argon2, so length matters less than
//! avoiding the passwords every attacker tries first, which the list below refuses.

/// Fewest characters (not bytes) a new password may have.
pub const MIN_CHARS: usize = 10;
/// Most bytes a password may have: argon2 hashes any length, but nothing longer is needed.
pub const MAX_BYTES: usize = 128;

/// Passwords at the top of every leaked-password list (10 characters or more, since shorter ones
/// fail the length rule anyway), plus the demo school's published passwords. Compared
/// without regard to case.
const COMMON: &[&str] = &[
    "1234567890",
    "0123456789",
    "0987654321",
    "1111111111",
    "1234512345",
    "123456789a",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "qwertyuiop",
    "qwerty1234",
    "qwerty12345",
    "asdfghjkl1",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "iloveyou12",
    "iloveyou123",
    "abcdefghij",
    "abc1234567",
    "abcd123456",
    "welcome123",
    "letmein123",
    "changeme123",
    "administrator",
    "admin12345",
    "admin123456",
    "football123",
    "baseball123",
    "sunshine123",
    "princess123",
    "school1234",
    "student123",
    "teacher123",
    "rollcall123",
    "admin-demo",
    "teacher-demo",
    "student-demo",
];

/// Checks a new password for `username`; the error is a sentence to show as it is.
pub fn check_new_password(username: &str, password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(format!(
            "Choose a password of at least {MIN_CHARS} characters (a short phrase works well)."
        ));
    }
    if password.len() > MAX_BYTES {
        return Err(format!(
            "That password is too long: at most {MAX_BYTES} bytes, please."
        ));
    }
    let lower = password.to_lowercase();
    let name = username.trim().to_lowercase();
    if !name.is_empty() && lower.contains(&name) {
        return Err("Your password must not contain your username.".into());
    }
    let first = lower.chars().next();
    let one_character_repeated = lower.chars().all(|c| Some(c) == first);
    if COMMON.contains(&lower.as_str()) || one_character_repeated {
        return Err(
            "That password is one of the first ones anybody would guess. Choose another.".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_phrase_is_accepted() {
        assert_eq!(check_new_password("rivera", "blue kite garden"), Ok(()));
        assert_eq!(check_new_password("rivera", "ten chars!"), Ok(()));
    }

    #[test]
    fn too_short_and_too_long_are_refused_with_the_limit() {
        let short = check_new_password("rivera", "nine char").unwrap_err();
        assert!(short.contains("at least 10"), "{short}");
        // Characters, not bytes: ten accented letters are ten characters.
        assert_eq!(check_new_password("rivera", "éàüöçñßøåæ"), Ok(()));
        assert!(check_new_password("rivera", &"x".repeat(128)).is_err()); // repeated: common
        assert_eq!(check_new_password("rivera", &"xy".repeat(64)), Ok(()));
        let long = check_new_password("rivera", &"xy".repeat(64).replace("xy", "xyz")).unwrap_err();
        assert!(long.contains("at most 128 bytes"), "{long}");
    }

    #[test]
    fn the_username_may_not_be_part_of_it() {
        let error = check_new_password("rivera", "Rivera-2026!").unwrap_err();
        assert!(error.contains("username"), "{error}");
        assert!(check_new_password("rivera", "my rivera garden").is_err());
    }

    #[test]
    fn common_and_published_passwords_are_refused_in_any_case() {
        for password in [
            "1234567890",
            "QwertyUIOP",
            "Password123",
            "admin-demo",
            "aaaaaaaaaaaa",
        ] {
            let error = check_new_password("someone", password).unwrap_err();
            assert!(error.contains("guess"), "{password}: {error}");
        }
    }
}
