//! Plain HTML forms, for a browser whose WebAssembly has not loaded (yet, or at all): signing
//! in, checking in and the teacher's mark buttons post here as
//! `application/x-www-form-urlencoded`. Each runs the same server function as the hydrated
//! page, then answers `303 See Other`: back to the page, with what happened as a known *key* in
//! the address (never free text, so a crafted link cannot put words of its own on the page).

use crate::domain::check_in_refusal::CheckInRefusal;
use crate::domain::{AttendanceStatus, SessionId};
use crate::error::{AppError, ErrorKind};

/// The sign-in form posts here.
pub const LOGIN_FORM_PATH: &str = "/login";
/// The check-in form posts here (the page itself is a GET of the same path).
pub const CHECK_IN_FORM_PATH: &str = "/checkin";

/// Where a roster row's mark buttons post: `/teacher/sessions/<id>/mark`.
pub fn mark_form_path(session_id: SessionId) -> String {
    format!("/teacher/sessions/{session_id}/mark")
}

/// Whether a POST to `path` is one of these forms (their body is url-encoded, not JSON).
pub fn is_plain_form_path(path: &str) -> bool {
    path == LOGIN_FORM_PATH
        || path == CHECK_IN_FORM_PATH
        || path
            .strip_prefix("/teacher/sessions/")
            .and_then(|rest| rest.strip_suffix("/mark"))
            .is_some_and(|id| id.parse::<SessionId>().is_ok())
}

/// The key of a failure as it travels in the address: a refusal's own key, else the kind.
pub fn failure_key(error: &AppError) -> &'static str {
    if let Some(refusal) = CheckInRefusal::ALL
        .into_iter()
        .find(|r| r.message() == error.message)
    {
        return refusal.key();
    }
    error.kind.as_str()
}

/// The sentence for a failed form sign-in, from its key.
pub fn sign_in_failure(key: &str) -> AppError {
    let (kind, message) = match key {
        "unauthenticated" => (ErrorKind::Unauthenticated, "Wrong username or password."),
        "too_many_requests" => (
            ErrorKind::TooManyRequests,
            "Too many sign-in attempts. Please wait a minute, then try again.",
        ),
        "bad_request" => (ErrorKind::BadRequest, "Enter your username and password."),
        _ => (
            ErrorKind::Internal,
            "Signing in did not work. Please try again.",
        ),
    };
    AppError::new(kind, message)
}

/// The sentence for a failed check-in form, from its key.
pub fn check_in_failure(key: &str) -> AppError {
    if let Some(refusal) = CheckInRefusal::from_key(key) {
        return AppError::new(ErrorKind::Conflict, refusal.message());
    }
    let (kind, message) = match key {
        "bad_request" => (
            ErrorKind::BadRequest,
            "That is not a join code. A code is the letters and digits on the board.",
        ),
        "unauthenticated" => (
            ErrorKind::Unauthenticated,
            "Your sign-in has ended. Sign in again, then check in.",
        ),
        "forbidden" => (ErrorKind::Forbidden, "Only students check in."),
        "too_many_requests" => (
            ErrorKind::TooManyRequests,
            "Too many check-in attempts. Please wait a minute, then try again.",
        ),
        _ => (
            ErrorKind::Internal,
            "Checking in did not work. Please try again.",
        ),
    };
    AppError::new(kind, message)
}

/// The sentence for a successful check-in form (the receipt's details are in the history).
pub fn check_in_success(key: &str) -> Option<&'static str> {
    match key {
        "held" => Some("Your check-in was received and waits for your teacher's review."),
        "already" => Some("You were already checked in to this session."),
        "" => None,
        _ => AttendanceStatus::parse(key).map(|status| match status {
            AttendanceStatus::Late => "You're checked in, but late.",
            _ => "You're checked in: present.",
        }),
    }
}

/// The sentence for a failed mark from the roster's plain form.
pub fn mark_failure(key: &str) -> AppError {
    let (kind, message) = match key {
        "bad_request" => (ErrorKind::BadRequest, "That mark was not understood."),
        "unauthenticated" => (
            ErrorKind::Unauthenticated,
            "Your sign-in has ended. Sign in again, then mark.",
        ),
        "forbidden" | "not_found" => (
            ErrorKind::Forbidden,
            "That student or session is not one you can mark.",
        ),
        "conflict" => (
            ErrorKind::Conflict,
            "This session has not started yet, so nobody can be marked.",
        ),
        _ => (
            ErrorKind::Internal,
            "The mark was not saved. Please try again.",
        ),
    };
    AppError::new(kind, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_paths_are_exactly_the_three_forms() {
        assert!(is_plain_form_path("/login"));
        assert!(is_plain_form_path("/checkin"));
        assert!(is_plain_form_path(&mark_form_path(42)));
        for other in [
            "/checkin/ABC",
            "/teacher/sessions/x/mark",
            "/teacher/sessions//mark",
            "/teacher/sessions/1/marks",
            "/api/check_in",
        ] {
            assert!(!is_plain_form_path(other), "{other}");
        }
    }

    #[test]
    fn a_refusal_travels_as_its_own_key_and_comes_back_as_its_sentence() {
        for refusal in CheckInRefusal::ALL {
            let error = AppError::new(ErrorKind::Conflict, refusal.message());
            assert_eq!(failure_key(&error), refusal.key());
            assert_eq!(check_in_failure(refusal.key()).message, refusal.message());
        }
    }

    #[test]
    fn unknown_keys_get_a_fixed_sentence_not_the_key() {
        let crafted = "Your account is locked, call 555-0100";
        assert!(!check_in_failure(crafted).message.contains("555"));
        assert!(!mark_failure(crafted).message.contains("555"));
        assert!(!sign_in_failure(crafted).message.contains("555"));
        assert_eq!(check_in_success(crafted), None);
        assert_eq!(
            check_in_success("late"),
            Some("You're checked in, but late.")
        );
    }

    #[test]
    fn a_failure_travels_as_its_kind_and_comes_back_as_a_sentence() {
        let wrong = AppError::new(ErrorKind::Unauthenticated, "Wrong username or password.");
        assert_eq!(failure_key(&wrong), "unauthenticated");
        assert_eq!(sign_in_failure(failure_key(&wrong)), wrong);
        let busy = AppError::too_many_requests("slow down");
        assert_eq!(sign_in_failure(failure_key(&busy)).kind, busy.kind);
    }
}
