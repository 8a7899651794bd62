//! Rotating join codes. Time is cut into windows of `period` seconds counted from the Unix
//! epoch; each window of a session has its own code, an HMAC-SHA256 of the session's secret,
//! the session, the period and the window. Any instance holding the session's row can derive
//! and check a code: no state is shared between instances and nothing trusts a client's clock
//! (the window is always the server's, or the one the QR link names and the code proves).
//!
//! A code is accepted in its own window and [`GRACE_WINDOWS`] after it (the walk from the
//! screen to the phone); older codes of the session are recognised as expired, so the student
//! is told to scan again instead of being told the code is wrong.

use serde::{Deserialize, Serialize};

/// Windows after its own in which a code is still accepted.
pub const GRACE_WINDOWS: i64 = 1;
/// A code from the next window is accepted this early: another instance's clock may run a
/// little ahead of this one's.
pub const CLOCK_SKEW_MS: i64 = 2_000;
/// How far back a typed code (which does not say its window) is still recognised as expired
/// rather than wrong.
pub const RECOGNISED_FOR_MS: i64 = 10 * 60_000;

pub const DEFAULT_PERIOD_SECONDS: u32 = 15;
pub const MIN_PERIOD_SECONDS: u32 = 5;
pub const MAX_PERIOD_SECONDS: u32 = 300;

/// Where the code on screen is in its life, as the server saw it when it sent the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    pub period_seconds: u32,
    pub window: i64,
    /// Milliseconds until the next code replaces this one on screen (by the server's clock
    /// when sent; the browser counts down from when it arrived, never from its own clock).
    pub changes_in_ms: i64,
}

/// Whether a code from a given window may be used now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeAge {
    /// Its own window, the grace after it, or (skew) the next one.
    Valid,
    /// An older window of the session: scan the current code.
    Expired,
    /// Further ahead than any clock skew explains: treated as a wrong code.
    Future,
}

fn period_ms(period_seconds: u32) -> i64 {
    i64::from(period_seconds.max(1)) * 1000
}

/// The window `now_ms` falls in.
pub fn window_at(now_ms: i64, period_seconds: u32) -> i64 {
    now_ms.div_euclid(period_ms(period_seconds))
}

/// When a window starts and ends (`[start, end)`).
pub fn window_bounds(window: i64, period_seconds: u32) -> (i64, i64) {
    let length = period_ms(period_seconds);
    let start = window.saturating_mul(length);
    (start, start.saturating_add(length))
}

/// The rotation of the code shown at `now_ms`.
pub fn rotation_at(now_ms: i64, period_seconds: u32) -> Rotation {
    let window = window_at(now_ms, period_seconds);
    Rotation {
        period_seconds,
        window,
        changes_in_ms: window_bounds(window, period_seconds).1 - now_ms,
    }
}

/// May a code of `window` be used at `now_ms`?
pub fn age_of(window: i64, now_ms: i64, period_seconds: u32) -> CodeAge {
    let current = window_at(now_ms, period_seconds);
    if window > current {
        let (next_start, _) = window_bounds(current + 1, period_seconds);
        if window == current + 1 && now_ms + CLOCK_SKEW_MS >= next_start {
            CodeAge::Valid
        } else {
            CodeAge::Future
        }
    } else if current - window <= GRACE_WINDOWS {
        CodeAge::Valid
    } else {
        CodeAge::Expired
    }
}

/// The windows a typed code may belong to at `now_ms`, newest first: the next one (skew), the
/// current one, then back [`RECOGNISED_FOR_MS`].
pub fn candidate_windows(now_ms: i64, period_seconds: u32) -> impl Iterator<Item = i64> {
    let current = window_at(now_ms, period_seconds);
    let back = (RECOGNISED_FOR_MS / period_ms(period_seconds)).max(GRACE_WINDOWS + 1);
    (current - back..=current + 1).rev()
}

/// The check-in link a QR code carries for a rotating code: the session and the window travel
/// with the code, so a scan that comes too late is told so exactly.
pub fn link_query(session_id: i64, window: i64) -> String {
    format!("s={session_id}&w={window}")
}

/// What the HMAC of one window's code covers. The teacher's screen signs the same bytes with
/// the browser's own HMAC when it has no network (offline::codes).
pub fn code_message(session_id: i64, period_seconds: u32, window: i64) -> Vec<u8> {
    let mut message = b"rollcall rotating join code v1\0".to_vec();
    message.extend_from_slice(&session_id.to_be_bytes());
    message.extend_from_slice(&period_seconds.to_be_bytes());
    message.extend_from_slice(&window.to_be_bytes());
    message
}

/// Where the rotation stands `elapsed_ms` after `last` arrived: counted on from what the
/// server said, so a screen without a network keeps the server's windows whatever its own
/// clock says.
pub fn rotation_after(last: Rotation, elapsed_ms: i64) -> Rotation {
    let elapsed = elapsed_ms.max(0);
    if elapsed < last.changes_in_ms {
        return Rotation {
            changes_in_ms: last.changes_in_ms - elapsed,
            ..last
        };
    }
    let length = period_ms(last.period_seconds);
    let past = elapsed - last.changes_in_ms;
    Rotation {
        period_seconds: last.period_seconds,
        window: last.window + 1 + past / length,
        changes_in_ms: length - past % length,
    }
}

#[cfg(feature = "ssr")]
mod derive {
    use super::{age_of, candidate_windows, code_message, CodeAge};
    use crate::domain::JoinCode;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;
    use subtle::ConstantTimeEq;

    /// The code of one window of one session.
    pub fn code_for(secret: &[u8], session_id: i64, period_seconds: u32, window: i64) -> JoinCode {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(&code_message(session_id, period_seconds, window));
        JoinCode::from_random(mac.finalize().into_bytes().into())
    }

    /// Does `code` belong to `window`? Compared in constant time.
    pub fn is_code_of(
        secret: &[u8],
        session_id: i64,
        period_seconds: u32,
        window: i64,
        code: &JoinCode,
    ) -> bool {
        let expected = code_for(secret, session_id, period_seconds, window);
        bool::from(expected.as_str().as_bytes().ct_eq(code.as_str().as_bytes()))
    }

    /// The window a typed code belongs to and whether it may be used, if it is one of this
    /// session's recent codes at all.
    pub fn recognise(
        secret: &[u8],
        session_id: i64,
        period_seconds: u32,
        code: &JoinCode,
        now_ms: i64,
    ) -> Option<(i64, CodeAge)> {
        candidate_windows(now_ms, period_seconds)
            .find(|window| is_code_of(secret, session_id, period_seconds, *window, code))
            .map(|window| (window, age_of(window, now_ms, period_seconds)))
    }
}

#[cfg(feature = "ssr")]
pub use derive::*;

#[cfg(test)]
#[path = "rotating_code_tests.rs"]
mod tests;
