//! The job queue on the app's own database (`jobs`): enqueued once per key, claimed by one
//! worker at a time for a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so instances never
//! take the same job; SQLite's single writer does the same on one node), retried with backoff
//! and given up as a dead letter (`domain::jobs`). A worker that dies mid-job loses its lease
//! and the job runs again; settling a job checks the attempt it was claimed for, so a late
//! worker cannot settle a job someone else now holds.

use super::{Backend, Store};
use crate::domain::jobs::{after_failure, AfterFailure, JobState, LEASE_MS};
use crate::error::AppResult;
use sqlx::AnyConnection;

/// A job to add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    /// Unique across all jobs ever: a second job with the key is not added.
    pub key: &'a str,
    pub payload: &'a str,
    pub run_at_ms: i64,
}

/// `Store::enqueue_job` inside the caller's transaction (a job and what caused it commit
/// together).
pub(super) async fn enqueue_job_in(
    conn: &mut AnyConnection,
    job: &NewJob<'_>,
    now_ms: i64,
) -> sqlx::Result<bool> {
    let added = sqlx::query(
        "INSERT INTO jobs (kind, key, payload, state, attempts, run_at_ms, created_at_ms) \
         VALUES ($1, $2, $3, 'queued', 0, $4, $5) ON CONFLICT (key) DO NOTHING",
    )
    .bind(job.kind)
    .bind(job.key)
    .bind(job.payload)
    .bind(job.run_at_ms)
    .bind(now_ms)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(added == 1)
}

/// A claimed job: its worker holds it until `LEASE_MS` after the claim.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub key: String,
    pub payload: String,
    /// This attempt's number (from 1): the claim's fencing token.
    pub attempts: i64,
}

/// A job given up after its last attempt.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeadLetter {
    pub kind: String,
    pub key: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub finished_at_ms: Option<i64>,
}

/// How the queue stands, for the admin page and `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueDepth {
    pub queued: i64,
    pub running: i64,
    pub dead: i64,
    /// Jobs that failed at least once and wait to be tried again.
    pub retrying: i64,
}

impl Store {
    /// Adds a job unless one with `key` exists (whatever its state): enqueueing is idempotent.
    /// Returns whether it was added.
    pub async fn enqueue_job(&self, job: &NewJob<'_>, now_ms: i64) -> AppResult<bool> {
        let _writer = self.writer().await;
        let mut conn = self.pool.acquire().await?;
        Ok(enqueue_job_in(&mut conn, job, now_ms).await?)
    }

    /// Claims up to `limit` jobs that are due, or whose worker's lease ran out.
    pub async fn claim_jobs(&self, limit: u32, now_ms: i64) -> AppResult<Vec<Job>> {
        let _writer = self.writer().await;
        let skip_locked = if self.backend == Backend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let jobs = sqlx::query_as(&format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until_ms = $1 + $2 \
             WHERE id IN (SELECT id FROM jobs WHERE (state = 'queued' AND run_at_ms <= $1) \
             OR (state = 'running' AND locked_until_ms < $1) \
             ORDER BY run_at_ms, id LIMIT $3{skip_locked}) \
             RETURNING id, kind, key, payload, attempts"
        ))
        .bind(now_ms)
        .bind(LEASE_MS)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(jobs)
    }

    /// The job ran: done. False when the claim was lost meanwhile (its lease ran out and another
    /// worker holds it now).
    pub async fn finish_job(&self, job: &Job, now_ms: i64) -> AppResult<bool> {
        let _writer = self.writer().await;
        let settled = sqlx::query(
            "UPDATE jobs SET state = 'done', finished_at_ms = $1, locked_until_ms = NULL, \
             last_error = NULL WHERE id = $2 AND attempts = $3 AND state = 'running'",
        )
        .bind(now_ms)
        .bind(job.id)
        .bind(job.attempts)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(settled == 1)
    }

    /// The job failed: queued again after a backoff, or dead after the last attempt. `None`
    /// when the claim was lost meanwhile.
    pub async fn fail_job(
        &self,
        job: &Job,
        error: &str,
        retry_after_ms: Option<i64>,
        now_ms: i64,
    ) -> AppResult<Option<JobState>> {
        let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
        let (state, run_at) = match after_failure(attempts, now_ms, retry_after_ms) {
            AfterFailure::RetryAt(at) => (JobState::Queued, at),
            AfterFailure::Dead => (JobState::Dead, now_ms),
        };
        let error: String = error.chars().take(500).collect();
        let _writer = self.writer().await;
        let settled = sqlx::query(
            "UPDATE jobs SET state = $1, run_at_ms = $2, last_error = $3, locked_until_ms = NULL, \
             finished_at_ms = CASE WHEN $1 = 'dead' THEN $4 ELSE NULL END \
             WHERE id = $5 AND attempts = $6 AND state = 'running'",
        )
        .bind(state.as_str())
        .bind(run_at)
        .bind(error)
        .bind(now_ms)
        .bind(job.id)
        .bind(job.attempts)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok((settled == 1).then_some(state))
    }

    /// The job failed in a way trying again cannot mend: a dead letter at once. False when the
    /// claim was lost meanwhile.
    pub async fn give_up_job(&self, job: &Job, error: &str, now_ms: i64) -> AppResult<bool> {
        let error: String = error.chars().take(500).collect();
        let _writer = self.writer().await;
        let settled = sqlx::query(
            "UPDATE jobs SET state = 'dead', last_error = $1, locked_until_ms = NULL, \
             finished_at_ms = $2 WHERE id = $3 AND attempts = $4 AND state = 'running'",
        )
        .bind(error)
        .bind(now_ms)
        .bind(job.id)
        .bind(job.attempts)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(settled == 1)
    }

    /// Forgets jobs that finished (done or dead) before `before_ms`; their keys may then be
    /// used again, which no caller does for events that old. Returns how many.
    pub async fn forget_finished_jobs(&self, before_ms: i64) -> AppResult<u64> {
        let _writer = self.writer().await;
        Ok(
            sqlx::query("DELETE FROM jobs WHERE state IN ('done', 'dead') AND finished_at_ms < $1")
                .bind(before_ms)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// The latest dead letters, newest first.
    pub async fn dead_letters(&self, limit: u32) -> AppResult<Vec<DeadLetter>> {
        Ok(sqlx::query_as(
            "SELECT kind, key, attempts, last_error, finished_at_ms FROM jobs \
             WHERE state = 'dead' ORDER BY finished_at_ms DESC, id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn queue_depth(&self) -> AppResult<QueueDepth> {
        let row: (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT \
             COALESCE(SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN state = 'running' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN state = 'queued' AND attempts > 0 THEN 1 ELSE 0 END), 0) \
             FROM jobs",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(QueueDepth {
            queued: row.0,
            running: row.1,
            dead: row.2,
            retrying: row.3,
        })
    }
}
