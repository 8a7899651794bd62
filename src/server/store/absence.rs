//! Absence warnings: the school's rules, students' guardians, and the scan that tells the
//! student, the class's teachers, admins (when the rule says so) and guardians by e-mail when a
//! student crosses a rule. Every notification and e-mail is keyed by the crossing
//! (`Crossing::key`), so scans running twice, at once on two instances, or again after a crash
//! tell each person once.

use super::delivery::{handle_intent_in, Delivered, DeliveryClock};
use super::jobs::{enqueue_job_in, NewJob};
use super::Store;
use crate::domain::notify::absence_warning::{current_crossing, Outcome, WarningRule};
use crate::domain::notify::plan::Intent;
use crate::domain::notify::NotificationKind;
use crate::domain::zone::SchoolZone;
use crate::domain::{AttendanceStatus, UserId};
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};

/// The job kind of a guardian e-mail.
pub const EMAIL_JOB: &str = "email";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailJob {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// One of the school's rules, with whom it tells besides the student and their teachers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AbsenceRule {
    pub id: i64,
    pub rule: WarningRule,
    pub notify_admins: bool,
    pub email_guardians: bool,
}

/// What a scan did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScanOutcome {
    /// Students in a warning now (told before or by this scan).
    pub crossings: usize,
    pub delivered: Delivered,
    pub emails: usize,
}

impl Store {
    pub async fn absence_rules(&self) -> AppResult<Vec<AbsenceRule>> {
        let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT id, rule, notify_admins, email_guardians FROM absence_rules ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, rule, admins, guardians)| {
                Some(AbsenceRule {
                    id,
                    rule: serde_json::from_str(&rule).ok()?,
                    notify_admins: admins != 0,
                    email_guardians: guardians != 0,
                })
            })
            .collect())
    }

    /// Adds a rule (validated by the caller); the same rule twice is a 409.
    pub async fn add_absence_rule(
        &self,
        rule: WarningRule,
        notify_admins: bool,
        email_guardians: bool,
        now_ms: i64,
    ) -> AppResult<AbsenceRule> {
        let text = serde_json::to_string(&rule).map_err(|_| AppError::internal())?;
        let _writer = self.writer().await;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO absence_rules (rule, notify_admins, email_guardians, created_at_ms) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (rule) DO NOTHING RETURNING id",
        )
        .bind(text)
        .bind(i64::from(notify_admins))
        .bind(i64::from(email_guardians))
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        let id = id.ok_or_else(|| AppError::conflict("The school already has that rule."))?;
        Ok(AbsenceRule {
            id,
            rule,
            notify_admins,
            email_guardians,
        })
    }

    pub async fn remove_absence_rule(&self, id: i64) -> AppResult<bool> {
        let _writer = self.writer().await;
        Ok(sqlx::query("DELETE FROM absence_rules WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected()
            > 0)
    }

    pub async fn guardian_emails(&self, student: UserId) -> AppResult<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT email FROM guardians WHERE student_id = $1 ORDER BY email")
                .bind(student)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Replaces a student's guardian addresses (already checked by the caller).
    pub async fn set_guardian_emails(&self, student: UserId, emails: &[String]) -> AppResult<()> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM guardians WHERE student_id = $1")
            .bind(student)
            .execute(&mut *tx)
            .await?;
        for email in emails {
            sqlx::query(
                "INSERT INTO guardians (student_id, email) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(student)
            .bind(email)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Checks every active student of the class against every rule and tells whoever has not
    /// yet been told of a crossing. `email`: guardians can be e-mailed (SMTP is configured).
    pub async fn scan_class_for_warnings(
        &self,
        class_id: i64,
        zone: &SchoolZone,
        now_ms: i64,
        email: bool,
    ) -> AppResult<ScanOutcome> {
        let rules = self.absence_rules().await?;
        let mut outcome = ScanOutcome::default();
        if rules.is_empty() {
            return Ok(outcome);
        }
        let Some(class_name) =
            sqlx::query_scalar::<_, String>("SELECT name FROM classes WHERE id = $1")
                .bind(class_id)
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(outcome);
        };
        let teachers: Vec<i64> =
            sqlx::query_scalar("SELECT teacher_id FROM class_teachers WHERE class_id = $1")
                .bind(class_id)
                .fetch_all(&self.pool)
                .await?;
        let admins: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE role = 'admin' AND active = 1")
                .fetch_all(&self.pool)
                .await?;
        let rows: Vec<(i64, i64, i64, String, Option<String>)> = sqlx::query_as(
            "SELECT e.student_id, s.id, s.starts_at_ms, u.display_name, a.status \
             FROM class_sessions s JOIN enrollments e ON e.class_id = s.class_id \
             JOIN users u ON u.id = e.student_id AND u.active = 1 \
             LEFT JOIN attendance a ON a.session_id = s.id AND a.student_id = e.student_id \
             WHERE s.class_id = $1 AND s.opened_at_ms IS NOT NULL AND s.closed_at_ms IS NOT NULL \
             ORDER BY e.student_id, s.starts_at_ms, s.id",
        )
        .bind(class_id)
        .fetch_all(&self.pool)
        .await?;
        let mut intents = Vec::new();
        let mut emails = Vec::new();
        for student_rows in rows.chunk_by(|a, b| a.0 == b.0) {
            let (student, _, _, name, _) = &student_rows[0];
            let outcomes: Vec<Outcome> = student_rows
                .iter()
                .map(|(_, session_id, starts_at_ms, _, status)| Outcome {
                    session_id: *session_id,
                    starts_at_ms: *starts_at_ms,
                    status: status.as_deref().and_then(AttendanceStatus::parse),
                })
                .collect();
            for rule in &rules {
                let Some(crossing) = current_crossing(&outcomes, &rule.rule) else {
                    continue;
                };
                outcome.crossings += 1;
                let key = crossing.key(*student, class_id, &rule.rule);
                let dates: Vec<String> = crossing
                    .missed_at_ms
                    .iter()
                    .map(|at| zone.date_label(*at))
                    .collect();
                let message = crossing.message(&class_name, &rule.rule, &dates);
                let staff_title = format!("Absence warning: {name} in {class_name}");
                let mut tell = |user: UserId, title: String, url: String| {
                    intents.push(Intent {
                        user_id: user,
                        kind: NotificationKind::AbsenceWarning,
                        subject: class_id,
                        name: name.clone(),
                        title,
                        body: message.clone(),
                        url,
                        key: format!("{key}:to:{user}"),
                    })
                };
                tell(
                    *student,
                    format!("Absence warning: {class_name}"),
                    "/attendance".into(),
                );
                let staff = teachers
                    .iter()
                    .chain(admins.iter().filter(|_| rule.notify_admins));
                for user in staff {
                    tell(
                        *user,
                        staff_title.clone(),
                        format!("/reports/students/{student}"),
                    );
                }
                if rule.email_guardians && email {
                    for address in self.guardian_emails(*student).await? {
                        let job = EmailJob {
                            to: address.clone(),
                            subject: staff_title.clone(),
                            body: format!(
                                "{message}\n\nThis message was sent by Rollcall, the school's \
                                 attendance system, to the guardians on record for {name}."
                            ),
                        };
                        emails.push((format!("{key}:mail:{address}"), job));
                    }
                }
            }
        }
        if intents.is_empty() {
            return Ok(outcome);
        }
        intents.sort_by_key(|intent| intent.user_id);
        let clock = DeliveryClock {
            now_ms,
            offset_minutes: zone.offset_minutes_at(now_ms),
            batch_window_ms: None,
        };
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let mut log = Vec::new();
        for intent in &intents {
            let delivered =
                handle_intent_in(&mut tx, &mut log, intent, &class_name, now_ms, clock).await?;
            outcome.delivered.add(delivered);
        }
        for (key, job) in &emails {
            let payload = serde_json::to_string(job).unwrap_or_default();
            let new = NewJob {
                kind: EMAIL_JOB,
                key,
                payload: &payload,
                run_at_ms: now_ms,
            };
            outcome.emails += usize::from(enqueue_job_in(&mut tx, &new, now_ms).await?);
        }
        self.commit(tx, log).await?;
        Ok(outcome)
    }

    /// Classes with a session that closed since `since_ms` (the daily scan's list).
    pub async fn classes_held_since(&self, since_ms: i64) -> AppResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT class_id FROM class_sessions WHERE closed_at_ms >= $1 ORDER BY class_id",
        )
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await?)
    }
}
