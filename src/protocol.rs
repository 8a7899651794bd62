//! The wire protocol, defined once and compiled into both the server and the browser client.
//!
//! Every attendance change is stored as an [`Event`] on a [`Channel`] with a per-channel,
//! gap-free, increasing `seq`; everything live is read from that log.

use crate::domain::{AttendanceStatus, ClassId, MarkSource, SessionId, UserId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A named stream of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Channel {
    /// One class session: its teacher and admins may listen.
    Session(SessionId),
    /// School-wide figures: admins only.
    School,
    /// One person's own notifications and confirmations.
    User(UserId),
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Channel::Session(id) => write!(f, "session:{id}"),
            Channel::School => f.write_str("school"),
            Channel::User(id) => write!(f, "user:{id}"),
        }
    }
}

impl Channel {
    pub fn parse(text: &str) -> Result<Channel, String> {
        let bad = || format!("Unknown channel {text:?}: expected session:<id>, school or user:<id>.");
        match text.split_once(':') {
            None if text == "school" => Ok(Channel::School),
            Some(("session", id)) => id.parse().map(Channel::Session).map_err(|_| bad()),
            Some(("user", id)) => id.parse().map(Channel::User).map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}

impl TryFrom<String> for Channel {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Channel::parse(&value)
    }
}

impl From<Channel> for String {
    fn from(channel: Channel) -> String {
        channel.to_string()
    }
}

/// One entry of the durable event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub channel: Channel,
    pub seq: i64,
    pub at_ms: i64,
    pub body: EventBody,
}

/// What happened. Attendance events double as the audit trail: who, what, when, which device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    SessionOpened {
        session_id: SessionId,
        class_id: ClassId,
        class_name: String,
        join_code: String,
        starts_at_ms: i64,
        late_after_minutes: u32,
    },
    AttendanceChanged {
        session_id: SessionId,
        student_id: UserId,
        student_name: String,
        status: AttendanceStatus,
        previous: Option<AttendanceStatus>,
        source: MarkSource,
        version: i64,
        by_user_id: Option<UserId>,
        device: Option<String>,
    },
    SessionClosed {
        session_id: SessionId,
        marked_absent: u32,
        by_user_id: UserId,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_round_trip_through_text() {
        for channel in [Channel::Session(42), Channel::School, Channel::User(7)] {
            assert_eq!(Channel::parse(&channel.to_string()), Ok(channel));
            let json = serde_json::to_string(&channel).unwrap();
            assert_eq!(serde_json::from_str::<Channel>(&json).unwrap(), channel);
        }
        assert!(Channel::parse("session:x").is_err());
        assert!(Channel::parse("schools").is_err());
        assert!(Channel::parse("").is_err());
    }

    #[test]
    fn events_are_tagged_json() {
        let event = Event {
            channel: Channel::Session(1),
            seq: 3,
            at_ms: 10,
            body: EventBody::SessionClosed {
                session_id: 1,
                marked_absent: 2,
                by_user_id: 9,
            },
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["channel"], "session:1");
        assert_eq!(json["body"]["type"], "session_closed");
        assert_eq!(serde_json::from_value::<Event>(json).unwrap(), event);
    }
}
