//! Passwords, session tokens and "who is asking": shared by server functions, the WebSocket
//! upgrade and plain HTTP handlers.

use super::crypto::token_hash;
use super::AppState;
use crate::domain::CurrentUser;
use crate::error::{AppError, AppResult};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::http::{header, HeaderMap};

pub const SESSION_COOKIE: &str = "rollcall_session";

/// argon2id with the crate's defaults (19 MiB, 2 passes), the OWASP baseline.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters cannot fail")
        .to_string()
}

pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the username does not exist, so a wrong username takes as
/// long as a wrong password and does not reveal which accounts exist.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that nobody has"))
}

/// The session token from `Authorization: Bearer …` or the session cookie.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(token) = value.strip_prefix("Bearer ") {
            return Some(token.trim().to_string());
        }
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

/// A valid sign-in: who, which one (its token's hash) and until when.
#[derive(Debug, Clone)]
pub struct SignIn {
    pub user: CurrentUser,
    pub token_hash: String,
    pub expires_at_ms: i64,
}

/// The sign-in behind these headers, even one whose password must be changed first; or 401.
pub async fn sign_in_of(state: &AppState, headers: &HeaderMap) -> AppResult<SignIn> {
    let token = token_from_headers(headers).ok_or_else(AppError::unauthenticated)?;
    let token_hash = token_hash(&token);
    let (user, expires_at_ms) = state
        .store
        .sign_in_by_token_hash(&token_hash, super::now_ms())
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    Ok(SignIn {
        user,
        token_hash,
        expires_at_ms,
    })
}

/// The answer to everything but signing out and changing the password while an
/// administrator's reset is pending.
pub fn must_change_password_error() -> AppError {
    AppError::forbidden(
        "Your password was reset. Choose a new password (Change password) before you continue.",
    )
}

/// The sign-in behind these headers: 401 when there is none, 403 while its password must be
/// changed.
pub async fn authenticate_sign_in(state: &AppState, headers: &HeaderMap) -> AppResult<SignIn> {
    let sign_in = sign_in_of(state, headers).await?;
    if sign_in.user.must_change_password {
        return Err(must_change_password_error());
    }
    Ok(sign_in)
}

/// The signed-in user for these request headers: 401 when signed out, 403 while the password
/// must be changed.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> AppResult<CurrentUser> {
    Ok(authenticate_sign_in(state, headers).await?.user)
}

pub fn session_cookie(token: &str, max_age_seconds: i64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{}",
        if secure { "; Secure" } else { "" }
    )
}

pub fn expired_session_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

/// A short description of the client for the audit trail.
pub fn device_label(headers: &HeaderMap, peer: Option<std::net::SocketAddr>) -> Option<String> {
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|agent| agent.chars().take(160).collect::<String>());
    match (agent, peer) {
        (Some(agent), Some(peer)) => Some(format!("{} · {agent}", peer.ip())),
        (Some(agent), None) => Some(agent),
        (None, Some(peer)) => Some(peer.ip().to_string()),
        (None, None) => None,
    }
}

// ---- inside a server function (Leptos context) ----

/// The request's headers, when running inside a request.
pub fn request_headers() -> Option<HeaderMap> {
    leptos::prelude::use_context::<axum::http::request::Parts>().map(|parts| parts.headers)
}

/// The client's address as the server saw it (no proxy headers are trusted).
pub fn client_address() -> String {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| {
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// A description of the calling device for the audit trail.
pub fn calling_device() -> Option<String> {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>()?;
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0);
    device_label(&parts.headers, peer)
}

pub fn set_cookie(cookie: &str) {
    if let (Some(response), Ok(value)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        axum::http::HeaderValue::from_str(cookie),
    ) {
        response.append_header(header::SET_COOKIE, value);
    }
}

/// The caller's sign-in, even one whose password must be changed first (for `me`, signing
/// out and changing the password); or 401.
pub async fn current_sign_in() -> AppResult<SignIn> {
    let headers = request_headers().ok_or_else(AppError::unauthenticated)?;
    sign_in_of(&super::state(), &headers).await
}

/// The signed-in caller of this server function: 401 when signed out, 403 while the password
/// must be changed.
pub async fn current_user() -> AppResult<CurrentUser> {
    let headers = request_headers().ok_or_else(AppError::unauthenticated)?;
    authenticate(&super::state(), &headers).await
}

/// The caller, who must hold one of `roles`; 401 when signed out, 403 otherwise.
pub async fn require_role(roles: &[crate::domain::Role], what: &str) -> AppResult<CurrentUser> {
    let user = current_user().await?;
    if roles.contains(&user.role) {
        Ok(user)
    } else {
        Err(AppError::forbidden(format!(
            "{what} Your account is a {} account.",
            user.role.as_str()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn tokens_come_from_bearer_or_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=b; rollcall_session=abc123; c=d".parse().unwrap(),
        );
        assert_eq!(token_from_headers(&headers).as_deref(), Some("abc123"));
        headers.insert(header::AUTHORIZATION, "Bearer xyz".parse().unwrap());
        assert_eq!(token_from_headers(&headers).as_deref(), Some("xyz"));
        assert_eq!(token_from_headers(&HeaderMap::new()), None);
    }
}
