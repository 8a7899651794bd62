//! What each person wants to be told, and how: per kind in the app and by push (defaults per
//! role until they choose), and their quiet hours.

use super::Store;
use crate::domain::notify::quiet_hours::QuietHours;
use crate::domain::notify::{NotificationKind, Ways};
use crate::domain::{Role, UserId};
use crate::error::AppResult;
use sqlx::AnyConnection;

/// A person's choices, every kind their role gets listed (defaults filled in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    pub ways: Vec<(NotificationKind, Ways)>,
    pub quiet_hours: Option<QuietHours>,
}

impl Store {
    pub async fn notification_preferences(
        &self,
        user: UserId,
        role: Role,
    ) -> AppResult<Preferences> {
        let mut conn = self.pool.acquire().await?;
        let mut ways = Vec::new();
        for kind in NotificationKind::ALL {
            if kind.for_role(role) {
                ways.push((kind, ways_in(&mut conn, user, role, kind).await?));
            }
        }
        Ok(Preferences {
            ways,
            quiet_hours: quiet_hours_in(&mut conn, user).await?,
        })
    }

    /// Saves the person's choices (kinds their role does not get are ignored) in one go.
    pub async fn set_notification_preferences(
        &self,
        user: UserId,
        role: Role,
        choices: &Preferences,
    ) -> AppResult<()> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        for (kind, ways) in choices.ways.iter().filter(|(kind, _)| kind.for_role(role)) {
            sqlx::query(
                "INSERT INTO notification_preferences (user_id, kind, in_app, push) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, kind) \
                 DO UPDATE SET in_app = excluded.in_app, push = excluded.push",
            )
            .bind(user)
            .bind(kind.as_str())
            .bind(i64::from(ways.in_app))
            .bind(i64::from(ways.push))
            .execute(&mut *tx)
            .await?;
        }
        match choices.quiet_hours {
            Some(quiet) => {
                sqlx::query(
                    "INSERT INTO quiet_hours (user_id, start_minute, end_minute) \
                     VALUES ($1, $2, $3) ON CONFLICT (user_id) \
                     DO UPDATE SET start_minute = excluded.start_minute, \
                     end_minute = excluded.end_minute",
                )
                .bind(user)
                .bind(i64::from(quiet.start))
                .bind(i64::from(quiet.end))
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM quiet_hours WHERE user_id = $1")
                    .bind(user)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// How the person gets this kind: their choice, else their role's default.
pub(super) async fn ways_in(
    conn: &mut AnyConnection,
    user: UserId,
    role: Role,
    kind: NotificationKind,
) -> sqlx::Result<Ways> {
    if !kind.for_role(role) {
        return Ok(Ways::OFF);
    }
    let chosen: Option<(i64, i64)> = sqlx::query_as(
        "SELECT in_app, push FROM notification_preferences WHERE user_id = $1 AND kind = $2",
    )
    .bind(user)
    .bind(kind.as_str())
    .fetch_optional(conn)
    .await?;
    Ok(match chosen {
        Some((in_app, push)) => Ways {
            in_app: in_app != 0,
            push: push != 0,
            email: false,
        },
        None => kind.default_ways(role),
    })
}

pub(super) async fn quiet_hours_in(
    conn: &mut AnyConnection,
    user: UserId,
) -> sqlx::Result<Option<QuietHours>> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT start_minute, end_minute FROM quiet_hours WHERE user_id = $1")
            .bind(user)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(start, end)| QuietHours {
        start: start.clamp(0, 1439) as u32,
        end: end.clamp(0, 1439) as u32,
    }))
}

/// The person's role (`None` when they no longer exist).
pub(super) async fn role_in(conn: &mut AnyConnection, user: UserId) -> sqlx::Result<Option<Role>> {
    let role: Option<String> = sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(user)
        .fetch_optional(conn)
        .await?;
    Ok(role.as_deref().and_then(Role::parse))
}
