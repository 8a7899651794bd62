//! Absence excuses: submitting (one row per class, all in one transaction, a retry finds the
//! first), withdrawing, listing. Deciding, and the marks an approval makes, are in
//! `excuse_marks`.

use super::Store;
use crate::domain::excuse::{Excuse, ExcuseState};
use crate::domain::{ClassId, UserId, Username};
use crate::error::{AppError, AppResult};

/// A checked excuse, ready to store: local dates and the instants they span.
#[derive(Debug, Clone)]
pub struct NewExcuse {
    pub student_id: UserId,
    pub first_day: String,
    pub last_day: String,
    pub from_ms: i64,
    pub until_ms: i64,
    pub reason: String,
    pub submitted_by: UserId,
}

/// Which excuses a list shows.
#[derive(Debug, Clone, Copy)]
pub enum ExcuseScope {
    Student(UserId),
    /// Excuses for classes this teacher runs.
    TaughtBy(UserId),
    All,
}

pub(super) const EXCUSE_COLUMNS: &str = "x.id, x.student_id, st.display_name, x.class_id, c.name, \
    x.first_day, x.last_day, x.reason, x.state, sb.display_name, x.submitted_at_ms, \
    db.display_name, x.decided_at_ms, x.from_ms, x.until_ms, \
    (SELECT COUNT(*) FROM attendance a JOIN class_sessions s ON s.id = a.session_id \
     WHERE x.state = 'approved' AND s.class_id = x.class_id AND a.student_id = x.student_id \
     AND a.status = 'excused' AND s.starts_at_ms >= x.from_ms AND s.starts_at_ms < x.until_ms) \
    FROM excuses x JOIN users st ON st.id = x.student_id JOIN classes c ON c.id = x.class_id \
    JOIN users sb ON sb.id = x.submitted_by LEFT JOIN users db ON db.id = x.decided_by";

pub(super) type ExcuseRow = (
    i64,
    i64,
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    Option<i64>,
    i64,
    i64,
    i64,
);

/// An excuse row with the facts deciding needs.
pub(super) struct Stored {
    pub excuse: Excuse,
    pub from_ms: i64,
    pub until_ms: i64,
}

pub(super) fn stored(row: ExcuseRow) -> Option<Stored> {
    Some(Stored {
        excuse: Excuse {
            id: row.0,
            student_id: row.1,
            student_name: row.2,
            class_id: row.3,
            class_name: row.4,
            first_day: row.5,
            last_day: row.6,
            reason: row.7,
            state: ExcuseState::parse(&row.8)?,
            submitted_by_name: row.9,
            submitted_at_ms: row.10,
            decided_by_name: row.11,
            decided_at_ms: row.12,
            sessions_excused: row.15.clamp(0, u32::MAX as i64) as u32,
        },
        from_ms: row.13,
        until_ms: row.14,
    })
}

impl Store {
    /// An active student's id by username.
    pub async fn student_id_by_username(&self, username: &Username) -> AppResult<Option<UserId>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM users WHERE username = $1 AND role = 'student' AND active = 1",
        )
        .bind(username.as_str())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The classes a student is enrolled in (not archived), by name.
    pub async fn student_classes(&self, student_id: UserId) -> AppResult<Vec<(ClassId, String)>> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.name FROM enrollments e JOIN classes c ON c.id = e.class_id \
             WHERE e.student_id = $1 AND c.archived = 0 ORDER BY c.name, c.id",
        )
        .bind(student_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The classes (of `candidates`, or all the student's if empty) the student is enrolled in
    /// and that are not archived, by name; an unknown or foreign class is an error.
    pub async fn excusable_classes(
        &self,
        student_id: UserId,
        candidates: &[ClassId],
    ) -> AppResult<Vec<ClassId>> {
        let enrolled: Vec<i64> = sqlx::query_scalar(
            "SELECT c.id FROM enrollments e JOIN classes c ON c.id = e.class_id \
             WHERE e.student_id = $1 AND c.archived = 0 ORDER BY c.name, c.id",
        )
        .bind(student_id)
        .fetch_all(&self.pool)
        .await?;
        if candidates.is_empty() {
            if enrolled.is_empty() {
                return Err(AppError::conflict(
                    "This student is not enrolled in any class.",
                ));
            }
            return Ok(enrolled);
        }
        if let Some(other) = candidates.iter().find(|id| !enrolled.contains(id)) {
            return Err(AppError::not_found(format!(
                "The student is not enrolled in class {other}."
            )));
        }
        Ok(enrolled
            .into_iter()
            .filter(|id| candidates.contains(id))
            .collect())
    }

    /// Stores the excuse for each class in one transaction; sending the same again returns the
    /// excuses already there. Returns their ids, in class order.
    pub async fn submit_excuses(
        &self,
        excuse: &NewExcuse,
        class_ids: &[ClassId],
        now_ms: i64,
    ) -> AppResult<Vec<i64>> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let mut ids = Vec::new();
        for class_id in class_ids {
            sqlx::query(
                "INSERT INTO excuses (student_id, class_id, first_day, last_day, from_ms, \
                 until_ms, reason, state, submitted_by, submitted_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9) \
                 ON CONFLICT (student_id, class_id, first_day, last_day) \
                 WHERE state IN ('pending', 'approved') DO NOTHING",
            )
            .bind(excuse.student_id)
            .bind(class_id)
            .bind(&excuse.first_day)
            .bind(&excuse.last_day)
            .bind(excuse.from_ms)
            .bind(excuse.until_ms)
            .bind(&excuse.reason)
            .bind(excuse.submitted_by)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            let id: i64 = sqlx::query_scalar(
                "SELECT id FROM excuses WHERE student_id = $1 AND class_id = $2 \
                 AND first_day = $3 AND last_day = $4 AND state IN ('pending', 'approved')",
            )
            .bind(excuse.student_id)
            .bind(class_id)
            .bind(&excuse.first_day)
            .bind(&excuse.last_day)
            .fetch_one(&mut *tx)
            .await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Excuses in scope, newest first; `state` narrows them.
    pub async fn excuses(
        &self,
        scope: ExcuseScope,
        state: Option<ExcuseState>,
        limit: i64,
    ) -> AppResult<Vec<Excuse>> {
        let (filter, who) = match scope {
            ExcuseScope::Student(id) => ("x.student_id = $1", id),
            ExcuseScope::TaughtBy(id) => (
                "x.class_id IN (SELECT class_id FROM class_teachers WHERE teacher_id = $1)",
                id,
            ),
            ExcuseScope::All => ("$1 = $1", 0),
        };
        let rows: Vec<ExcuseRow> = sqlx::query_as(&format!(
            "SELECT {EXCUSE_COLUMNS} WHERE {filter} AND ($2 = '' OR x.state = $2) \
             ORDER BY x.submitted_at_ms DESC, x.id DESC LIMIT $3"
        ))
        .bind(who)
        .bind(state.map_or("", ExcuseState::as_str))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(stored)
            .map(|s| s.excuse)
            .collect())
    }

    /// The excuse and the teachers of its class (who may decide it), if it exists.
    pub async fn excuse(&self, id: i64) -> AppResult<Option<(Excuse, Vec<UserId>)>> {
        let row: Option<ExcuseRow> =
            sqlx::query_as(&format!("SELECT {EXCUSE_COLUMNS} WHERE x.id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        let Some(excuse) = row.and_then(stored).map(|s| s.excuse) else {
            return Ok(None);
        };
        let teachers = self
            .class_teachers(excuse.class_id)
            .await?
            .unwrap_or_default();
        Ok(Some((excuse, teachers)))
    }

    /// The student takes back a pending excuse. Withdrawing twice changes nothing.
    pub async fn withdraw_excuse(&self, id: i64, student_id: UserId) -> AppResult<()> {
        let _writer = self.writer().await;
        let state: Option<String> =
            sqlx::query_scalar("SELECT state FROM excuses WHERE id = $1 AND student_id = $2")
                .bind(id)
                .bind(student_id)
                .fetch_optional(&self.pool)
                .await?;
        match state.as_deref().and_then(ExcuseState::parse) {
            None => Err(AppError::not_found("There is no such excuse of yours.")),
            Some(ExcuseState::Withdrawn) => Ok(()),
            Some(ExcuseState::Pending) => {
                sqlx::query(
                    "UPDATE excuses SET state = 'withdrawn' WHERE id = $1 AND state = 'pending'",
                )
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }
            Some(_) => Err(AppError::conflict(
                "This excuse has been decided already; talk to your teacher to change it.",
            )),
        }
    }
}
