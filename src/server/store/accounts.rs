//! Passwords and ending sign-ins. Whatever deletes sign-ins also announces it on PostgreSQL
//! (a NOTIFY in the same transaction) so every instance closes the live connections of those
//! sign-ins; on SQLite the one instance does that itself after the call.

use super::{Backend, Store, NOTIFY_CHANNEL};
use crate::domain::UserId;
use crate::error::AppResult;
use crate::server::connections::{EndSignIns, EndTarget};
use sqlx::AnyConnection;

impl Store {
    /// Deletes the sign-ins `request` names (and announces it to other instances).
    pub async fn end_sign_ins(&self, request: &EndSignIns) -> AppResult<()> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        self.delete_sign_ins(&mut tx, request).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores a new password hash and sets or clears "must change password", then ends the
    /// sign-ins `ending` names (if any), all in one transaction.
    pub async fn set_password(
        &self,
        user_id: UserId,
        password_hash: &str,
        must_change_password: bool,
        ending: Option<&EndSignIns>,
    ) -> AppResult<()> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3")
            .bind(password_hash)
            .bind(i64::from(must_change_password))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if let Some(ending) = ending {
            self.delete_sign_ins(&mut tx, ending).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The token hashes among `hashes` that are still valid sign-ins.
    pub async fn live_sign_ins(&self, hashes: &[String], now_ms: i64) -> AppResult<Vec<String>> {
        let mut live = Vec::new();
        for hash in hashes {
            let found: Option<String> = sqlx::query_scalar(
                "SELECT token_hash FROM auth_sessions WHERE token_hash = $1 AND expires_at_ms > $2",
            )
            .bind(hash)
            .bind(now_ms)
            .fetch_optional(&self.pool)
            .await?;
            live.extend(found);
        }
        Ok(live)
    }

    pub(super) async fn delete_sign_ins(
        &self,
        conn: &mut AnyConnection,
        request: &EndSignIns,
    ) -> sqlx::Result<()> {
        match &request.target {
            EndTarget::SignIn(hash) => {
                sqlx::query("DELETE FROM auth_sessions WHERE token_hash = $1")
                    .bind(hash)
                    .execute(&mut *conn)
                    .await?;
            }
            EndTarget::User { user_id, except } => {
                sqlx::query("DELETE FROM auth_sessions WHERE user_id = $1 AND token_hash <> $2")
                    .bind(user_id)
                    .bind(except.as_deref().unwrap_or(""))
                    .execute(&mut *conn)
                    .await?;
            }
        }
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(NOTIFY_CHANNEL)
                .bind(request.to_notification())
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}
