//! A class's sessions past and upcoming, and the audit trail of a session's marks.

use super::Store;
use crate::domain::{
    session_phase, AttendanceCounts, AttendanceStatus, ClassId, MarkChangeEntry, MarkSource,
    SessionId, SessionListing,
};
use crate::error::AppResult;
use std::collections::HashMap;

/// at, student, student's name, before, after, source, by whom.
type ChangeRow = (
    i64,
    i64,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
);
type ListingRow = (
    i64,
    i64,
    Option<i64>,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

impl Store {
    /// The class's sessions: the next `upcoming` not yet held (soonest first), and up to `past`
    /// that opened or closed, starting before `past_before_ms` (newest first), with headcounts.
    pub async fn class_sessions(
        &self,
        class_id: ClassId,
        upcoming: i64,
        past: i64,
        past_before_ms: i64,
    ) -> AppResult<(Vec<SessionListing>, Vec<SessionListing>)> {
        let columns =
            "id, is_open, closed_at_ms, starts_at_ms, ends_at_ms, opened_at_ms, meeting_id";
        let mut tx = self.read_tx().await?;
        let upcoming_rows: Vec<ListingRow> = sqlx::query_as(&format!(
            "SELECT {columns} FROM class_sessions WHERE class_id = $1 AND is_open = 0 \
             AND closed_at_ms IS NULL ORDER BY starts_at_ms, id LIMIT $2"
        ))
        .bind(class_id)
        .bind(upcoming)
        .fetch_all(&mut *tx)
        .await?;
        let past_rows: Vec<ListingRow> = sqlx::query_as(&format!(
            "SELECT {columns} FROM class_sessions WHERE class_id = $1 \
             AND (is_open = 1 OR closed_at_ms IS NOT NULL) AND starts_at_ms < $2 \
             ORDER BY starts_at_ms DESC, id DESC LIMIT $3"
        ))
        .bind(class_id)
        .bind(past_before_ms)
        .bind(past)
        .fetch_all(&mut *tx)
        .await?;
        let oldest = past_rows.last().map_or(i64::MAX, |row| row.3);
        let statuses: Vec<(i64, String)> = sqlx::query_as(
            "SELECT a.session_id, a.status FROM attendance a \
             JOIN class_sessions s ON s.id = a.session_id \
             WHERE s.class_id = $1 AND s.starts_at_ms >= $2 AND s.starts_at_ms < $3",
        )
        .bind(class_id)
        .bind(oldest)
        .bind(past_before_ms)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut counts: HashMap<i64, AttendanceCounts> = HashMap::new();
        for (session, status) in statuses {
            counts
                .entry(session)
                .or_default()
                .add(AttendanceStatus::parse(&status));
        }
        let listing = |row: ListingRow| {
            let (id, is_open, closed_at_ms, starts_at_ms, ends_at_ms, opened_at_ms, meeting) = row;
            SessionListing {
                id,
                phase: session_phase(is_open != 0, closed_at_ms),
                starts_at_ms,
                ends_at_ms,
                held: opened_at_ms.is_some(),
                scheduled: meeting.is_some(),
                counts: counts.get(&id).copied().unwrap_or_default(),
            }
        };
        Ok((
            upcoming_rows.into_iter().map(listing).collect(),
            past_rows.into_iter().map(listing).collect(),
        ))
    }

    /// Every change of a mark in the session, oldest first: who changed what, when, from what.
    pub async fn session_changes(&self, session_id: SessionId) -> AppResult<Vec<MarkChangeEntry>> {
        let rows: Vec<ChangeRow> = sqlx::query_as(
            "SELECT h.at_ms, h.student_id, s.display_name, h.status_before, h.status_after, \
                 h.source, b.display_name FROM attendance_changes h \
                 JOIN users s ON s.id = h.student_id LEFT JOIN users b ON b.id = h.by_user_id \
                 WHERE h.session_id = $1 ORDER BY h.id",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(
                |(at_ms, student_id, student_name, before, after, source, by)| {
                    Some(MarkChangeEntry {
                        at_ms,
                        student_id,
                        student_name,
                        before: before.as_deref().and_then(AttendanceStatus::parse),
                        after: AttendanceStatus::parse(&after)?,
                        source: MarkSource::parse(&source)?,
                        by_name: by,
                    })
                },
            )
            .collect())
    }
}
