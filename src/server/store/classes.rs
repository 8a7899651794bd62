//! Classes, their teachers and their rosters.

use super::rows::{ClassRow, Teachers};
use super::{is_unique_violation, Store};
use crate::domain::{ClassId, ClassSummary, CurrentUser, Role, UserId};
use crate::error::{AppError, AppResult};
use sqlx::AnyConnection;

impl Store {
    /// A new class with its teachers and students. 409 when the name is taken.
    pub async fn create_class(
        &self,
        name: &str,
        teachers: &[UserId],
        students: &[UserId],
    ) -> AppResult<ClassId> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let class_id: i64 =
            sqlx::query_scalar("INSERT INTO classes (name) VALUES ($1) RETURNING id")
                .bind(name)
                .fetch_one(&mut *tx)
                .await
                .map_err(|error| {
                    if is_unique_violation(&error) {
                        AppError::conflict(format!("There is already a class called {name}."))
                    } else {
                        error.into()
                    }
                })?;
        insert_teachers(&mut tx, class_id, teachers).await?;
        for student in students {
            sqlx::query("INSERT INTO enrollments (class_id, student_id) VALUES ($1, $2)")
                .bind(class_id)
                .bind(student)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(class_id)
    }

    /// Classes the user may see: the ones a teacher teaches (archived ones left out), or every
    /// class for an admin.
    pub async fn classes_visible_to(&self, user: &CurrentUser) -> AppResult<Vec<ClassSummary>> {
        let only_teacher = match user.role {
            Role::Admin => None,
            Role::Teacher => Some(user.id),
            Role::Student => return Ok(Vec::new()),
        };
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<ClassRow> = sqlx::query_as(
            "SELECT c.id, c.name, c.archived, \
             (SELECT COUNT(*) FROM enrollments e WHERE e.class_id = c.id) AS student_count, \
             (SELECT s.id FROM class_sessions s WHERE s.class_id = c.id AND s.is_open = 1) \
                AS open_session_id \
             FROM classes c WHERE $1 = 0 OR (c.archived = 0 AND EXISTS \
             (SELECT 1 FROM class_teachers ct WHERE ct.class_id = c.id AND ct.teacher_id = $1)) \
             ORDER BY c.archived, c.name",
        )
        .bind(only_teacher.unwrap_or(0))
        .fetch_all(&mut *conn)
        .await?;
        let teachers = teachers_of(&mut conn, None).await?;
        Ok(rows
            .into_iter()
            .map(|row| row.into_summary(&teachers))
            .collect())
    }

    /// The class's name and whether it is archived.
    pub async fn class_name(&self, class_id: ClassId) -> AppResult<Option<(String, bool)>> {
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT name, archived FROM classes WHERE id = $1")
                .bind(class_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(name, archived)| (name, archived != 0)))
    }

    pub async fn class_archived(&self, class_id: ClassId) -> AppResult<bool> {
        let archived: Option<i64> =
            sqlx::query_scalar("SELECT archived FROM classes WHERE id = $1")
                .bind(class_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(archived.unwrap_or(0) != 0)
    }

    /// The class's teachers' names, comma-separated.
    pub async fn class_teacher_names(&self, class_id: ClassId) -> AppResult<String> {
        let mut conn = self.pool.acquire().await?;
        Ok(teachers_of(&mut conn, Some(class_id))
            .await?
            .names_of(class_id))
    }

    /// The class's teachers, or `None` when there is no such class.
    pub async fn class_teachers(&self, class_id: ClassId) -> AppResult<Option<Vec<UserId>>> {
        let mut conn = self.pool.acquire().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM classes WHERE id = $1")
            .bind(class_id)
            .fetch_optional(&mut *conn)
            .await?;
        if exists.is_none() {
            return Ok(None);
        }
        Ok(Some(
            teachers_of(&mut conn, Some(class_id))
                .await?
                .ids_of(class_id),
        ))
    }
}

/// Adds `teachers` to the class (the caller's transaction).
pub(super) async fn insert_teachers(
    conn: &mut AnyConnection,
    class_id: ClassId,
    teachers: &[UserId],
) -> sqlx::Result<()> {
    for teacher in teachers {
        sqlx::query("INSERT INTO class_teachers (class_id, teacher_id) VALUES ($1, $2)")
            .bind(class_id)
            .bind(teacher)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Teachers (id, name) of one class or of all, by class.
pub(super) async fn teachers_of(
    conn: &mut AnyConnection,
    class_id: Option<ClassId>,
) -> sqlx::Result<Teachers> {
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT ct.class_id, u.id, u.display_name FROM class_teachers ct \
         JOIN users u ON u.id = ct.teacher_id WHERE $1 = 0 OR ct.class_id = $1 \
         ORDER BY ct.class_id, u.display_name, u.id",
    )
    .bind(class_id.unwrap_or(0))
    .fetch_all(conn)
    .await?;
    let mut teachers = Teachers::default();
    for (class_id, id, name) in rows {
        teachers.0.entry(class_id).or_default().push((id, name));
    }
    Ok(teachers)
}
