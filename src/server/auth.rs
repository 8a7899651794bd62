//! Passwords, session tokens and "who is asking": shared by server functions, the WebSocket
//! upgrade and plain HTTP handlers.

use super::client_ip::client_ip;
use super::crypto::token_hash;
use super::AppState;
use crate::domain::CurrentUser;
use crate::error::{AppError, AppResult};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::Argon2;
use axum::http::{header, HeaderMap};
use std::net::IpAddr;

pub const SESSION_COOKIE: &str = "rollcall_session";
/// The name over https: the `__Host-` prefix makes the browser refuse this cookie unless it is
/// `Secure`, for the whole host (`Path=/`) and set by this host itself, so a sibling subdomain
/// cannot plant ("toss") a session cookie of its own.
pub const SECURE_SESSION_COOKIE: &str = "__Host-rollcall_session";

/// The session cookie's name for this configuration.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// argon2id with the crate's defaults (19 MiB, 2 passes), the OWASP baseline.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters cannot fail")
        .to_string()
}

/// A hash for a one-time password Rollcall generated itself (80 random bits): its strength is
/// the randomness, not the hash's cost, so argon2 runs at its smallest cost and an import can
/// make thousands in seconds. Never for a password a person chose.
pub fn hash_generated_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    let params = argon2::Params::new(8, 1, 1, None).expect("argon2's minimum parameters are valid");
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with valid parameters cannot fail")
        .to_string()
}

/// Whether `password` matches `stored_hash` (a PHC string: algorithm, parameters, salt, hash).
/// Call it through [`verify_password_gated`] on a request path.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    let check = || -> Option<bool> {
        let parsed = PasswordHash::new(stored_hash).ok()?;
        let expected = parsed.hash?;
        let params = argon2::Params::try_from(&parsed).ok()?;
        let algorithm = argon2::Algorithm::try_from(parsed.algorithm).ok()?;
        let version = parsed
            .version
            .map(argon2::Version::try_from)
            .transpose()
            .ok()?
            .unwrap_or_default();
        let mut salt = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
        let blocks = params.block_count();
        let mut output = vec![0u8; expected.len()];
        let hasher = Argon2::new(algorithm, version, params);
        WORK_AREA.with_borrow_mut(|area| {
            if area.len() < blocks {
                area.resize(blocks, argon2::Block::default());
            }
            hasher
                .hash_password_into_with_memory(
                    password.as_bytes(),
                    salt,
                    &mut output,
                    &mut area[..blocks],
                )
                .ok()
        })?;
        // `Output`'s equality is constant-time.
        Some(argon2::password_hash::Output::new(&output).ok()? == expected)
    };
    check().unwrap_or(false)
}

thread_local! {
    /// argon2's work area (~19 MiB), kept by each thread that checks passwords and reused.
    /// Allocating and freeing it for every sign-in leaves freed areas scattered in malloc's
    /// arenas (measured: ~200 MB resident after ten sign-ins). Password checks run on the
    /// hash gate's threads, one per core, so this is one area per core.
    static WORK_AREA: std::cell::RefCell<Vec<argon2::Block>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// [`verify_password`] through the process-wide hash gate (one hash per core at a time, a
/// bounded queue, then 503 "busy" with `Retry-After`). Every request path that verifies a
/// password should use this.
pub async fn verify_password_gated(password: String, stored_hash: String) -> AppResult<bool> {
    gated(move || verify_password(&password, &stored_hash)).await
}

/// [`hash_password`] through the hash gate, like [`verify_password_gated`].
pub async fn hash_password_gated(password: String) -> AppResult<String> {
    gated(move || hash_password(&password)).await
}

async fn gated<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    let result = super::password_gate::gate().run(job).await;
    if matches!(&result, Err(e) if e.kind == crate::error::ErrorKind::Busy) {
        set_retry_after(super::password_gate::BUSY_RETRY_AFTER_SECONDS);
    }
    result
}

/// A hash to verify against when the username does not exist, so a wrong username takes as
/// long as a wrong password and does not reveal which accounts exist.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that nobody has"))
}

/// The session token from `Authorization: Bearer …` or the session cookie (named for this
/// configuration: over https only the `__Host-` cookie counts).
pub fn token_from_headers(headers: &HeaderMap, secure: bool) -> Option<String> {
    bearer_token(headers).or_else(|| session_cookie_value(headers, secure))
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(token) = value.strip_prefix("Bearer ") {
            return Some(token.trim().to_string());
        }
    }
    None
}

/// The session cookie's value, if the request carries one.
pub fn session_cookie_value(headers: &HeaderMap, secure: bool) -> Option<String> {
    cookie_value(headers, session_cookie_name(secure))
}

/// The value of the request's cookie called `name`.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
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
    let token = token_from_headers(headers, state.config.secure_cookies)
        .ok_or_else(AppError::unauthenticated)?;
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
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{}",
        session_cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}

pub fn expired_session_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

/// A short description of the client for the audit trail.
pub fn device_label(headers: &HeaderMap, client: Option<IpAddr>) -> Option<String> {
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|agent| agent.chars().take(160).collect::<String>());
    match (agent, client) {
        (Some(agent), Some(client)) => Some(format!("{client} · {agent}")),
        (Some(agent), None) => Some(agent),
        (None, Some(client)) => Some(client.to_string()),
        (None, None) => None,
    }
}

// ---- inside a server function (Leptos context) ----

/// The request's headers, when running inside a request.
pub fn request_headers() -> Option<HeaderMap> {
    leptos::prelude::use_context::<axum::http::request::Parts>().map(|parts| parts.headers)
}

/// The client's address: the TCP peer, or the address a trusted proxy forwarded
/// (`ROLLCALL_TRUSTED_PROXIES`; see `client_ip`).
pub fn client_address() -> Option<IpAddr> {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>()?;
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
        .0
        .ip();
    Some(client_ip(
        peer,
        &parts.headers,
        &super::state().config.trusted_proxies,
    ))
}

/// A description of the calling device for the audit trail.
pub fn calling_device() -> Option<String> {
    let headers = request_headers()?;
    device_label(&headers, client_address())
}

/// Starts a password check for `username` from the calling client, or refuses it at once
/// (429 with `Retry-After`) while that account or address is being throttled. Sign-in and
/// password change share it, so neither is a faster way to guess.
pub fn password_attempt<'a>(
    state: &'a AppState,
    username: &crate::domain::Username,
) -> AppResult<super::login_throttle::Attempt<'a>> {
    let address =
        client_address().map_or_else(|| "unknown".into(), super::client_ip::address_group);
    state
        .limits
        .login()
        .attempt(username.as_str(), &address)
        .map_err(|refusal| {
            set_retry_after(super::login_throttle::wait_seconds(refusal.wait()));
            AppError::too_many_requests(refusal.message())
        })
}

/// Tells the client when to try again (`Retry-After`, in seconds) on this server function's
/// response.
pub fn set_retry_after(seconds: u64) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(header::RETRY_AFTER, seconds.into());
    }
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
        // The cost comes from the stored hash, and the reused work area does not leak from one
        // check into the next.
        let params = argon2::Params::new(64, 2, 1, None).unwrap();
        let cheap = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password(b"battery staple", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(verify_password("battery staple", &cheap));
        assert!(!verify_password("battery stapler", &cheap));
        assert!(verify_password("correct horse", &hash));
        let last = if cheap.ends_with('A') { 'B' } else { 'A' };
        let tampered = format!("{}{last}", &cheap[..cheap.len() - 1]);
        assert!(!verify_password("battery staple", &tampered));
    }

    #[test]
    fn tokens_come_from_bearer_or_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=b; rollcall_session=abc123; c=d".parse().unwrap(),
        );
        assert_eq!(
            token_from_headers(&headers, false).as_deref(),
            Some("abc123")
        );
        headers.insert(header::AUTHORIZATION, "Bearer xyz".parse().unwrap());
        assert_eq!(token_from_headers(&headers, false).as_deref(), Some("xyz"));
        assert_eq!(token_from_headers(&HeaderMap::new(), false), None);
    }

    #[test]
    fn over_https_only_the_host_prefixed_cookie_counts() {
        let cookie = session_cookie("abc123", 60, true);
        assert!(
            cookie.starts_with("__Host-rollcall_session=abc123; Path=/;")
                && cookie.contains("; Secure"),
            "{cookie}"
        );
        assert!(!cookie.contains("Domain"), "{cookie}");
        let with = |cookies: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::COOKIE, cookies.parse().unwrap());
            headers
        };
        // A plain-named cookie (one a sibling subdomain could plant) is not a session over https.
        let tossed = with("rollcall_session=planted");
        assert_eq!(token_from_headers(&tossed, true), None);
        assert_eq!(
            token_from_headers(&tossed, false).as_deref(),
            Some("planted")
        );
        let both = with("rollcall_session=planted; __Host-rollcall_session=real");
        assert_eq!(token_from_headers(&both, true).as_deref(), Some("real"));
        assert!(session_cookie("x", 60, false).starts_with("rollcall_session=x;"));
    }
}
