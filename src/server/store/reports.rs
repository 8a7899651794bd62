//! Read-only views across sessions: a student's history, the school's day.

use super::classes::teachers_of;
use super::events::position_in;
use super::rows::{SessionRow, StudentSessionRow, SESSION_COLUMNS};
use super::Store;
use crate::domain::{AttendanceCounts, AttendanceStatus, ClassSession, StudentSession, UserId};
use crate::error::AppResult;
use crate::protocol::{Channel, StreamPosition};
use std::collections::HashMap;

impl Store {
    /// Sessions of the student's classes that were held (opened), newest first, with their mark
    /// if any.
    pub async fn student_history(
        &self,
        student_id: UserId,
        limit: i64,
    ) -> AppResult<Vec<StudentSession>> {
        let rows: Vec<StudentSessionRow> = sqlx::query_as(
            "SELECT s.id AS session_id, c.name AS class_name, s.starts_at_ms, s.is_open, \
             a.status, a.source \
             FROM enrollments e JOIN class_sessions s ON s.class_id = e.class_id \
             JOIN classes c ON c.id = s.class_id \
             LEFT JOIN attendance a ON a.session_id = s.id AND a.student_id = e.student_id \
             WHERE e.student_id = $1 AND s.opened_at_ms IS NOT NULL ORDER BY s.starts_at_ms DESC, s.id DESC LIMIT $2",
        )
        .bind(student_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(StudentSession::from).collect())
    }

    /// Sessions starting in `[from_ms, to_ms)`, newest first, each with its headcount, and the
    /// school channel's position they reflect (read in one transaction).
    pub async fn sessions_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> AppResult<(Vec<(ClassSession, AttendanceCounts)>, StreamPosition)> {
        self.ensure_channel(Channel::School).await?;
        let mut tx = self.read_tx().await?;
        let position = position_in(&mut tx, Channel::School).await?;
        let sessions: Vec<SessionRow> = sqlx::query_as(&format!(
            "SELECT {SESSION_COLUMNS} WHERE s.starts_at_ms >= $1 AND s.starts_at_ms < $2 \
             ORDER BY s.starts_at_ms DESC, s.id DESC"
        ))
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&mut *tx)
        .await?;
        let statuses: Vec<(i64, Option<String>)> = sqlx::query_as(
            "SELECT s.id, a.status FROM class_sessions s \
             JOIN enrollments e ON e.class_id = s.class_id \
             LEFT JOIN attendance a ON a.session_id = s.id AND a.student_id = e.student_id \
             WHERE s.starts_at_ms >= $1 AND s.starts_at_ms < $2",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&mut *tx)
        .await?;
        let teachers = teachers_of(&mut tx, None).await?;
        tx.commit().await?;
        let mut counts: HashMap<i64, AttendanceCounts> = HashMap::new();
        for (session_id, status) in statuses {
            let status = status.as_deref().and_then(AttendanceStatus::parse);
            counts.entry(session_id).or_default().add(status);
        }
        let sessions = sessions
            .into_iter()
            .filter_map(|row| row.into_session(&teachers))
            .map(|session| {
                let of_session = counts.get(&session.id).copied().unwrap_or_default();
                (session, of_session)
            })
            .collect();
        Ok((sessions, position))
    }
}
