//! The wire protocol, defined once and compiled into both the server and the browser client.
//!
//! Every attendance change is stored as an [`Event`] on a [`Channel`] with a per-channel,
//! gap-free, increasing `seq`; everything live is read from that log.

use crate::domain::rotating_code::Rotation;
use crate::domain::{SessionId, UserId};
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
        let bad =
            || format!("Unknown channel {text:?}: expected session:<id>, school or user:<id>.");
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

#[path = "protocol_events.rs"]
mod events;
pub use events::EventBody;

/// The join code a session shows now, as its teacher's screens receive it: with the snapshot,
/// and for a rotating code pushed in a [`ServerMessage::Code`] frame each time it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeShown {
    pub session_id: SessionId,
    pub code: String,
    /// The page the QR code opens (carrying the code's session and window when it rotates).
    pub check_in_url: String,
    /// The QR code for `check_in_url`, an SVG document.
    pub qr_svg: String,
    /// `None` for a fixed code.
    pub rotation: Option<Rotation>,
}

/// Where a client is in a channel's log: the log's epoch (changes if the log is ever reset)
/// and the last seq it has seen (0: nothing yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamPosition {
    pub epoch: String,
    pub seq: i64,
}

/// Client → server frames (JSON text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Start receiving a channel. With `since`, the server first replays every event after it.
    Subscribe {
        channel: Channel,
        since: Option<StreamPosition>,
    },
    Unsubscribe {
        channel: Channel,
    },
    /// The answer to a server [`ServerMessage::Ping`].
    Pong {
        nonce: u64,
    },
}

/// Server → client frames (JSON text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// First frame on every connection.
    Welcome {
        user_id: UserId,
        heartbeat_ms: u64,
    },
    /// A subscribe succeeded. `recovered: true`: every event after `since` follows (`replayed`
    /// of them) and then live ones, with no gap. `recovered: false`: the resume point was too
    /// old or from another epoch: reload the snapshot; live events after `position` follow.
    Subscribed {
        channel: Channel,
        position: StreamPosition,
        recovered: bool,
        replayed: u32,
    },
    Unsubscribed {
        channel: Channel,
    },
    Event(Event),
    /// Heartbeat; answer with `Pong { nonce }`. `rtt_ms` is the round trip measured on the
    /// previous heartbeat.
    Ping {
        nonce: u64,
        rtt_ms: Option<u32>,
    },
    /// The current rotating code of a followed session (teachers and admins only): sent on
    /// subscribe and whenever the code changes. Not part of the event log: never replayed.
    Code(CodeShown),
    /// A request was refused; the socket stays open.
    Error {
        code: ErrorCode,
        message: String,
        channel: Option<Channel>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame was not a valid client message.
    BadMessage,
    /// The frame was larger than [`MAX_CLIENT_FRAME_BYTES`].
    FrameTooLarge,
    /// Too many frames too fast; this one was dropped.
    RateLimited,
    /// Not allowed to subscribe to that channel.
    Forbidden,
    /// The channel does not exist.
    NotFound,
    Internal,
}

/// Largest client frame the server reads; bigger ones are answered with `frame_too_large`.
pub const MAX_CLIENT_FRAME_BYTES: usize = 4096;

/// WebSocket close codes the server uses (4000–4999 are the application's own range).
pub mod close_code {
    /// A normal close: the peer went away or said goodbye; nothing more to tell it.
    pub const NORMAL: u16 = 1000;
    /// A frame over the hard size cap (64 KB): the client should be fixed, not just reconnect.
    pub const TOO_BIG: u16 = 1009;
    /// The server hit an error it cannot recover from on this connection (e.g. the event log
    /// could not be read): reconnect with backoff and resume.
    pub const INTERNAL: u16 = 1011;
    /// The server is restarting: reconnect at once.
    pub const SERVER_RESTARTING: u16 = 1012;
    /// The client could not keep up with its channels and its queue overflowed.
    pub const SLOW_CONSUMER: u16 = 4008;
    /// No pong for too long.
    pub const HEARTBEAT_TIMEOUT: u16 = 4002;
    /// The sign-in ended: signed out (reason "signed out"), password changed or reset
    /// ("password changed") or expired ("sign-in expired"). Do not reconnect: sign in again.
    pub const UNAUTHENTICATED: u16 = 4001;
    /// The same user opened more connections than the server allows
    /// (`ROLLCALL_WS_PER_USER`); this, the oldest, made room. Do not reconnect on your own
    /// (the tabs would take turns closing each other); offer a button instead.
    pub const REPLACED: u16 = 4009;
}

/// The WebSocket endpoint and the polling fallback.
pub const WS_PATH: &str = "/ws";
pub const UPDATES_PATH: &str = "/api/updates";

/// The answer of `GET /api/updates?channel=…&since=…&epoch=…`: the same events as the socket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdatesResponse {
    pub channel: Channel,
    pub position: StreamPosition,
    pub recovered: bool,
    pub events: Vec<Event>,
    /// For a session with a rotating code: the code shown now (a long poll returns when it
    /// changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeShown>,
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
