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
    /// Reading the same rotation again (a second subscribe, a rules change that kept it) keeps
    /// the window already sent, so a window's code is never sent twice.
    pub fn set(&mut self, session_id: SessionId, code: Option<SessionCode>) {
        match code.filter(|code| code.is_open && code.rotating.is_some()) {
            Some(code) => {
                let sent = self
                    .sessions
                    .get(&session_id)
                    .filter(|(followed, _)| followed.rotating == code.rotating)
                    .map_or(i64::MIN, |(_, window)| *window);
                self.sessions.insert(session_id, (code, sent));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rotating(period: u32) -> SessionCode {
        SessionCode {
            session_id: 4,
            is_open: true,
            join_code: None,
            rotating: Some(("0123456789abcdef0123456789abcdef".into(), period)),
        }
    }

    #[test]
    fn a_windows_code_is_sent_once_even_when_the_session_is_read_again() {
        let now = 1_800_000_000_000;
        let mut clocks = CodeClocks::default();
        clocks.set(4, Some(rotating(15)));
        assert_eq!(clocks.due("http://x", now).len(), 1);
        // Read again with the same rotation (a second subscribe, a rules change that kept it).
        clocks.set(4, Some(rotating(15)));
        assert!(clocks.due("http://x", now + 1).is_empty());
        // The next window, or a new period, is sent.
        assert_eq!(clocks.due("http://x", now + 15_000).len(), 1);
        clocks.set(4, Some(rotating(30)));
        assert_eq!(clocks.due("http://x", now + 15_001).len(), 1);
        clocks.set(4, None);
        assert!(clocks.due("http://x", now + 60_000).is_empty());
    }
}
