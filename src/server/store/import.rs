//! The school as an import plans against it, and applying a plan in one transaction. The plan
//! is made again inside the transaction and must be the one the admin previewed (same digest),
//! or nothing is written: the school changed meanwhile.

use super::Store;
use crate::domain::import::{plan, plan_text, ExistingUser, ImportRow, RowAction, RowPlan, School};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

/// What applying wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub memberships_added: u32,
}

impl Store {
    pub async fn import_school(&self) -> AppResult<School> {
        let mut tx = self.read_tx().await?;
        let school = school_in(&mut tx).await?;
        tx.commit().await?;
        Ok(school)
    }

    /// Writes the plan for `rows` if it is still the one whose digest is `digest`. `hashes`
    /// holds the password hash of every account the plan creates, by username.
    pub async fn apply_import(
        &self,
        rows: Vec<ImportRow>,
        acting_admin: &str,
        digest: &str,
        digest_of: impl Fn(&str) -> String,
        hashes: &HashMap<String, String>,
        now_ms: i64,
    ) -> AppResult<Applied> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        if self.backend == super::Backend::Postgres {
            // Two imports at once would plan against the same school; take turns.
            sqlx::query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
        }
        let school = school_in(&mut tx).await?;
        let plans = plan(rows, &school, acting_admin).map_err(|_| changed_meanwhile())?;
        if digest_of(&plan_text(&plans)) != digest {
            return Err(changed_meanwhile());
        }
        let mut applied = Applied::default();
        for row in &plans {
            let user_id = match (row.action.clone(), school.users.get(&row.username)) {
                (RowAction::Create, _) => {
                    let hash = hashes.get(&row.username).ok_or_else(AppError::internal)?;
                    applied.created += 1;
                    create(&mut tx, row, hash, now_ms).await?
                }
                (RowAction::Update, Some(user)) => {
                    applied.updated += 1;
                    sqlx::query("UPDATE users SET display_name = $1, role = $2 WHERE id = $3")
                        .bind(&row.display_name)
                        .bind(row.role.as_str())
                        .bind(user.id)
                        .execute(&mut *tx)
                        .await?;
                    user.id
                }
                (_, user) => {
                    applied.unchanged += 1;
                    user.map_or(0, |u| u.id)
                }
            };
            if let Some(guardians) = &row.set_guardians {
                sqlx::query("DELETE FROM guardians WHERE student_id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                for email in guardians {
                    sqlx::query("INSERT INTO guardians (student_id, email) VALUES ($1, $2)")
                        .bind(user_id)
                        .bind(email)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            for class in &row.add_classes {
                let class_id = school.classes.get(class).ok_or_else(AppError::internal)?;
                let sql = if row.role == Role::Teacher {
                    "INSERT INTO class_teachers (class_id, teacher_id) VALUES ($1, $2) \
                     ON CONFLICT (class_id, teacher_id) DO NOTHING"
                } else {
                    "INSERT INTO enrollments (class_id, student_id) VALUES ($1, $2) \
                     ON CONFLICT (class_id, student_id) DO NOTHING"
                };
                applied.memberships_added += sqlx::query(sql)
                    .bind(class_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected() as u32;
            }
        }
        tx.commit().await?;
        Ok(applied)
    }
}

fn changed_meanwhile() -> AppError {
    AppError::conflict(
        "The school changed since this preview (someone else edited people or classes). \
         Preview the file again, then apply.",
    )
}

async fn create(
    conn: &mut AnyConnection,
    row: &RowPlan,
    hash: &str,
    now_ms: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO users (username, display_name, role, password_hash, created_at_ms, \
         must_change_password) VALUES ($1, $2, $3, $4, $5, 1) RETURNING id",
    )
    .bind(&row.username)
    .bind(&row.display_name)
    .bind(row.role.as_str())
    .bind(hash)
    .bind(now_ms)
    .fetch_one(conn)
    .await
}

async fn school_in(conn: &mut AnyConnection) -> sqlx::Result<School> {
    let users: Vec<(i64, String, String, String)> =
        sqlx::query_as("SELECT id, username, display_name, role FROM users")
            .fetch_all(&mut *conn)
            .await?;
    let memberships: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT student_id, class_id FROM enrollments \
         UNION ALL SELECT teacher_id, class_id FROM class_teachers",
    )
    .fetch_all(&mut *conn)
    .await?;
    let classes: Vec<(String, i64)> = sqlx::query_as("SELECT name, id FROM classes")
        .fetch_all(&mut *conn)
        .await?;
    let guardian_rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT student_id, email FROM guardians ORDER BY student_id, email")
            .fetch_all(&mut *conn)
            .await?;
    let mut guardians: HashMap<i64, Vec<String>> = HashMap::new();
    for (student, email) in guardian_rows {
        guardians.entry(student).or_default().push(email);
    }
    let mut member_of: HashMap<i64, HashSet<i64>> = HashMap::new();
    for (user, class) in memberships {
        member_of.entry(user).or_default().insert(class);
    }
    let users = users
        .into_iter()
        .filter_map(|(id, username, display_name, role)| {
            let user = ExistingUser {
                id,
                display_name,
                role: Role::parse(&role)?,
                classes: member_of.remove(&id).unwrap_or_default(),
                guardians: guardians.remove(&id).unwrap_or_default(),
            };
            Some((username, user))
        })
        .collect();
    Ok(School {
        users,
        classes: classes.into_iter().collect(),
    })
}
