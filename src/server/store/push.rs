//! Devices that receive pushes (one Web Push subscription per browser), and the server's own
//! keys (the VAPID key pair, made on first start and kept in the database so every instance
//! signs alike).

use super::Store;
use crate::domain::UserId;
use crate::error::AppResult;

/// One browser's push subscription.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PushSubscription {
    pub id: i64,
    pub user_id: UserId,
    pub endpoint: String,
    /// The browser's P-256 public key and auth secret (base64url), for encrypting to it.
    pub p256dh: String,
    pub auth: String,
    /// "Chrome on Android", for the person's list of devices.
    pub device: String,
    pub created_at_ms: i64,
}

const COLUMNS: &str = "id, user_id, endpoint, p256dh, auth, device, created_at_ms";

impl Store {
    /// Saves a browser's subscription for `user`. The same browser subscribing again (same
    /// endpoint) replaces its keys; a shared browser now signed in as someone else moves to
    /// them, so a phone never receives the previous person's news.
    pub async fn save_push_subscription(
        &self,
        user: UserId,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
        device: &str,
        now_ms: i64,
    ) -> AppResult<PushSubscription> {
        let _writer = self.writer().await;
        Ok(sqlx::query_as(&format!(
            "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, device, \
             created_at_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (endpoint) DO UPDATE \
             SET user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth, \
             device = excluded.device, created_at_ms = excluded.created_at_ms \
             RETURNING {COLUMNS}"
        ))
        .bind(user)
        .bind(endpoint)
        .bind(p256dh)
        .bind(auth)
        .bind(device)
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn push_subscriptions_of(&self, user: UserId) -> AppResult<Vec<PushSubscription>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM push_subscriptions WHERE user_id = $1 ORDER BY id"
        ))
        .bind(user)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn push_subscription(&self, id: i64) -> AppResult<Option<PushSubscription>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM push_subscriptions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Removes one of `user`'s devices (by id or endpoint); returns whether it was theirs.
    pub async fn remove_push_subscription(
        &self,
        user: UserId,
        id: Option<i64>,
        endpoint: Option<&str>,
    ) -> AppResult<bool> {
        let _writer = self.writer().await;
        let removed = sqlx::query(
            "DELETE FROM push_subscriptions WHERE user_id = $1 AND (id = $2 OR endpoint = $3)",
        )
        .bind(user)
        .bind(id.unwrap_or(-1))
        .bind(endpoint.unwrap_or(""))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(removed > 0)
    }

    /// The push service said the subscription is gone (404/410).
    pub async fn drop_push_subscription(&self, id: i64) -> AppResult<()> {
        let _writer = self.writer().await;
        sqlx::query("DELETE FROM push_subscriptions WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every device: after the VAPID keys change, no subscription made with the old ones works.
    pub async fn drop_all_push_subscriptions(&self) -> AppResult<u64> {
        let _writer = self.writer().await;
        Ok(sqlx::query("DELETE FROM push_subscriptions")
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// The server key called `name`, made by `make` and kept the first time it is asked for.
    /// Instances starting together agree: the first insert wins and everyone reads it.
    pub async fn server_key(
        &self,
        name: &str,
        make: impl FnOnce() -> String,
        now_ms: i64,
    ) -> AppResult<String> {
        if let Some(value) = self.stored_server_key(name).await? {
            return Ok(value);
        }
        {
            let _writer = self.writer().await;
            sqlx::query(
                "INSERT INTO server_keys (name, value, created_at_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(make())
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        }
        Ok(self
            .stored_server_key(name)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?)
    }

    /// Forgets a server key (the next `server_key` makes a new one).
    pub async fn forget_server_key(&self, name: &str) -> AppResult<bool> {
        let _writer = self.writer().await;
        Ok(sqlx::query("DELETE FROM server_keys WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await?
            .rows_affected()
            > 0)
    }

    async fn stored_server_key(&self, name: &str) -> AppResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM server_keys WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}
