//! Background jobs' rules (pure): a job's states, how long a failed one waits before its next
//! attempt, and when it is given up (a dead letter an admin can see). The store claims and
//! settles jobs (`server::store::jobs`); every effect of a job is idempotent by its own key, so a
//! job run twice (a crash after the effect, before it was marked done) still acts once.

use serde::{Deserialize, Serialize};

/// Attempts before a job is given up.
pub const MAX_ATTEMPTS: u32 = 8;
/// How long a claimed job is its worker's: after that (a crash, a kill -9) another takes it.
pub const LEASE_MS: i64 = 60_000;
/// The first retry waits this long; each next one twice as long, up to an hour.
pub const FIRST_RETRY_MS: i64 = 5_000;
pub const LONGEST_RETRY_MS: i64 = 3_600_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Done,
    /// Failed `MAX_ATTEMPTS` times: kept for an admin to see, never run again.
    Dead,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Dead => "dead",
        }
    }

    pub fn parse(text: &str) -> Option<JobState> {
        [
            JobState::Queued,
            JobState::Running,
            JobState::Done,
            JobState::Dead,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Queued again, to run from this time.
    RetryAt(i64),
    Dead,
}

/// What becomes of a job that failed its `attempts`-th attempt at `now_ms`. `retry_after_ms`
/// is the other side's own wish (an HTTP `Retry-After`), honoured when longer than the backoff.
pub fn after_failure(attempts: u32, now_ms: i64, retry_after_ms: Option<i64>) -> AfterFailure {
    if attempts >= MAX_ATTEMPTS {
        return AfterFailure::Dead;
    }
    let doubling = 1i64 << attempts.saturating_sub(1).min(20);
    let backoff = FIRST_RETRY_MS
        .saturating_mul(doubling)
        .min(LONGEST_RETRY_MS);
    let wait = retry_after_ms.map_or(backoff, |asked| {
        asked.clamp(0, 24 * LONGEST_RETRY_MS).max(backoff)
    });
    AfterFailure::RetryAt(now_ms + wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_back_off_doubling_to_an_hour_then_the_job_is_dead() {
        let waits: Vec<i64> = (1..MAX_ATTEMPTS)
            .map(|n| match after_failure(n, 0, None) {
                AfterFailure::RetryAt(at) => at,
                AfterFailure::Dead => -1,
            })
            .collect();
        assert_eq!(
            waits,
            [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000]
        );
        assert_eq!(after_failure(MAX_ATTEMPTS, 0, None), AfterFailure::Dead);
        assert_eq!(after_failure(40, 0, Some(1)), AfterFailure::Dead);
        // Capped at an hour whatever the count.
        assert!(
            matches!(after_failure(7, 0, None), AfterFailure::RetryAt(at) if at <= LONGEST_RETRY_MS)
        );
    }

    #[test]
    fn a_longer_retry_after_is_honoured_a_shorter_one_is_not() {
        assert_eq!(
            after_failure(1, 100, Some(120_000)),
            AfterFailure::RetryAt(120_100)
        );
        assert_eq!(
            after_failure(1, 100, Some(1_000)),
            AfterFailure::RetryAt(5_100)
        );
        assert_eq!(after_failure(1, 0, Some(-5)), AfterFailure::RetryAt(5_000));
    }

    #[test]
    fn states_round_trip() {
        for state in [
            JobState::Queued,
            JobState::Running,
            JobState::Done,
            JobState::Dead,
        ] {
            assert_eq!(JobState::parse(state.as_str()), Some(state));
        }
        assert_eq!(JobState::parse("lost"), None);
    }
}
