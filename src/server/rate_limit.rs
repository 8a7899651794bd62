//! Attempt limits for guessable things: passwords ([`LoginThrottle`]) and join codes (GCRA via
//! the `governor` crate, per student).

use super::login_throttle::{LoginPolicy, LoginThrottle};
use crate::error::{AppError, AppResult};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;

pub struct RateLimits {
    login: LoginThrottle,
    check_in: DefaultKeyedRateLimiter<String>,
}

impl RateLimits {
    pub fn new(login: LoginPolicy, check_in_per_minute: u32) -> RateLimits {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).expect("max(1)"));
        RateLimits {
            login: LoginThrottle::new(login),
            check_in: RateLimiter::keyed(per_minute(check_in_per_minute)),
        }
    }

    /// Failed sign-ins, per account and per client address.
    pub fn login(&self) -> &LoginThrottle {
        &self.login
    }

    /// Check-in (join code) attempts, keyed by student.
    pub fn check_in(&self, student: &str) -> AppResult<()> {
        self.check_in
            .check_key(&student.to_string())
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                AppError::too_many_requests(format!(
                    "Too many check-in attempts. Please wait {} seconds and try again.",
                    wait.as_secs().max(1)
                ))
            })
    }

    /// Forgets clients that have been quiet long enough to be back at full allowance.
    pub fn forget_idle(&self) {
        self.login.forget_idle(std::time::Instant::now());
        self.check_in.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ins_are_limited_per_student() {
        let limits = RateLimits::new(
            LoginPolicy {
                free_failures: 5,
                max_backoff: std::time::Duration::from_secs(900),
                address_failures_per_minute: 100,
            },
            2,
        );
        limits.check_in("7").unwrap();
        limits.check_in("7").unwrap();
        let refused = limits.check_in("7").unwrap_err();
        assert_eq!(refused.kind, crate::error::ErrorKind::TooManyRequests);
        assert!(refused.message.contains("wait"));
        limits.check_in("8").unwrap();
    }
}
