//! Per-client attempt limits (GCRA via the `governor` crate) for guessable things: passwords
//! and join codes.

use crate::error::{AppError, AppResult};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;

pub struct RateLimits {
    login: DefaultKeyedRateLimiter<String>,
    check_in: DefaultKeyedRateLimiter<String>,
}

impl RateLimits {
    pub fn new(login_per_minute: u32, check_in_per_minute: u32) -> RateLimits {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).expect("max(1)"));
        RateLimits {
            login: RateLimiter::keyed(per_minute(login_per_minute)),
            check_in: RateLimiter::keyed(per_minute(check_in_per_minute)),
        }
    }

    /// Sign-in attempts, keyed by client address.
    pub fn login(&self, client: &str) -> AppResult<()> {
        check(&self.login, client, "sign-in attempts")
    }

    /// Check-in (join code) attempts, keyed by student.
    pub fn check_in(&self, student: &str) -> AppResult<()> {
        check(&self.check_in, student, "check-in attempts")
    }

    /// Forgets clients that have been quiet long enough to be back at full allowance.
    pub fn forget_idle(&self) {
        self.login.retain_recent();
        self.check_in.retain_recent();
    }
}

fn check(limiter: &DefaultKeyedRateLimiter<String>, key: &str, what: &str) -> AppResult<()> {
    limiter.check_key(&key.to_string()).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        AppError::too_many_requests(format!(
            "Too many {what}. Please wait {} seconds and try again.",
            wait.as_secs().max(1)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_client_separately() {
        let limits = RateLimits::new(3, 2);
        for _ in 0..3 {
            limits.login("10.0.0.1").unwrap();
        }
        let refused = limits.login("10.0.0.1").unwrap_err();
        assert_eq!(refused.kind, crate::error::ErrorKind::TooManyRequests);
        assert!(refused.message.contains("wait"));
        limits.login("10.0.0.2").unwrap();
        limits.check_in("7").unwrap();
        limits.check_in("7").unwrap();
        assert!(limits.check_in("7").is_err());
    }
}
