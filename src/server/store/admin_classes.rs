//! Administering classes: names, archiving, teachers and enrolments. Unique class names (the
//! CSV import and people refer to classes by name).

use super::classes::insert_teachers;
use super::{is_unique_violation, Store};
use crate::domain::{ClassId, UserId};
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};

/// A class member as the admin's class page lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Member {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub active: i64,
}

fn name_taken(name: &str) -> impl Fn(sqlx::Error) -> AppError + '_ {
    move |error| {
        if is_unique_violation(&error) {
            AppError::conflict(format!("There is already a class called {name}."))
        } else {
            error.into()
        }
    }
}

impl Store {
    pub async fn rename_class(&self, class_id: ClassId, name: &str) -> AppResult<()> {
        let _writer = self.writer().await;
        let changed = sqlx::query("UPDATE classes SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(class_id)
            .execute(&self.pool)
            .await
            .map_err(name_taken(name))?
            .rows_affected();
        if changed == 0 {
            return Err(AppError::not_found("There is no such class."));
        }
        Ok(())
    }

    pub async fn set_class_archived(&self, class_id: ClassId, archived: bool) -> AppResult<()> {
        let _writer = self.writer().await;
        let changed = sqlx::query("UPDATE classes SET archived = $1 WHERE id = $2")
            .bind(i64::from(archived))
            .bind(class_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(AppError::not_found("There is no such class."));
        }
        Ok(())
    }

    /// The ids among `ids` that are not teacher accounts (for a clear refusal).
    pub async fn not_teachers(&self, ids: &[UserId]) -> AppResult<Vec<UserId>> {
        let mut wrong = Vec::new();
        for id in ids {
            let role: Option<String> = sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            if role.as_deref() != Some("teacher") {
                wrong.push(*id);
            }
        }
        Ok(wrong)
    }

    /// Makes `teachers` exactly the class's teachers.
    pub async fn set_class_teachers(
        &self,
        class_id: ClassId,
        teachers: &[UserId],
    ) -> AppResult<()> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM class_teachers WHERE class_id = $1")
            .bind(class_id)
            .execute(&mut *tx)
            .await?;
        insert_teachers(&mut tx, class_id, teachers).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The class's teachers and students, by name.
    pub async fn class_members(&self, class_id: ClassId) -> AppResult<(Vec<Member>, Vec<Member>)> {
        let mut tx = self.read_tx().await?;
        let teachers: Vec<Member> = sqlx::query_as(
            "SELECT u.id, u.username, u.display_name, u.active FROM class_teachers t \
             JOIN users u ON u.id = t.teacher_id WHERE t.class_id = $1 ORDER BY u.display_name, u.id",
        )
        .bind(class_id)
        .fetch_all(&mut *tx)
        .await?;
        let students: Vec<Member> = sqlx::query_as(
            "SELECT u.id, u.username, u.display_name, u.active FROM enrollments e \
             JOIN users u ON u.id = e.student_id WHERE e.class_id = $1 ORDER BY u.display_name, u.id",
        )
        .bind(class_id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((teachers, students))
    }

    /// Enrols students by username; all or nothing. Already enrolled ones are left as they
    /// are. Refused (naming them) if any username is unknown or not a student.
    pub async fn enrol(&self, class_id: ClassId, usernames: &[String]) -> AppResult<u32> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let mut ids = Vec::new();
        let mut wrong = Vec::new();
        for name in usernames {
            let found: Option<(i64, String)> =
                sqlx::query_as("SELECT id, role FROM users WHERE username = $1")
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await?;
            match found {
                Some((id, role)) if role == "student" => ids.push(id),
                _ => wrong.push(name.clone()),
            }
        }
        if !wrong.is_empty() {
            return Err(AppError::bad_request(format!(
                "Not a student here: {}. Nothing was changed.",
                wrong.join(", ")
            )));
        }
        let mut added = 0;
        for id in ids {
            added += sqlx::query(
                "INSERT INTO enrollments (class_id, student_id) VALUES ($1, $2) \
                 ON CONFLICT (class_id, student_id) DO NOTHING",
            )
            .bind(class_id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected() as u32;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Takes a student off the class (their past marks stay). False if they were not on it.
    pub async fn unenrol(&self, class_id: ClassId, student_id: UserId) -> AppResult<bool> {
        let _writer = self.writer().await;
        let removed =
            sqlx::query("DELETE FROM enrollments WHERE class_id = $1 AND student_id = $2")
                .bind(class_id)
                .bind(student_id)
                .execute(&self.pool)
                .await?
                .rows_affected();
        Ok(removed > 0)
    }
}
