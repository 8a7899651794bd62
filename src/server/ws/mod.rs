//! The WebSocket endpoint (`/ws`): the upgrade, and each connection's loop of welcome, client
//! frames, queued deliveries and heartbeats until it closes, falls behind, stops answering or the
//! server shuts down.
//!
//! The loop is generic over the socket's two halves, so tests drive it through channels.

mod codes;
mod connection;
pub mod heartbeat;

use super::auth::{authenticate_sign_in, SignIn};
use super::AppState;
use crate::error::AppError;
use crate::protocol::{close_code, ServerMessage};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use connection::Connection;
use futures::{Sink, SinkExt, Stream, StreamExt};

/// Why a connection ends: the close frame to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Close {
    pub code: u16,
    pub reason: &'static str,
}

impl Close {
    /// The peer is gone or said goodbye: nothing left to tell it.
    pub const GONE: Close = Close {
        code: close_code::NORMAL,
        reason: "",
    };
    pub const RESTARTING: Close = Close {
        code: close_code::SERVER_RESTARTING,
        reason: "server restarting",
    };
    pub const SLOW_CONSUMER: Close = Close {
        code: close_code::SLOW_CONSUMER,
        reason: "too slow to keep up; reconnect and resume",
    };
    pub const HEARTBEAT_TIMEOUT: Close = Close {
        code: close_code::HEARTBEAT_TIMEOUT,
        reason: "no heartbeat answer",
    };
    pub const TOO_BIG: Close = Close {
        code: close_code::TOO_BIG,
        reason: "frame too large",
    };
    pub const LOG_UNREADABLE: Close = Close {
        code: close_code::INTERNAL,
        reason: "cannot read the event log",
    };
    pub const UNENCODABLE: Close = Close {
        code: close_code::INTERNAL,
        reason: "cannot encode a frame",
    };
    /// The reasons below are read by the browser (see docs/protocol.md): keep them stable.
    pub const SIGNED_OUT: Close = Close {
        code: close_code::UNAUTHENTICATED,
        reason: "signed out",
    };
    pub const PASSWORD_CHANGED: Close = Close {
        code: close_code::UNAUTHENTICATED,
        reason: "password changed",
    };
    pub const DEACTIVATED: Close = Close {
        code: close_code::UNAUTHENTICATED,
        reason: "account deactivated",
    };
    pub const SIGN_IN_EXPIRED: Close = Close {
        code: close_code::UNAUTHENTICATED,
        reason: "sign-in expired",
    };
    pub const REPLACED: Close = Close {
        code: close_code::REPLACED,
        reason: "replaced by a newer connection",
    };
}

/// Writes one frame and flushes it; a failed write means the peer is gone.
async fn send<S: Sink<Message> + Unpin>(
    sink: &mut S,
    message: &ServerMessage,
) -> Result<(), Close> {
    let text = serde_json::to_string(message).map_err(|_| Close::UNENCODABLE)?;
    sink.send(Message::Text(text.into()))
        .await
        .map_err(|_| Close::GONE)
}

/// Writes one frame without flushing.
async fn feed<S: Sink<Message> + Unpin>(sink: &mut S, message: Message) -> Result<(), Close> {
    sink.feed(message).await.map_err(|_| Close::GONE)
}

/// `GET /ws`: checks the origin and the session, then upgrades.
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if !origin_allowed(&state, &headers) {
        return AppError::forbidden("This WebSocket connection comes from another site.")
            .into_response();
    }
    let sign_in = match authenticate_sign_in(&state, &headers).await {
        Ok(sign_in) => sign_in,
        Err(error) => return error.into_response(),
    };
    let Ok(upgrade) = upgrade else {
        // A plain request at the WebSocket address: the same JSON error as everything else.
        return AppError::bad_request(format!(
            "{} is for WebSocket connections; the same updates are at {} for plain requests.",
            crate::protocol::WS_PATH,
            crate::protocol::UPDATES_PATH
        ))
        .into_response();
    };
    upgrade
        // Hard cap well above the soft cap, so an oversize frame can be answered, not just cut.
        .max_message_size(64 * 1024)
        .max_frame_size(64 * 1024)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .on_upgrade(move |socket| async move {
            state.metrics.open_connections.inc();
            let (sink, stream) = socket.split();
            run_checked(state.clone(), sign_in, sink, stream).await;
            state.metrics.open_connections.dec();
        })
}

/// Cross-site WebSocket hijacking defence: a browser always sends `Origin`; it must be this
/// site (the configured public URL, or the host the request was addressed to). Clients that
/// send no Origin are not browsers and still need a valid session.
fn origin_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    super::request_guard::is_site_origin(&state.config.public_url, origin, host)
}

/// One connection's life, from welcome to close frame; leaves the hub clean behind it.
pub async fn run<S, R, E>(state: AppState, sign_in: SignIn, sink: S, stream: R)
where
    S: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, E>> + Unpin,
{
    serve_connection(state, sign_in, sink, stream, false).await
}

/// `run`, after checking once more, with the connection registered, that its sign-in has not
/// ended meanwhile (what the upgrade does; `run` alone is for tests without stored sign-ins).
pub async fn run_checked<S, R, E>(state: AppState, sign_in: SignIn, sink: S, stream: R)
where
    S: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, E>> + Unpin,
{
    serve_connection(state, sign_in, sink, stream, true).await
}

async fn serve_connection<S, R, E>(
    state: AppState,
    sign_in: SignIn,
    mut sink: S,
    mut stream: R,
    recheck: bool,
) where
    S: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, E>> + Unpin,
{
    let (mut connection, mut queue) = Connection::new(state, sign_in);
    let close = if recheck && !connection.still_signed_in().await {
        Close::SIGNED_OUT
    } else {
        let Err(close) = connection.serve(&mut queue, &mut sink, &mut stream).await;
        close
    };
    if close != Close::GONE {
        let frame = CloseFrame {
            code: close.code,
            reason: Utf8Bytes::from_static(close.reason),
        };
        let _ = sink.send(Message::Close(Some(frame))).await;
    }
    connection.leave();
}

#[cfg(test)]
mod tests;
