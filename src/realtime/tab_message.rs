//! What the tabs of one browser say to each other about the live connection (over the
//! BroadcastChannel `rollcall-live`): the leader tab holds the one socket and passes on what
//! the server sends; the other tabs say which channels they follow from where.

use crate::protocol::{Channel, StreamPosition};
use serde::{Deserialize, Serialize};

pub const CHANNEL_NAME: &str = "rollcall-live";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum TabMessage {
    /// Leader → followers: a frame from the server, as it came.
    Frame { text: String },
    /// Leader → followers: the socket closed for good (the sign-in ended, or another browser's
    /// tab took its place).
    Closed { code: u16, reason: String },
    /// Leader → followers: the link's state while it is not open (`LinkState::key`).
    State { key: String },
    /// Follower → leader: follow this channel from this position on the shared socket. Sent
    /// when a tab starts following and again whenever the leader's socket (re)opens.
    Want {
        channel: Channel,
        since: Option<StreamPosition>,
    },
    /// Follower → leader: "Reconnect now" was pressed.
    Reconnect,
}

impl TabMessage {
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn decode(text: &str) -> Option<TabMessage> {
        serde_json::from_str(text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_survive_the_trip_and_garbage_is_ignored() {
        let messages = [
            TabMessage::Frame {
                text: r#"{"type":"ping","nonce":1}"#.into(),
            },
            TabMessage::Closed {
                code: 4001,
                reason: "signed_out".into(),
            },
            TabMessage::State {
                key: "reconnecting".into(),
            },
            TabMessage::Want {
                channel: Channel::Session(4),
                since: None,
            },
            TabMessage::Reconnect,
        ];
        for message in messages {
            assert_eq!(TabMessage::decode(&message.encode()), Some(message));
        }
        assert_eq!(TabMessage::decode("flush"), None);
        assert_eq!(TabMessage::decode(r#"{"t":"nope"}"#), None);
    }
}
