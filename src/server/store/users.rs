//! Users and their sign-ins.

use super::rows::UserRow;
use super::{is_unique_violation, Store};
use crate::domain::{CurrentUser, Role, UserId, Username};
use crate::error::{AppError, AppResult};
use sqlx::FromRow;

/// A user row including the password hash: only for signing in.
#[derive(Debug, Clone, FromRow)]
pub struct UserCredentials {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub must_change_password: i64,
    /// 0 once an administrator deactivated the account: it may not sign in.
    pub active: i64,
}

impl Store {
    pub async fn user_count(&self) -> AppResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Creates a user; a taken username is a 409 with a sentence, not a 500.
    pub async fn create_user(
        &self,
        username: &Username,
        display_name: &str,
        role: Role,
        password_hash: &str,
        now_ms: i64,
    ) -> AppResult<UserId> {
        let _writer = self.writer().await;
        sqlx::query_scalar(
            "INSERT INTO users (username, display_name, role, password_hash, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(username.as_str())
        .bind(display_name)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await
        .map_err(|error| {
            if is_unique_violation(&error) {
                AppError::conflict(format!("The username {} is taken.", username.as_str()))
            } else {
                error.into()
            }
        })
    }

    pub async fn credentials(&self, username: &Username) -> AppResult<Option<UserCredentials>> {
        Ok(sqlx::query_as(
            "SELECT id, username, display_name, role, password_hash, must_change_password, \
             active FROM users WHERE username = $1",
        )
        .bind(username.as_str())
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn create_auth_session(
        &self,
        token_hash: &str,
        user_id: UserId,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> AppResult<()> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        // Expired sign-ins are swept whenever someone signs in.
        sqlx::query("DELETE FROM auth_sessions WHERE expires_at_ms < $1")
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO auth_sessions (token_hash, user_id, created_at_ms, expires_at_ms) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now_ms)
        .bind(expires_at_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user signed in with this token hash, and when that sign-in ends; `None` when it
    /// does not exist or has expired.
    pub async fn sign_in_by_token_hash(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> AppResult<Option<(CurrentUser, i64)>> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT u.id, u.username, u.display_name, u.role, u.must_change_password, \
             a.expires_at_ms FROM auth_sessions a \
             JOIN users u ON u.id = a.user_id WHERE a.token_hash = $1 AND a.expires_at_ms > $2 \
             AND u.active = 1",
        )
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|row| {
            let expires_at_ms = row.expires_at_ms;
            Some((row.into_user()?, expires_at_ms))
        }))
    }
}
