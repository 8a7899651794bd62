//! A class's and a session's check-in rules, and what a session's code is right now.

use super::check_in_code::code_key;
use super::events::append_event;
use super::rows::{rules_column, rules_from_column};
use super::Store;
use crate::domain::{CheckInRules, ClassId, ClassSession, JoinCode, SessionId};
use crate::error::{AppError, AppResult};
use crate::protocol::{Event, EventBody};
use sqlx::AnyConnection;

/// What a screen needs to show a session's code now.
#[derive(Debug, Clone)]
pub struct SessionCode {
    pub session_id: SessionId,
    pub is_open: bool,
    pub join_code: Option<JoinCode>,
    /// For a rotating code: the secret its codes are derived from and the period.
    pub rotating: Option<(String, u32)>,
}

impl Store {
    /// The session's code as of now; `None` when there is no such session.
    pub async fn session_code(&self, session_id: SessionId) -> AppResult<Option<SessionCode>> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<(i64, Option<String>)> =
            sqlx::query_as("SELECT is_open, join_code FROM class_sessions WHERE id = $1")
                .bind(session_id)
                .fetch_optional(&mut *conn)
                .await?;
        let Some((is_open, join_code)) = row else {
            return Ok(None);
        };
        Ok(Some(SessionCode {
            session_id,
            is_open: is_open != 0,
            join_code: join_code.and_then(|code| JoinCode::parse(&code).ok()),
            rotating: code_key(&mut conn, session_id).await?,
        }))
    }

    /// Sets the session's own rules (`None`: follow its class's again). Refused once the
    /// session is closed. Returns the rules now in force.
    pub async fn set_session_rules(
        &self,
        session: &ClassSession,
        rules: Option<&CheckInRules>,
        now_ms: i64,
    ) -> AppResult<CheckInRules> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let closed: Option<Option<i64>> = sqlx::query_scalar(&format!(
            "SELECT closed_at_ms FROM class_sessions WHERE id = $1{}",
            self.locking_read()
        ))
        .bind(session.id)
        .fetch_optional(&mut *tx)
        .await?;
        if matches!(closed, Some(Some(_))) {
            return Err(AppError::conflict(
                "This session is closed: its check-in rules no longer matter.",
            ));
        }
        sqlx::query("UPDATE class_sessions SET check_in_rules = $1 WHERE id = $2")
            .bind(rules.map(rules_column))
            .bind(session.id)
            .execute(&mut *tx)
            .await?;
        let mut log = Vec::new();
        let in_force = announce_rules(&mut tx, &mut log, session.id, now_ms).await?;
        self.commit(tx, log).await?;
        Ok(in_force)
    }

    /// Sets a class's rules: for its sessions from now on, and for its open and upcoming
    /// sessions that have no rules of their own.
    pub async fn set_class_rules(
        &self,
        class_id: ClassId,
        rules: &CheckInRules,
        now_ms: i64,
    ) -> AppResult<()> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let following: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM class_sessions WHERE class_id = $1 AND closed_at_ms IS NULL \
             AND check_in_rules IS NULL ORDER BY id",
        )
        .bind(class_id)
        .fetch_all(&mut *tx)
        .await?;
        for session_id in &following {
            self.lock_session(&mut tx, *session_id).await?;
        }
        sqlx::query("UPDATE classes SET check_in_rules = $1 WHERE id = $2")
            .bind(rules_column(rules))
            .bind(class_id)
            .execute(&mut *tx)
            .await?;
        let mut log = Vec::new();
        for session_id in following {
            announce_rules(&mut tx, &mut log, session_id, now_ms).await?;
        }
        self.commit(tx, log).await?;
        Ok(())
    }

    /// The class's own rules (the defaults when it has none).
    pub async fn class_rules(&self, class_id: ClassId) -> AppResult<CheckInRules> {
        let column: Option<Option<String>> =
            sqlx::query_scalar("SELECT check_in_rules FROM classes WHERE id = $1")
                .bind(class_id)
                .fetch_optional(&self.pool)
                .await?;
        let column = column.ok_or_else(|| AppError::not_found("There is no such class."))?;
        Ok(rules_from_column(column.as_deref()))
    }
}

/// Tells the session's followers the rules in force, drawing the session's code secret first
/// if it has none yet (sessions opened before rotating codes existed). Returns the rules.
async fn announce_rules(
    conn: &mut AnyConnection,
    log: &mut Vec<Event>,
    session_id: SessionId,
    now_ms: i64,
) -> sqlx::Result<CheckInRules> {
    ensure_code_secret(conn, session_id).await?;
    let column: Option<String> = sqlx::query_scalar(
        "SELECT COALESCE(s.check_in_rules, c.check_in_rules) FROM class_sessions s \
         JOIN classes c ON c.id = s.class_id WHERE s.id = $1",
    )
    .bind(session_id)
    .fetch_one(&mut *conn)
    .await?;
    let rules = rules_from_column(column.as_deref());
    let body = EventBody::CheckInRulesChanged {
        session_id,
        rules: rules.clone(),
    };
    append_event(conn, log, now_ms, body).await?;
    Ok(rules)
}

/// Gives the session a secret for its rotating codes unless it has one.
pub(super) async fn ensure_code_secret(
    conn: &mut AnyConnection,
    session_id: SessionId,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE class_sessions SET code_secret = $1 WHERE id = $2 AND code_secret IS NULL")
        .bind(crate::server::crypto::random_token(32))
        .bind(session_id)
        .execute(conn)
        .await?;
    Ok(())
}
