//! The rows reports are made from: sessions in a date range with whether they were held, the
//! people concerned and their marks. Counting is `domain::report`'s job; these only read, each
//! in one consistent snapshot.

use super::Store;
use crate::domain::report::MarkCell;
use crate::domain::{AttendanceStatus, ClassId, SessionId, UserId};
use crate::error::AppResult;
use sqlx::AnyConnection;

/// A session in a report's range: id, class, start, held (it opened).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeSession {
    pub id: SessionId,
    pub class_id: ClassId,
    pub starts_at_ms: i64,
    pub held: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassRef {
    pub id: ClassId,
    pub name: String,
    pub archived: bool,
}

/// Everything one report reads.
#[derive(Debug, Clone, Default)]
pub struct RegisterRows {
    /// Oldest first.
    pub sessions: Vec<RangeSession>,
    pub people: Vec<Person>,
    pub classes: Vec<ClassRef>,
    pub marks: Vec<MarkCell>,
}

/// Sessions that were held or are still to come count; a session cancelled before it was held
/// (closed, never opened) counts as "not held" once its start has passed.
const SESSION_SELECT: &str = "SELECT s.id, s.class_id, s.starts_at_ms, \
    CAST(CASE WHEN s.opened_at_ms IS NULL THEN 0 ELSE 1 END AS BIGINT) FROM class_sessions s";

fn sessions_of(rows: Vec<(i64, i64, i64, i64)>) -> Vec<RangeSession> {
    rows.into_iter()
        .map(|(id, class_id, starts_at_ms, held)| RangeSession {
            id,
            class_id,
            starts_at_ms,
            held: held != 0,
        })
        .collect()
}

/// A mark's session, student and status as a number (the index in `AttendanceStatus::ALL`):
/// a report may read hundreds of thousands, and numbers decode faster than text.
const MARK_COLUMNS: &str = "a.session_id, a.student_id, CAST(CASE a.status \
    WHEN 'present' THEN 0 WHEN 'late' THEN 1 WHEN 'excused' THEN 2 ELSE 3 END AS BIGINT)";

fn marks_of(rows: Vec<(i64, i64, i64)>) -> Vec<MarkCell> {
    rows.into_iter()
        .filter_map(|(session_id, student_id, status)| {
            Some(MarkCell {
                session_id,
                student_id,
                status: *AttendanceStatus::ALL.get(usize::try_from(status).ok()?)?,
            })
        })
        .collect()
}

fn people_of(rows: Vec<(i64, String, String)>) -> Vec<Person> {
    rows.into_iter()
        .map(|(id, username, display_name)| Person {
            id,
            username,
            display_name,
        })
        .collect()
}

/// Rows of a query over one class's or one student's sessions in a range: `$1` is the class or
/// student, `$2` and `$3` the range.
async fn in_range<T>(
    conn: &mut AnyConnection,
    sql: &str,
    id: i64,
    from_ms: i64,
    until_ms: i64,
) -> sqlx::Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    sqlx::query_as(sql)
        .bind(id)
        .bind(from_ms)
        .bind(until_ms)
        .fetch_all(conn)
        .await
}

impl Store {
    /// A class's register over `[from_ms, until_ms)`: its sessions, its students (enrolled now,
    /// or marked in one of those sessions), by name, and their marks.
    pub async fn class_register(
        &self,
        class_id: ClassId,
        from_ms: i64,
        until_ms: i64,
    ) -> AppResult<RegisterRows> {
        let mut tx = self.read_tx().await?;
        let sessions: Vec<(i64, i64, i64, i64)> = in_range(
            &mut tx,
            &format!(
                "{SESSION_SELECT} WHERE s.class_id = $1 AND s.starts_at_ms >= $2 \
             AND s.starts_at_ms < $3 ORDER BY s.starts_at_ms, s.id"
            ),
            class_id,
            from_ms,
            until_ms,
        )
        .await?;
        let sessions_in_range = "SELECT s.id FROM class_sessions s WHERE s.class_id = $1 \
                        AND s.starts_at_ms >= $2 AND s.starts_at_ms < $3";
        let people: Vec<(i64, String, String)> = in_range(
            &mut tx,
            &format!(
                "SELECT u.id, u.username, u.display_name FROM users u WHERE u.id IN \
             (SELECT student_id FROM enrollments WHERE class_id = $1) OR u.id IN \
             (SELECT a.student_id FROM attendance a WHERE a.session_id IN ({sessions_in_range})) \
             ORDER BY u.display_name, u.id"
            ),
            class_id,
            from_ms,
            until_ms,
        )
        .await?;
        let marks: Vec<(i64, i64, i64)> = in_range(
            &mut tx,
            &format!(
                "SELECT {MARK_COLUMNS} FROM attendance a \
             WHERE a.session_id IN ({sessions_in_range})"
            ),
            class_id,
            from_ms,
            until_ms,
        )
        .await?;
        tx.commit().await?;
        Ok(RegisterRows {
            sessions: sessions_of(sessions),
            people: people_of(people),
            classes: Vec::new(),
            marks: marks_of(marks),
        })
    }

    /// One student over `[from_ms, until_ms)`: the sessions of the classes they are enrolled in
    /// or were marked in (only `classes`, when given), those classes, and the student's marks.
    pub async fn student_register(
        &self,
        student_id: UserId,
        classes: Option<&[ClassId]>,
        from_ms: i64,
        until_ms: i64,
    ) -> AppResult<RegisterRows> {
        let mut tx = self.read_tx().await?;
        let theirs = "(SELECT class_id FROM enrollments WHERE student_id = $1 UNION \
             SELECT s2.class_id FROM attendance a2 JOIN class_sessions s2 ON s2.id = a2.session_id \
             WHERE a2.student_id = $1)";
        let class_rows: Vec<(i64, String, i64)> = sqlx::query_as(&format!(
            "SELECT c.id, c.name, c.archived FROM classes c WHERE c.id IN {theirs} \
             ORDER BY c.name, c.id"
        ))
        .bind(student_id)
        .fetch_all(&mut *tx)
        .await?;
        let class_refs: Vec<ClassRef> = class_rows
            .into_iter()
            .filter(|(id, _, _)| classes.is_none_or(|allowed| allowed.contains(id)))
            .map(|(id, name, archived)| ClassRef {
                id,
                name,
                archived: archived != 0,
            })
            .collect();
        let sessions: Vec<(i64, i64, i64, i64)> = in_range(
            &mut tx,
            &format!(
                "{SESSION_SELECT} WHERE s.class_id IN {theirs} AND s.starts_at_ms >= $2 \
             AND s.starts_at_ms < $3 ORDER BY s.starts_at_ms, s.id"
            ),
            student_id,
            from_ms,
            until_ms,
        )
        .await?;
        let marks: Vec<(i64, i64, i64)> = in_range(
            &mut tx,
            &format!(
                "SELECT {MARK_COLUMNS} FROM attendance a \
             JOIN class_sessions s ON s.id = a.session_id WHERE a.student_id = $1 \
             AND s.starts_at_ms >= $2 AND s.starts_at_ms < $3"
            ),
            student_id,
            from_ms,
            until_ms,
        )
        .await?;
        tx.commit().await?;
        let allowed: Vec<ClassId> = class_refs.iter().map(|c| c.id).collect();
        let sessions: Vec<RangeSession> = sessions_of(sessions)
            .into_iter()
            .filter(|s| allowed.contains(&s.class_id))
            .collect();
        let session_ids: std::collections::HashSet<i64> = sessions.iter().map(|s| s.id).collect();
        Ok(RegisterRows {
            sessions,
            people: Vec::new(),
            classes: class_refs,
            marks: marks_of(marks)
                .into_iter()
                .filter(|m| session_ids.contains(&m.session_id))
                .collect(),
        })
    }

    /// The whole school over `[from_ms, until_ms)`: every class, every session, every mark, and
    /// the students who have one.
    pub async fn school_register(&self, from_ms: i64, until_ms: i64) -> AppResult<RegisterRows> {
        let mut tx = self.read_tx().await?;
        let classes: Vec<(i64, String, i64)> =
            sqlx::query_as("SELECT id, name, archived FROM classes ORDER BY name, id")
                .fetch_all(&mut *tx)
                .await?;
        let sessions: Vec<(i64, i64, i64, i64)> = sqlx::query_as(&format!(
            "{SESSION_SELECT} WHERE s.starts_at_ms >= $1 AND s.starts_at_ms < $2 \
             ORDER BY s.starts_at_ms, s.id"
        ))
        .bind(from_ms)
        .bind(until_ms)
        .fetch_all(&mut *tx)
        .await?;
        let marks: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT {MARK_COLUMNS} FROM attendance a \
             JOIN class_sessions s ON s.id = a.session_id \
             WHERE s.starts_at_ms >= $1 AND s.starts_at_ms < $2"
        ))
        .bind(from_ms)
        .bind(until_ms)
        .fetch_all(&mut *tx)
        .await?;
        let people: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT id, username, display_name FROM users WHERE role = 'student' \
             ORDER BY display_name, id",
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(RegisterRows {
            sessions: sessions_of(sessions),
            people: people_of(people),
            classes: classes
                .into_iter()
                .map(|(id, name, archived)| ClassRef {
                    id,
                    name,
                    archived: archived != 0,
                })
                .collect(),
            marks: marks_of(marks),
        })
    }

    /// The start of the earliest session of a class, or of a student's classes, or of the
    /// school: where a report's range begins when none is given.
    pub async fn earliest_session_ms(
        &self,
        class_id: Option<ClassId>,
        student_id: Option<UserId>,
    ) -> AppResult<Option<i64>> {
        let earliest: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(s.starts_at_ms) FROM class_sessions s WHERE ($1 = 0 OR s.class_id = $1) \
             AND ($2 = 0 OR s.class_id IN (SELECT class_id FROM enrollments WHERE student_id = $2))",
        )
        .bind(class_id.unwrap_or(0))
        .bind(student_id.unwrap_or(0))
        .fetch_one(&self.pool)
        .await?;
        Ok(earliest)
    }
}
