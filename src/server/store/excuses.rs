//! Absence excuses: submitting (one row per class, all in one transaction, a retry finds the
//! first), deciding (an approval marks the class's held sessions in the range excused, under each
//! session's lock, with events so open dashboards move), withdrawing, listing; and applying
//! approved excuses when a session opens or closes (an excuse for a future day).

use super::attendance::{current_mark, write_mark, MarkChange};
use super::Store;
use crate::domain::excuse::{decide_excuse, excuse_changes, Excuse, ExcuseDecision, ExcuseState};
use crate::domain::{AttendanceStatus, ClassId, MarkSource, SessionId, UserId, Username};
use crate::error::{AppError, AppResult};
use crate::protocol::Event;
use sqlx::AnyConnection;

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

const EXCUSE_COLUMNS: &str = "x.id, x.student_id, st.display_name, x.class_id, c.name, \
    x.first_day, x.last_day, x.reason, x.state, sb.display_name, x.submitted_at_ms, \
    db.display_name, x.decided_at_ms, x.from_ms, x.until_ms \
    FROM excuses x JOIN users st ON st.id = x.student_id JOIN classes c ON c.id = x.class_id \
    JOIN users sb ON sb.id = x.submitted_by LEFT JOIN users db ON db.id = x.decided_by";

type ExcuseRow = (
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
);

/// An excuse row with the facts deciding needs.
struct Stored {
    excuse: Excuse,
    from_ms: i64,
    until_ms: i64,
}

fn stored(row: ExcuseRow) -> Option<Stored> {
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
            sessions_excused: 0,
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
        let mut excuses: Vec<Excuse> = rows
            .into_iter()
            .filter_map(stored)
            .map(|s| s.excuse)
            .collect();
        for excuse in excuses
            .iter_mut()
            .filter(|e| e.state == ExcuseState::Approved)
        {
            excuse.sessions_excused = self.sessions_excused_by(excuse).await?;
        }
        Ok(excuses)
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
        let (mut excuse, _) = self.excuse(id).await?.ok_or_else(AppError::internal)?;
        if excuse.state == ExcuseState::Approved {
            excuse.sessions_excused = self.sessions_excused_by(&excuse).await?;
        }
        Ok(excuse)
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

    async fn sessions_excused_by(&self, excuse: &Excuse) -> AppResult<u32> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM attendance a JOIN class_sessions s ON s.id = a.session_id \
             JOIN excuses x ON x.class_id = s.class_id AND x.student_id = a.student_id \
             WHERE x.id = $1 AND a.status = 'excused' \
             AND s.starts_at_ms >= x.from_ms AND s.starts_at_ms < x.until_ms",
        )
        .bind(excuse.id)
        .fetch_one(&self.pool)
        .await?;
        Ok(count.clamp(0, u32::MAX as i64) as u32)
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
