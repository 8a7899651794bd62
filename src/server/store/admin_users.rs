//! Administering people: listing and searching them (paged, fast at 10,000), editing, and
//! deactivating (which ends their sign-ins in the same transaction).

use super::Store;
use crate::domain::{Role, UserId};
use crate::error::{AppError, AppResult};
use crate::server::connections::{EndReason, EndSignIns, EndTarget};
use serde::{Deserialize, Serialize};

/// A person as the admin's list shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct UserListing {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub active: i64,
    pub must_change_password: i64,
}

/// What `list_users` filters on.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Case-insensitive part of the username or the name; empty: everyone.
    pub query: String,
    pub role: Option<Role>,
    pub include_inactive: bool,
}

impl Store {
    /// One page of people matching the filter, by name, and how many match in all.
    pub async fn list_users(
        &self,
        filter: &UserFilter,
        offset: i64,
        limit: i64,
    ) -> AppResult<(Vec<UserListing>, i64)> {
        // LIKE's wildcards in the query are meant literally.
        let escaped = filter
            .query
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let condition = "($1 = '%%' OR LOWER(username) LIKE $1 ESCAPE '\\' \
             OR LOWER(display_name) LIKE $1 ESCAPE '\\') \
             AND ($2 = '' OR role = $2) AND ($3 = 1 OR active = 1)";
        let role = filter.role.map_or("", Role::as_str);
        let inactive = i64::from(filter.include_inactive);
        let mut tx = self.read_tx().await?;
        let total: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM users WHERE {condition}"))
                .bind(&pattern)
                .bind(role)
                .bind(inactive)
                .fetch_one(&mut *tx)
                .await?;
        let users: Vec<UserListing> = sqlx::query_as(&format!(
            "SELECT id, username, display_name, role, active, must_change_password FROM users \
             WHERE {condition} ORDER BY display_name, id LIMIT $4 OFFSET $5"
        ))
        .bind(&pattern)
        .bind(role)
        .bind(inactive)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((users, total))
    }

    pub async fn user_listing(&self, user_id: UserId) -> AppResult<Option<UserListing>> {
        Ok(sqlx::query_as(
            "SELECT id, username, display_name, role, active, must_change_password FROM users \
             WHERE id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Marks a new account (made by an admin) as needing its own password at first sign-in.
    pub async fn require_password_change(&self, user_id: UserId) -> AppResult<()> {
        let _writer = self.writer().await;
        sqlx::query("UPDATE users SET must_change_password = 1 WHERE id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Changes a person's name and role. A teacher who still teaches a class stays a teacher,
    /// and a student still enrolled somewhere stays a student, until removed from those classes
    /// (so no class is left run by a student).
    pub async fn update_user(
        &self,
        user_id: UserId,
        display_name: &str,
        role: Role,
    ) -> AppResult<UserListing> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let current: Option<String> = sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        let current = current.ok_or_else(|| AppError::not_found("There is no such user."))?;
        if current != role.as_str() {
            let (teaches, enrolled): (i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM class_teachers WHERE teacher_id = $1), \
                 (SELECT COUNT(*) FROM enrollments WHERE student_id = $1)",
            )
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
            if teaches > 0 {
                return Err(AppError::conflict(format!(
                    "They still teach {teaches} class(es); remove them as a teacher first."
                )));
            }
            if enrolled > 0 {
                return Err(AppError::conflict(format!(
                    "They are still enrolled in {enrolled} class(es); unenrol them first."
                )));
            }
        }
        let row: UserListing = sqlx::query_as(
            "UPDATE users SET display_name = $1, role = $2 WHERE id = $3 \
             RETURNING id, username, display_name, role, active, must_change_password",
        )
        .bind(display_name)
        .bind(role.as_str())
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Deactivates (ending every sign-in, announced to other instances) or reactivates a
    /// person. Returns the request that ended sign-ins, for the caller to close this instance's
    /// sockets, or `None` when nothing ended.
    pub async fn set_user_active(
        &self,
        user_id: UserId,
        active: bool,
    ) -> AppResult<Option<EndSignIns>> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
            .bind(i64::from(active))
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(AppError::not_found("There is no such user."));
        }
        let ending = (!active).then_some(EndSignIns {
            target: EndTarget::User {
                user_id,
                except: None,
            },
            reason: EndReason::Deactivated,
        });
        if let Some(ending) = &ending {
            self.delete_sign_ins(&mut tx, ending).await?;
        }
        tx.commit().await?;
        Ok(ending)
    }
}
