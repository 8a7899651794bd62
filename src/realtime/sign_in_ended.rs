//! What the page does when its sign-in ends under it (signed out in another tab, password
//! changed, expired): which reason the server gave, and the sign-in page URL that explains it
//! and leads back. Pure, so it is tested natively.

/// Why a sign-in ended, as the sign-in page's `reason=` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInEnded {
    SignedOut,
    Expired,
    PasswordChanged,
    Deactivated,
}

impl SignInEnded {
    const ALL: [SignInEnded; 4] = [
        SignInEnded::SignedOut,
        SignInEnded::Expired,
        SignInEnded::PasswordChanged,
        SignInEnded::Deactivated,
    ];

    /// From the reason of a WebSocket close with code 4001 (see docs/protocol.md); anything
    /// unknown counts as signed out.
    pub fn from_close_reason(reason: &str) -> SignInEnded {
        match reason {
            "sign-in expired" => SignInEnded::Expired,
            "password changed" => SignInEnded::PasswordChanged,
            "account deactivated" => SignInEnded::Deactivated,
            _ => SignInEnded::SignedOut,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            SignInEnded::SignedOut => "signed-out",
            SignInEnded::Expired => "expired",
            SignInEnded::PasswordChanged => "password-changed",
            SignInEnded::Deactivated => "deactivated",
        }
    }

    pub fn from_key(key: &str) -> Option<SignInEnded> {
        Self::ALL.into_iter().find(|reason| reason.key() == key)
    }

    /// What the sign-in page says.
    pub fn message(self) -> &'static str {
        match self {
            SignInEnded::SignedOut => "You were signed out. Sign in again to continue.",
            SignInEnded::Expired => "Your sign-in expired. Sign in again to continue.",
            SignInEnded::PasswordChanged => {
                "Your password was changed, so you were signed out here. Sign in with the new password."
            }
            SignInEnded::Deactivated => {
                "Your account has been deactivated. Ask the school office if this is a mistake."
            }
        }
    }
}

/// The sign-in page, explaining `reason` and leading back to `next` (the current path).
pub fn login_url(reason: SignInEnded, next: &str) -> String {
    let next = if next.starts_with('/') && !next.starts_with("/login") {
        format!("&next={}", encode_path(next))
    } else {
        String::new()
    };
    format!("/login?reason={}{next}", reason.key())
}

/// Percent-encodes a path for a query string (UTF-8 bytes; `/` and unreserved ASCII kept).
pub fn encode_path(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_map_to_page_reasons_and_back() {
        assert_eq!(
            SignInEnded::from_close_reason("signed out"),
            SignInEnded::SignedOut
        );
        assert_eq!(
            SignInEnded::from_close_reason("sign-in expired"),
            SignInEnded::Expired
        );
        assert_eq!(
            SignInEnded::from_close_reason("password changed"),
            SignInEnded::PasswordChanged
        );
        assert_eq!(
            SignInEnded::from_close_reason("???"),
            SignInEnded::SignedOut
        );
        for reason in SignInEnded::ALL {
            assert_eq!(SignInEnded::from_key(reason.key()), Some(reason));
        }
        assert_eq!(SignInEnded::from_key("nonsense"), None);
    }

    #[test]
    fn the_login_url_names_the_reason_and_the_way_back() {
        assert_eq!(
            login_url(SignInEnded::Expired, "/teacher/sessions/4"),
            "/login?reason=expired&next=/teacher/sessions/4"
        );
        assert_eq!(
            login_url(SignInEnded::SignedOut, "/checkin/ABC?x=1"),
            "/login?reason=signed-out&next=/checkin/ABC%3Fx%3D1"
        );
        // Never back to the sign-in page itself.
        assert_eq!(
            login_url(SignInEnded::SignedOut, "/login"),
            "/login?reason=signed-out"
        );
    }
}
