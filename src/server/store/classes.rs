//! Classes and their rosters.

use super::rows::ClassRow;
use super::Store;
use crate::domain::{ClassId, ClassSummary, CurrentUser, Role, UserId};
use crate::error::AppResult;

impl Store {
    pub async fn create_class(
        &self,
        name: &str,
        teacher_id: UserId,
        students: &[UserId],
    ) -> AppResult<ClassId> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let class_id: i64 = sqlx::query_scalar(
            "INSERT INTO classes (name, teacher_id) VALUES ($1, $2) RETURNING id",
        )
        .bind(name)
        .bind(teacher_id)
        .fetch_one(&mut *tx)
        .await?;
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

    /// Classes the user may see: a teacher's own, or every class for an admin.
    pub async fn classes_visible_to(&self, user: &CurrentUser) -> AppResult<Vec<ClassSummary>> {
        let only_teacher = match user.role {
            Role::Admin => None,
            Role::Teacher => Some(user.id),
            Role::Student => return Ok(Vec::new()),
        };
        let rows: Vec<ClassRow> = sqlx::query_as(
            "SELECT c.id, c.name, t.display_name AS teacher_name, \
             (SELECT COUNT(*) FROM enrollments e WHERE e.class_id = c.id) AS student_count, \
             (SELECT s.id FROM class_sessions s WHERE s.class_id = c.id AND s.is_open = 1) \
                AS open_session_id \
             FROM classes c JOIN users t ON t.id = c.teacher_id \
             WHERE $1 = 0 OR c.teacher_id = $1 ORDER BY c.name",
        )
        .bind(only_teacher.unwrap_or(0))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(ClassSummary::from).collect())
    }

    pub async fn class_teacher(&self, class_id: ClassId) -> AppResult<Option<UserId>> {
        Ok(
            sqlx::query_scalar("SELECT teacher_id FROM classes WHERE id = $1")
                .bind(class_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}
