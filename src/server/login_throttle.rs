//! Sign-in throttling that stops password guessing without locking out a school behind one NAT
//! or a district behind one load balancer:
//!
//! - per account: a few free failures, then each further failure makes the account wait twice
//!   as long as the last (1 s, 2 s, 4 s … up to a cap) and lets one attempt through at a time;
//!   a success forgets the account's failures;
//! - per client address (IPv6 by /64): a generous budget of failures per minute, refilled
//!   continuously, against one address spraying guesses over many accounts.
//!
//! Successes count nowhere, so a thousand students signing in from one address all get in. An
//! unknown username is throttled under its own name exactly like a real one, so throttling does
//! not reveal which accounts exist. Time is passed in, so the rules are tested without waiting.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    /// Failures an account may have before it must wait.
    pub free_failures: u32,
    /// The longest wait after a failure.
    pub max_backoff: Duration,
    /// Failures one address may have per minute (also its burst).
    pub address_failures_per_minute: u32,
}

/// Why an attempt is refused, and how long until the next one may be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Account(Duration),
    Address(Duration),
}

impl Refusal {
    pub fn wait(self) -> Duration {
        match self {
            Refusal::Account(wait) | Refusal::Address(wait) => wait,
        }
    }

    /// The sentence a person sees.
    pub fn message(self) -> String {
        let wait = wait_text(self.wait());
        match self {
            Refusal::Account(_) => format!(
                "Too many failed sign-in attempts for this account. Please wait {wait} and try again."
            ),
            Refusal::Address(_) => format!(
                "Too many failed sign-in attempts from your network. Please wait {wait} and try again."
            ),
        }
    }
}

/// Whole seconds to wait, rounded up (the `Retry-After` value).
pub fn wait_seconds(wait: Duration) -> u64 {
    wait.as_millis().div_ceil(1000).max(1) as u64
}

fn wait_text(wait: Duration) -> String {
    match wait_seconds(wait) {
        1 => "1 second".into(),
        seconds @ 2..=119 => format!("{seconds} seconds"),
        seconds => format!("{} minutes", seconds.div_ceil(60)),
    }
}

/// The base of the exponential back-off: the first wait after the free failures.
const FIRST_WAIT: Duration = Duration::from_secs(1);
/// An account with no failure for this long starts afresh.
const ACCOUNT_MEMORY: Duration = Duration::from_secs(3600);
/// Beyond this many tracked accounts or addresses, idle ones are dropped at once (memory stays
/// bounded even under a flood of made-up usernames); if all are busy, new ones go untracked.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug)]
struct Account {
    failures: u32,
    last_failure: Option<Instant>,
    blocked_until: Option<Instant>,
    in_flight: u32,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

#[derive(Default)]
struct Tables {
    accounts: HashMap<String, Account>,
    addresses: HashMap<String, Bucket>,
}

pub struct LoginThrottle {
    policy: LoginPolicy,
    tables: Mutex<Tables>,
}

/// How an attempt that was let through ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Failed,
    /// Not decided (the server was busy, an error): counts as nothing.
    Abandoned,
}

impl LoginThrottle {
    pub fn new(policy: LoginPolicy) -> LoginThrottle {
        LoginThrottle {
            policy,
            tables: Mutex::default(),
        }
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        // The tables stay consistent between statements, so a panic elsewhere cannot poison them.
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn per_second(&self) -> f64 {
        f64::from(self.policy.address_failures_per_minute.max(1)) / 60.0
    }

    fn capacity(&self) -> f64 {
        f64::from(self.policy.address_failures_per_minute.max(1))
    }

    /// May `account` try a password from `address` now? If so, the attempt is counted as in
    /// flight until [`LoginThrottle::finish`] is called with the same keys.
    pub fn begin(&self, account: &str, address: &str, now: Instant) -> Result<(), Refusal> {
        let mut tables = self.tables();
        if let Some(entry) = tables.accounts.get(account) {
            if let Some(until) = entry.blocked_until.filter(|until| *until > now) {
                return Err(Refusal::Account(until - now));
            }
            // Past the free failures, one guess at a time: a burst of parallel guesses must not
            // all slip through before the first failure is recorded.
            if entry.in_flight > 0 && entry.failures + entry.in_flight >= self.policy.free_failures
            {
                return Err(Refusal::Account(FIRST_WAIT));
            }
        }
        let (per_second, capacity) = (self.per_second(), self.capacity());
        if let Some(bucket) = tables.addresses.get_mut(address) {
            refill(bucket, now, per_second, capacity);
            if bucket.tokens < 1.0 {
                let wait = Duration::from_secs_f64((1.0 - bucket.tokens) / per_second);
                return Err(Refusal::Address(wait));
            }
        }
        if !tables.accounts.contains_key(account)
            && !make_room(&mut tables.accounts, |a| {
                a.in_flight == 0 && is_idle(a, now)
            })
        {
            return Ok(()); // untracked: see MAX_TRACKED
        }
        tables
            .accounts
            .entry(account.to_string())
            .or_insert(Account {
                failures: 0,
                last_failure: None,
                blocked_until: None,
                in_flight: 0,
            })
            .in_flight += 1;
        Ok(())
    }

    /// Records how an attempt let through by [`LoginThrottle::begin`] ended.
    pub fn finish(&self, account: &str, address: &str, outcome: Outcome, now: Instant) {
        let mut tables = self.tables();
        if let Some(entry) = tables.accounts.get_mut(account) {
            entry.in_flight = entry.in_flight.saturating_sub(1);
            match outcome {
                Outcome::Succeeded => {
                    entry.failures = 0;
                    entry.blocked_until = None;
                }
                Outcome::Failed => {
                    entry.failures = entry.failures.saturating_add(1);
                    entry.last_failure = Some(now);
                    if let Some(over) = entry.failures.checked_sub(self.policy.free_failures + 1) {
                        let wait = FIRST_WAIT
                            .saturating_mul(1u32 << over.min(30))
                            .min(self.policy.max_backoff);
                        entry.blocked_until = Some(now + wait);
                    }
                }
                Outcome::Abandoned => {}
            }
            if entry.in_flight == 0 && entry.failures == 0 {
                tables.accounts.remove(account);
            }
        }
        if outcome == Outcome::Failed {
            let (per_second, capacity) = (self.per_second(), self.capacity());
            let room = tables.addresses.contains_key(address)
                || make_room(&mut tables.addresses, |b| {
                    full_after(b, now, per_second, capacity)
                });
            if room {
                let bucket = tables
                    .addresses
                    .entry(address.to_string())
                    .or_insert(Bucket {
                        tokens: capacity,
                        updated: now,
                    });
                refill(bucket, now, per_second, capacity);
                // Failures that were in flight together may overdraw, but by one minute at most.
                bucket.tokens = (bucket.tokens - 1.0).max(-capacity);
            }
        }
    }

    /// [`LoginThrottle::begin`] now, as a guard that must be finished; dropped unfinished
    /// (an error on the way), it counts as abandoned.
    pub fn attempt(&self, account: &str, address: &str) -> Result<Attempt<'_>, Refusal> {
        self.begin(account, address, Instant::now())?;
        Ok(Attempt {
            throttle: self,
            account: account.to_string(),
            address: address.to_string(),
            finished: false,
        })
    }

    /// Forgets accounts and addresses that are back at full allowance.
    pub fn forget_idle(&self, now: Instant) {
        let (per_second, capacity) = (self.per_second(), self.capacity());
        let mut tables = self.tables();
        tables
            .accounts
            .retain(|_, a| a.in_flight > 0 || !is_idle(a, now));
        tables
            .addresses
            .retain(|_, b| !full_after(b, now, per_second, capacity));
    }

    /// How many accounts and addresses are remembered (for tests of the memory bound).
    pub fn tracked(&self) -> (usize, usize) {
        let tables = self.tables();
        (tables.accounts.len(), tables.addresses.len())
    }
}

/// One sign-in attempt in flight.
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    account: String,
    address: String,
    finished: bool,
}

impl Attempt<'_> {
    pub fn finish(mut self, outcome: Outcome) {
        self.finished = true;
        self.throttle
            .finish(&self.account, &self.address, outcome, Instant::now());
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.throttle.finish(
                &self.account,
                &self.address,
                Outcome::Abandoned,
                Instant::now(),
            );
        }
    }
}

fn is_idle(account: &Account, now: Instant) -> bool {
    account.blocked_until.is_none_or(|until| until <= now)
        && account
            .last_failure
            .is_none_or(|last| now.saturating_duration_since(last) >= ACCOUNT_MEMORY)
}

fn refill(bucket: &mut Bucket, now: Instant, per_second: f64, capacity: f64) {
    let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
    bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
    bucket.updated = now;
}

fn full_after(bucket: &Bucket, now: Instant, per_second: f64, capacity: f64) -> bool {
    let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
    bucket.tokens + elapsed * per_second >= capacity
}

/// Makes room for one more entry when the table is full, by dropping forgettable ones; false
/// when there is still none.
fn make_room<V>(table: &mut HashMap<String, V>, forgettable: impl Fn(&V) -> bool) -> bool {
    if table.len() < MAX_TRACKED {
        return true;
    }
    table.retain(|_, v| !forgettable(v));
    table.len() < MAX_TRACKED
}

#[cfg(test)]
#[path = "login_throttle_tests.rs"]
mod tests;
