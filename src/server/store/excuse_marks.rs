//! What an approved excuse does to marks: deciding an excuse (an approval marks the class's held
//! sessions in its range excused, under each session's lock, with events so open dashboards
//! move), and applying approved excuses when a session opens or closes (an excuse for a future
//! day).

use super::attendance::{current_mark, write_mark, MarkChange};
use super::excuses::{stored, ExcuseRow, EXCUSE_COLUMNS};
use super::Store;
use crate::domain::excuse::{decide_excuse, excuse_changes, Excuse, ExcuseDecision};
use crate::domain::{AttendanceStatus, MarkSource, SessionId, UserId};
use crate::error::{AppError, AppResult};
use crate::protocol::Event;
use sqlx::AnyConnection;

impl Store {
    /// Approves or declines a pending excuse. Approving marks the class's held sessions in its
    /// range excused where the student was absent or unmarked (never over a presence); sessions
    /// still to come are marked when they open. A repeat of the same decision changes nothing.
    pub async fn decide_excuse(
        &self,
        id: i64,
        decision: ExcuseDecision,
        by: UserId,
        now_ms: i64,
    ) -> AppResult<Excuse> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let lock = if self.backend == super::Backend::Postgres {
            " FOR UPDATE OF x"
        } else {
            ""
        };
        let row: Option<ExcuseRow> =
            sqlx::query_as(&format!("SELECT {EXCUSE_COLUMNS} WHERE x.id = $1{lock}"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let found = row
            .and_then(stored)
            .ok_or_else(|| AppError::not_found("There is no such excuse."))?;
        let changes = decide_excuse(found.excuse.state, decision).map_err(AppError::conflict)?;
        let mut log = Vec::new();
        if changes {
            sqlx::query(
                "UPDATE excuses SET state = $1, decided_by = $2, decided_at_ms = $3 WHERE id = $4",
            )
            .bind(decision.resulting_state().as_str())
            .bind(by)
            .bind(now_ms)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if decision == ExcuseDecision::Approve {
                let sessions: Vec<i64> = sqlx::query_scalar(
                    "SELECT id FROM class_sessions WHERE class_id = $1 AND starts_at_ms >= $2 \
                     AND starts_at_ms < $3 AND opened_at_ms IS NOT NULL ORDER BY id",
                )
                .bind(found.excuse.class_id)
                .bind(found.from_ms)
                .bind(found.until_ms)
                .fetch_all(&mut *tx)
                .await?;
                for session_id in sessions {
                    self.lock_session(&mut tx, session_id).await?;
                    let student = (found.excuse.student_id, found.excuse.student_name.clone());
                    excuse_student(&mut tx, &mut log, session_id, student, by, now_ms).await?;
                }
            }
        }
        self.commit(tx, log).await?;
        let (excuse, _) = self.excuse(id).await?.ok_or_else(AppError::internal)?;
        Ok(excuse)
    }
}

/// Marks the student excused in the session if the excuse rule allows (the caller holds the
/// session's lock).
async fn excuse_student(
    conn: &mut AnyConnection,
    log: &mut Vec<Event>,
    session_id: SessionId,
    (student_id, student_name): (UserId, String),
    by: UserId,
    now_ms: i64,
) -> sqlx::Result<bool> {
    let existing = current_mark(conn, session_id, student_id).await?;
    if !excuse_changes(existing.as_ref()) {
        return Ok(false);
    }
    let change = MarkChange {
        session_id,
        student_id,
        student_name,
        status: AttendanceStatus::Excused,
        source: MarkSource::Teacher,
        previous: existing.map(|m| m.status),
        by_user_id: Some(by),
        device: None,
    };
    write_mark(conn, log, change, now_ms).await?;
    Ok(true)
}

/// Applies approved excuses to a session that is opening or closing (the caller holds its lock):
/// every active student of the class without a mark whose approved excuse covers the session's
/// start is marked excused, by whoever approved it. Returns how many.
pub(super) async fn apply_approved_excuses(
    conn: &mut AnyConnection,
    log: &mut Vec<Event>,
    session_id: SessionId,
    now_ms: i64,
) -> sqlx::Result<u32> {
    let due: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT u.id, u.display_name, MIN(x.decided_by) FROM class_sessions s \
         JOIN excuses x ON x.class_id = s.class_id AND x.state = 'approved' \
         AND s.starts_at_ms >= x.from_ms AND s.starts_at_ms < x.until_ms \
         JOIN enrollments e ON e.class_id = s.class_id AND e.student_id = x.student_id \
         JOIN users u ON u.id = x.student_id AND u.active = 1 \
         WHERE s.id = $1 AND NOT EXISTS \
         (SELECT 1 FROM attendance a WHERE a.session_id = s.id AND a.student_id = u.id) \
         GROUP BY u.id, u.display_name ORDER BY u.id",
    )
    .bind(session_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut excused = 0;
    for (student_id, name, by) in due {
        if excuse_student(conn, log, session_id, (student_id, name), by, now_ms).await? {
            excused += 1;
        }
    }
    Ok(excused)
}
