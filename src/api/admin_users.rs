//! Administering people (admins only): list and search, create, edit name and role,
//! deactivate and reactivate. Password resets are `reset_password` (api/account.rs).

use crate::domain::{Role, UserId};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// People per page of `list_users`.
pub const USERS_PER_PAGE: u32 = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub must_change_password: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeoplePage {
    pub people: Vec<Person>,
    /// How many match in all.
    pub total: u32,
    /// 0-based.
    pub page: u32,
    pub per_page: u32,
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::Person;
    use crate::domain::{CurrentUser, Role};
    use crate::error::{AppError, AppResult};
    use crate::server::store::UserListing;

    pub async fn admin() -> AppResult<CurrentUser> {
        crate::server::auth::require_role(&[Role::Admin], "Managing people is for admins.").await
    }

    pub fn person(row: UserListing) -> AppResult<Person> {
        Ok(Person {
            role: Role::parse(&row.role).ok_or_else(AppError::internal)?,
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            active: row.active != 0,
            must_change_password: row.must_change_password != 0,
        })
    }
}

/// A page of people whose username or name contains `query` (any case), by name.
#[server(endpoint = "list_users", input = Json)]
pub async fn list_users(
    query: String,
    role: Option<Role>,
    include_inactive: bool,
    page: u32,
) -> Result<PeoplePage, AppError> {
    use crate::server::store::UserFilter;

    ssr::admin().await?;
    if query.chars().count() > 100 {
        return Err(AppError::bad_request("Search for at most 100 characters."));
    }
    let page = page.min(100_000);
    let filter = UserFilter {
        query: query.trim().to_string(),
        role,
        include_inactive,
    };
    let (rows, total) = crate::server::state()
        .store
        .list_users(
            &filter,
            i64::from(page) * i64::from(USERS_PER_PAGE),
            i64::from(USERS_PER_PAGE),
        )
        .await?;
    Ok(PeoplePage {
        people: rows
            .into_iter()
            .map(ssr::person)
            .collect::<Result<_, _>>()?,
        total: total.clamp(0, u32::MAX as i64) as u32,
        page,
        per_page: USERS_PER_PAGE,
    })
}

/// Creates an account with a first password the person must change when they first sign in.
#[server(endpoint = "create_user", input = Json)]
pub async fn create_user(
    username: String,
    display_name: String,
    role: Role,
    password: String,
) -> Result<Person, AppError> {
    use crate::domain::password::check_new_password;
    use crate::domain::{parse_display_name, Username};
    use crate::server::auth::hash_password_gated;
    use crate::server::{now_ms, state};

    ssr::admin().await?;
    let username = Username::parse(&username).map_err(AppError::bad_request)?;
    let display_name = parse_display_name(&display_name).map_err(AppError::bad_request)?;
    check_new_password(username.as_str(), &password).map_err(AppError::bad_request)?;
    let hash = hash_password_gated(password).await?;
    let store = &state().store;
    let id = store
        .create_user(&username, &display_name, role, &hash, now_ms())
        .await?;
    store.require_password_change(id).await?;
    let row = store
        .user_listing(id)
        .await?
        .ok_or_else(AppError::internal)?;
    ssr::person(row)
}

/// Changes a person's name and role (not one's own role: a school must keep its admins).
#[server(endpoint = "update_user", input = Json)]
pub async fn update_user(
    user_id: UserId,
    display_name: String,
    role: Role,
) -> Result<Person, AppError> {
    use crate::domain::parse_display_name;

    let admin = ssr::admin().await?;
    let display_name = parse_display_name(&display_name).map_err(AppError::bad_request)?;
    if user_id == admin.id && role != Role::Admin {
        return Err(AppError::conflict(
            "You cannot take away your own admin role; ask another admin.",
        ));
    }
    let row = crate::server::state()
        .store
        .update_user(user_id, &display_name, role)
        .await?;
    ssr::person(row)
}

/// Deactivates a person (their sign-ins end at once, live pages included, and they cannot sign
/// in again) or reactivates them. Their attendance history stays.
#[server(endpoint = "set_user_active", input = Json)]
pub async fn set_user_active(user_id: UserId, active: bool) -> Result<Person, AppError> {
    let admin = ssr::admin().await?;
    if user_id == admin.id && !active {
        return Err(AppError::conflict(
            "You cannot deactivate your own account; ask another admin.",
        ));
    }
    let state = crate::server::state();
    if let Some(ending) = state.store.set_user_active(user_id, active).await? {
        state.connections.end(&ending);
    }
    let row = state
        .store
        .user_listing(user_id)
        .await?
        .ok_or_else(|| AppError::not_found("There is no such user."))?;
    ssr::person(row)
}
