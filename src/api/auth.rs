use crate::domain::CurrentUser;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub user: CurrentUser,
    /// The session token, only when the login asked for it (`"bearer": true`): non-browser
    /// clients send it as `Authorization: Bearer <token>`. Browsers use the HttpOnly cookie,
    /// which page scripts cannot read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Where this user's start page is.
    pub home: String,
}

/// Signs in with username and password. `bearer: true` also returns the token in the answer.
#[server(endpoint = "login", input = Json)]
pub async fn login(
    username: String,
    password: String,
    #[server(default)] bearer: bool,
) -> Result<LoginResponse, AppError> {
    use crate::domain::{Role, Username};
    use crate::server::auth::*;
    use crate::server::crypto::{random_token, token_hash};
    use crate::server::login_throttle::Outcome;
    use crate::server::{now_ms, state};

    let state = state();
    let username = Username::parse(&username).map_err(AppError::bad_request)?;
    if password.is_empty() || password.len() > 1024 {
        return Err(AppError::bad_request("Enter your password."));
    }
    // Throttled before the slow password check, so a refused guess costs nothing. Unknown
    // usernames are throttled under their own name like real ones.
    let attempt = password_attempt(&state, &username)?;
    let credentials = state.store.credentials(&username).await?;
    let stored_hash = credentials
        .as_ref()
        .map(|c| c.password_hash.as_str())
        .unwrap_or(decoy_hash())
        .to_string();
    let password_ok = verify_password_gated(password, stored_hash).await?;
    let Some(credentials) = credentials.filter(|_| password_ok) else {
        attempt.finish(Outcome::Failed);
        return Err(AppError::new(
            crate::error::ErrorKind::Unauthenticated,
            "Wrong username or password.",
        ));
    };
    attempt.finish(Outcome::Succeeded);
    // Said only to someone who knows the password, so it tells a guesser nothing.
    if credentials.active == 0 {
        return Err(AppError::forbidden(
            "This account has been deactivated. Ask the school office if this is a mistake.",
        ));
    }
    let role = Role::parse(&credentials.role).ok_or_else(AppError::internal)?;
    let must_change_password = credentials.must_change_password != 0;
    let token = random_token(32);
    let now = now_ms();
    let lifetime_ms = state.config.sign_in_hours * 3_600_000;
    state
        .store
        .create_auth_session(&token_hash(&token), credentials.id, now, now + lifetime_ms)
        .await?;
    set_cookie(&session_cookie(
        &token,
        lifetime_ms / 1000,
        state.config.secure_cookies,
    ));
    // The browser keeps a device id from its first sign-in on (one student per device).
    crate::server::device::calling_device_id();
    Ok(LoginResponse {
        user: CurrentUser {
            id: credentials.id,
            username: credentials.username,
            display_name: credentials.display_name,
            role,
            must_change_password,
        },
        token: bearer.then_some(token),
        home: if must_change_password {
            crate::api::account::CHANGE_PASSWORD_PATH.to_string()
        } else {
            role.home_path().to_string()
        },
    })
}

/// Ends the current session (cookie or bearer token), and closes its live connections.
#[server(endpoint = "logout", input = Json)]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::auth::*;
    use crate::server::connections::{EndReason, EndSignIns, EndTarget};
    use crate::server::crypto::token_hash;
    use crate::server::state;

    let state = state();
    if let Some(token) = request_headers()
        .as_ref()
        .and_then(|headers| token_from_headers(headers, state.config.secure_cookies))
    {
        let ending = EndSignIns {
            target: EndTarget::SignIn(token_hash(&token)),
            reason: EndReason::SignedOut,
        };
        state.store.end_sign_ins(&ending).await?;
        state.connections.end(&ending);
    }
    set_cookie(&expired_session_cookie(state.config.secure_cookies));
    Ok(())
}

/// Who is signed in (`must_change_password` set while an administrator's reset is pending),
/// or `None`.
#[server(endpoint = "me", input = Json)]
pub async fn me() -> Result<Option<CurrentUser>, AppError> {
    match crate::server::auth::current_sign_in().await {
        Ok(sign_in) => Ok(Some(sign_in.user)),
        Err(error) if error.kind == crate::error::ErrorKind::Unauthenticated => Ok(None),
        Err(error) => Err(error),
    }
}
