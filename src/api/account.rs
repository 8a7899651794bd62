//! One's own account (changing the password), an administrator's password reset, and what
//! every page needs to know about the site (is this the demo school?).

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// The change-password page; while a reset is pending every other page sends people here.
pub const CHANGE_PASSWORD_PATH: &str = "/account/password";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteFacts {
    /// This server runs the demo school, whose passwords are published.
    pub demo: bool,
}

/// What every page shows about the site; needs no sign-in.
#[server(endpoint = "site_info", input = Json)]
pub async fn site_info() -> Result<SiteFacts, AppError> {
    Ok(SiteFacts {
        demo: crate::server::state().demo,
    })
}

/// Changes the caller's own password. The current password is required (a wrong one is a
/// 403 and counts as a sign-in attempt). `sign_out_others` ends every other sign-in of the
/// caller and closes their live connections; after an administrator's reset there are none
/// left anyway. Clears "must change password".
#[server(endpoint = "change_password", input = Json)]
pub async fn change_password(
    current_password: String,
    new_password: String,
    sign_out_others: bool,
) -> Result<(), AppError> {
    use crate::domain::password::check_new_password;
    use crate::domain::Username;
    use crate::server::auth::*;
    use crate::server::connections::{EndReason, EndSignIns, EndTarget};
    use crate::server::login_throttle::Outcome;
    use crate::server::state;

    let sign_in = current_sign_in().await?;
    let state = state();
    let user = &sign_in.user;
    check_new_password(&user.username, &new_password).map_err(AppError::bad_request)?;
    if new_password == current_password {
        return Err(AppError::bad_request(
            "Choose a password different from your current one.",
        ));
    }
    let username = Username::parse(&user.username).map_err(AppError::bad_request)?;
    let credentials = state
        .store
        .credentials(&username)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    // The same throttle as sign-in, on the same account: a stolen sign-in cannot be used to
    // guess the password behind it any faster than the sign-in page allows.
    let attempt = password_attempt(&state, &username)?;
    if !verify_password_gated(current_password, credentials.password_hash).await? {
        attempt.finish(Outcome::Failed);
        return Err(AppError::forbidden("Your current password is not right."));
    }
    attempt.finish(Outcome::Succeeded);
    let new_hash = hash_password_gated(new_password).await?;
    let ending = EndSignIns {
        target: EndTarget::User {
            user_id: user.id,
            except: Some(sign_in.token_hash.clone()),
        },
        reason: EndReason::PasswordChanged,
    };
    let ending = (sign_out_others || user.must_change_password).then_some(ending);
    state
        .store
        .set_password(user.id, &new_hash, false, ending.as_ref())
        .await?;
    if let Some(ending) = &ending {
        state.connections.end(ending);
    }
    Ok(())
}

/// Sets a user's password to one the administrator gives them (admins only). Every sign-in of
/// that user ends (their live connections close) and they must choose a new password when
/// they next sign in.
#[server(endpoint = "reset_password", input = Json)]
pub async fn reset_password(username: String, new_password: String) -> Result<(), AppError> {
    use crate::domain::password::check_new_password;
    use crate::domain::{Role, Username};
    use crate::server::auth::{hash_password_gated, require_role};
    use crate::server::connections::{EndReason, EndSignIns, EndTarget};
    use crate::server::state;

    let admin = require_role(&[Role::Admin], "Only administrators reset passwords.").await?;
    let username = Username::parse(&username).map_err(AppError::bad_request)?;
    if username.as_str() == admin.username {
        return Err(AppError::bad_request(
            "To change your own password, use Change password.",
        ));
    }
    check_new_password(username.as_str(), &new_password).map_err(AppError::bad_request)?;
    let state = state();
    let user =
        state.store.credentials(&username).await?.ok_or_else(|| {
            AppError::not_found(format!("There is no user {}.", username.as_str()))
        })?;
    let hash = hash_password_gated(new_password).await?;
    let ending = EndSignIns {
        target: EndTarget::User {
            user_id: user.id,
            except: None,
        },
        reason: EndReason::PasswordChanged,
    };
    state
        .store
        .set_password(user.id, &hash, true, Some(&ending))
        .await?;
    state.connections.end(&ending);
    Ok(())
}
