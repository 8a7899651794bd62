//! Which open WebSocket belongs to which sign-in and user, so that ending a sign-in (sign-out,
//! password change, reset) ends its live connections too, and so one user cannot hold more
//! than `ROLLCALL_WS_PER_USER` of them (the oldest is closed to make room).
//!
//! Two requests end connections: "end sign-in T" (sign-out) and "end every sign-in of user U"
//! (password change or reset, deactivation). On PostgreSQL the same request also travels
//! to every other instance as a NOTIFY in the transaction that deleted the sign-ins
//! ([`EndSignIns::to_notification`], read back by `server::pg_fanout`).

use super::hub::ConnectionId;
use super::ws::Close;
use crate::domain::UserId;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use tokio::sync::watch;

/// Why sign-ins end; each maps to its close frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    SignedOut,
    PasswordChanged,
    /// An administrator deactivated the account.
    Deactivated,
}

impl EndReason {
    pub fn close(self) -> Close {
        match self {
            EndReason::SignedOut => Close::SIGNED_OUT,
            EndReason::PasswordChanged => Close::PASSWORD_CHANGED,
            EndReason::Deactivated => Close::DEACTIVATED,
        }
    }

    fn key(self) -> &'static str {
        match self {
            EndReason::SignedOut => "signed-out",
            EndReason::PasswordChanged => "password-changed",
            EndReason::Deactivated => "deactivated",
        }
    }

    fn parse(key: &str) -> Option<EndReason> {
        [
            EndReason::SignedOut,
            EndReason::PasswordChanged,
            EndReason::Deactivated,
        ]
        .into_iter()
        .find(|reason| reason.key() == key)
    }
}

/// Whose sign-ins end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndTarget {
    /// One sign-in, by its token hash.
    SignIn(String),
    /// Every sign-in of a user, except (when given) the one making the change.
    User {
        user_id: UserId,
        except: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndSignIns {
    pub target: EndTarget,
    pub reason: EndReason,
}

/// The NOTIFY payloads start with this word, which is never a channel name, so the event
/// listener tells them apart from `channel seq` announcements.
const NOTIFICATION_PREFIX: &str = "end";

impl EndSignIns {
    pub fn to_notification(&self) -> String {
        let reason = self.reason.key();
        match &self.target {
            EndTarget::SignIn(hash) => format!("{NOTIFICATION_PREFIX} {reason} sign-in {hash}"),
            EndTarget::User { user_id, except } => format!(
                "{NOTIFICATION_PREFIX} {reason} user {user_id} {}",
                except.as_deref().unwrap_or("-")
            ),
        }
    }

    pub fn from_notification(payload: &str) -> Option<EndSignIns> {
        let mut words = payload.split(' ');
        if words.next()? != NOTIFICATION_PREFIX {
            return None;
        }
        let reason = EndReason::parse(words.next()?)?;
        let target = match (words.next()?, words.next()?) {
            ("sign-in", hash) => EndTarget::SignIn(hash.to_string()),
            ("user", id) => EndTarget::User {
                user_id: id.parse().ok()?,
                except: words.next().filter(|w| *w != "-").map(str::to_string),
            },
            _ => return None,
        };
        Some(EndSignIns { target, reason })
    }
}

struct Entry {
    user_id: UserId,
    token_hash: String,
    end: watch::Sender<Option<Close>>,
}

#[derive(Default)]
struct Registry {
    by_id: HashMap<ConnectionId, Entry>,
    /// Each user's connections, oldest first.
    by_user: HashMap<UserId, VecDeque<ConnectionId>>,
}

impl Registry {
    /// Takes the connection out and tells it to close.
    fn end(&mut self, id: ConnectionId, close: Close) {
        if let Some(entry) = self.by_id.remove(&id) {
            entry.end.send_if_modified(|current| {
                let first = current.is_none();
                if first {
                    *current = Some(close);
                }
                first
            });
            self.forget_user_entry(entry.user_id, id);
        }
    }

    fn forget_user_entry(&mut self, user_id: UserId, id: ConnectionId) {
        if let Some(list) = self.by_user.get_mut(&user_id) {
            list.retain(|other| *other != id);
            if list.is_empty() {
                self.by_user.remove(&user_id);
            }
        }
    }
}

pub struct Connections {
    registry: Mutex<Registry>,
    per_user: usize,
}

impl Connections {
    pub fn new(per_user: usize) -> Connections {
        Connections {
            registry: Mutex::default(),
            per_user: per_user.max(1),
        }
    }

    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a new connection; closes the user's oldest ones beyond the cap. The receiver
    /// says when (and with which close frame) this connection must end.
    pub fn register(
        &self,
        id: ConnectionId,
        user_id: UserId,
        token_hash: &str,
    ) -> watch::Receiver<Option<Close>> {
        let (end, ended) = watch::channel(None);
        let mut registry = self.registry();
        registry.by_id.insert(
            id,
            Entry {
                user_id,
                token_hash: token_hash.to_string(),
                end,
            },
        );
        let list = registry.by_user.entry(user_id).or_default();
        list.push_back(id);
        let excess: Vec<ConnectionId> = list
            .iter()
            .take(list.len().saturating_sub(self.per_user))
            .copied()
            .collect();
        for oldest in excess {
            registry.end(oldest, Close::REPLACED);
        }
        ended
    }

    /// The connection closed: forget it.
    pub fn unregister(&self, id: ConnectionId) {
        let mut registry = self.registry();
        if let Some(entry) = registry.by_id.remove(&id) {
            registry.forget_user_entry(entry.user_id, id);
        }
    }

    /// Closes the matching connections on this instance; returns how many.
    pub fn end(&self, request: &EndSignIns) -> usize {
        let close = request.reason.close();
        let mut registry = self.registry();
        let matching: Vec<ConnectionId> = registry
            .by_id
            .iter()
            .filter(|(_, entry)| match &request.target {
                EndTarget::SignIn(hash) => entry.token_hash == *hash,
                EndTarget::User { user_id, except } => {
                    entry.user_id == *user_id && except.as_ref() != Some(&entry.token_hash)
                }
            })
            .map(|(id, _)| *id)
            .collect();
        for id in &matching {
            registry.end(*id, close);
        }
        matching.len()
    }

    /// Closes every connection of a sign-in that no longer exists (checked by the caller after
    /// missing notifications, e.g. a lost PostgreSQL LISTEN connection).
    pub fn end_sign_ins_not_in(&self, live: &[String], close: Close) -> usize {
        let mut registry = self.registry();
        let gone: Vec<ConnectionId> = registry
            .by_id
            .iter()
            .filter(|(_, entry)| !live.contains(&entry.token_hash))
            .map(|(id, _)| *id)
            .collect();
        for id in &gone {
            registry.end(*id, close);
        }
        gone.len()
    }

    /// The distinct sign-ins (token hashes) with an open connection here.
    pub fn token_hashes(&self) -> Vec<String> {
        let mut hashes: Vec<String> = self
            .registry()
            .by_id
            .values()
            .map(|entry| entry.token_hash.clone())
            .collect();
        hashes.sort();
        hashes.dedup();
        hashes
    }

    /// Open connections of a user on this instance.
    pub fn count_for_user(&self, user_id: UserId) -> usize {
        self.registry()
            .by_user
            .get(&user_id)
            .map_or(0, VecDeque::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed(receiver: &watch::Receiver<Option<Close>>) -> Option<Close> {
        *receiver.borrow()
    }

    #[test]
    fn notifications_round_trip_and_channel_announcements_are_not_mistaken_for_them() {
        for request in [
            EndSignIns {
                target: EndTarget::SignIn("ab12".into()),
                reason: EndReason::SignedOut,
            },
            EndSignIns {
                target: EndTarget::User {
                    user_id: 7,
                    except: Some("cd34".into()),
                },
                reason: EndReason::PasswordChanged,
            },
            EndSignIns {
                target: EndTarget::User {
                    user_id: 7,
                    except: None,
                },
                reason: EndReason::PasswordChanged,
            },
        ] {
            let text = request.to_notification();
            assert_eq!(
                EndSignIns::from_notification(&text),
                Some(request),
                "{text}"
            );
        }
        assert_eq!(EndSignIns::from_notification("session:4 17"), None);
        assert_eq!(EndSignIns::from_notification("end nonsense user 1 -"), None);
    }

    #[test]
    fn ending_a_sign_in_closes_only_its_connections() {
        let connections = Connections::new(8);
        let a = connections.register(1, 10, "token-a");
        let b = connections.register(2, 10, "token-b");
        let other = connections.register(3, 11, "token-c");
        let request = EndSignIns {
            target: EndTarget::SignIn("token-a".into()),
            reason: EndReason::SignedOut,
        };
        assert_eq!(connections.end(&request), 1);
        assert_eq!(closed(&a), Some(Close::SIGNED_OUT));
        assert_eq!((closed(&b), closed(&other)), (None, None));
        assert_eq!(connections.count_for_user(10), 1);
    }

    #[test]
    fn ending_a_user_spares_the_sign_in_that_asked() {
        let connections = Connections::new(8);
        let mine = connections.register(1, 10, "mine");
        let elsewhere = connections.register(2, 10, "elsewhere");
        let request = EndSignIns {
            target: EndTarget::User {
                user_id: 10,
                except: Some("mine".into()),
            },
            reason: EndReason::PasswordChanged,
        };
        assert_eq!(connections.end(&request), 1);
        assert_eq!(closed(&mine), None);
        assert_eq!(closed(&elsewhere), Some(Close::PASSWORD_CHANGED));
    }

    #[test]
    fn past_the_cap_the_oldest_connection_is_replaced() {
        let connections = Connections::new(2);
        let first = connections.register(1, 10, "t");
        let second = connections.register(2, 10, "t");
        let someone_else = connections.register(3, 11, "u");
        assert_eq!(closed(&first), None);
        let third = connections.register(4, 10, "t");
        assert_eq!(closed(&first), Some(Close::REPLACED));
        assert_eq!((closed(&second), closed(&third)), (None, None));
        assert_eq!(closed(&someone_else), None);
        assert_eq!(connections.count_for_user(10), 2);
        // The replaced one unregistering later changes nothing.
        connections.unregister(1);
        assert_eq!(connections.count_for_user(10), 2);
        connections.unregister(2);
        connections.unregister(4);
        assert_eq!(connections.count_for_user(10), 0);
    }

    #[test]
    fn connections_of_vanished_sign_ins_are_closed() {
        let connections = Connections::new(8);
        let kept = connections.register(1, 10, "kept");
        let gone = connections.register(2, 10, "gone");
        assert_eq!(connections.token_hashes(), ["gone", "kept"]);
        assert_eq!(
            connections.end_sign_ins_not_in(&["kept".into()], Close::SIGNED_OUT),
            1
        );
        assert_eq!(
            (closed(&kept), closed(&gone)),
            (None, Some(Close::SIGNED_OUT))
        );
    }
}
