//! The device a request comes from: a random id the browser keeps in a cookie of its own, set
//! at sign-in (or at the first check-in without one) and kept across sign-outs, so "one student
//! per device" can tell that one phone checked in two students. It is not fingerprinting and
//! cannot be: clearing cookies makes a new device, which is why a guard holds such check-ins
//! for the teacher rather than trusting the id to prove anything.

use super::auth::{cookie_value, request_headers, set_cookie};
use axum::http::HeaderMap;

/// Over https the `__Host-` prefix: no sibling site can plant a device id.
pub fn device_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-rollcall_device"
    } else {
        "rollcall_device"
    }
}

/// 400 days, the longest browsers keep a cookie.
const DEVICE_COOKIE_MAX_AGE_SECONDS: i64 = 400 * 24 * 3600;

/// The device id these headers carry, if it looks like one this server drew.
pub fn device_id_of(headers: &HeaderMap, secure: bool) -> Option<String> {
    cookie_value(headers, device_cookie_name(secure)).filter(|value| is_device_id(value))
}

fn is_device_id(value: &str) -> bool {
    value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn device_cookie(id: &str, secure: bool) -> String {
    format!(
        "{}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={DEVICE_COOKIE_MAX_AGE_SECONDS}{}",
        device_cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}

/// Inside a server function: the calling browser's device id, drawing one (and setting its
/// cookie on the response) when it has none.
pub fn calling_device_id() -> String {
    let secure = super::state().config.secure_cookies;
    if let Some(id) = request_headers().and_then(|headers| device_id_of(&headers, secure)) {
        return id;
    }
    let id = super::crypto::random_token(16);
    set_cookie(&device_cookie(&id, secure));
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    #[test]
    fn the_device_cookie_is_read_back_and_nothing_else_counts() {
        let id = "0123456789abcdef0123456789abcdef";
        let mut headers = HeaderMap::new();
        let cookie = format!("rollcall_session=x; rollcall_device={id}");
        headers.insert(header::COOKIE, cookie.parse().unwrap());
        assert_eq!(device_id_of(&headers, false).as_deref(), Some(id));
        // Over https only the prefixed name counts.
        assert_eq!(device_id_of(&headers, true), None);
        let mut forged = HeaderMap::new();
        forged.insert(header::COOKIE, "rollcall_device=../../etc".parse().unwrap());
        assert_eq!(device_id_of(&forged, false), None);
        let set = device_cookie(id, true);
        assert!(set.starts_with("__Host-rollcall_device=") && set.contains("HttpOnly"));
        assert!(set.contains("; Secure"), "{set}");
    }
}
