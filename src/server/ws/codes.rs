//! The rotating codes one connection shows: for each followed session whose code rotates, the
//! window last sent, so each new window's code is sent once, when it begins. Pure bookkeeping;
//! the connection reads the sessions and writes the frames.

use crate::domain::rotating_code::window_bounds;
use crate::domain::SessionId;
use crate::protocol::CodeShown;
use crate::server::code_view::code_shown;
use crate::server::store::SessionCode;
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Default)]
pub(super) struct CodeClocks {
    sessions: HashMap<SessionId, (SessionCode, i64)>,
}

impl CodeClocks {
    /// Follows (or stops following, for `None` or a code that does not rotate) a session's code.
    pub fn set(&mut self, session_id: SessionId, code: Option<SessionCode>) {
        match code.filter(|code| code.is_open && code.rotating.is_some()) {
            Some(code) => {
                self.sessions.insert(session_id, (code, i64::MIN));
            }
            None => {
                self.sessions.remove(&session_id);
            }
        }
    }

    /// When the earliest followed code changes.
    pub fn next_at(&self, now_ms: i64) -> Option<Instant> {
        self.sessions
            .values()
            .filter_map(|(code, window)| {
                let (_, period) = code.rotating.as_ref()?;
                let end = window_bounds(*window, *period).1;
                Some(Instant::now() + Duration::from_millis((end - now_ms).max(0) as u64))
            })
            .min()
    }

    /// The codes whose window has moved on since they were last sent (now counted as sent).
    pub fn due(&mut self, public_url: &str, now_ms: i64) -> Vec<CodeShown> {
        let mut due = Vec::new();
        for (code, sent_window) in self.sessions.values_mut() {
            let Some(shown) = code_shown(public_url, code, now_ms) else {
                continue;
            };
            let window = shown.rotation.map_or(i64::MAX, |r| r.window);
            if window != *sent_window {
                *sent_window = window;
                due.push(shown);
            }
        }
        due
    }
}

/// Waits until `at`, or for ever when there is nothing to wait for.
pub(super) async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
