//! The polling twin of the WebSocket (`GET /api/updates`): the same authorization and the same
//! events, read from the same log, optionally as a long poll.

use super::auth::authenticate;
use super::channels::{authorize_channel, resume};
use super::code_view::code_shown;
use super::hub::{ConnectionId, Delivery, Subscriber};
use super::{now_ms, AppState};
use crate::error::AppError;
use crate::protocol::{Channel, StreamPosition, UpdatesResponse};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Deserialize)]
pub struct UpdatesQuery {
    channel: String,
    since: Option<i64>,
    epoch: Option<String>,
    /// Long-poll: wait up to this many seconds (at most 25) for something new.
    wait: Option<u64>,
}

pub async fn updates(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<UpdatesQuery>, QueryRejection>,
) -> Result<axum::Json<UpdatesResponse>, AppError> {
    let user = authenticate(&state, &headers).await?;
    // A query that does not decode gets the same JSON error as everything else, not axum's text.
    let Query(query) = query.map_err(|rejection| {
        AppError::bad_request(format!(
            "{}. Ask for ?channel=<channel>, optionally with since=<seq>&epoch=<epoch> and \
             wait=<seconds>.",
            rejection.body_text()
        ))
    })?;
    let channel = Channel::parse(&query.channel).map_err(AppError::bad_request)?;
    authorize_channel(&state, &user, channel).await?;
    let since = match (query.since, query.epoch) {
        (Some(seq), Some(epoch)) => Some(StreamPosition { epoch, seq }),
        (None, None) => None,
        _ => {
            return Err(AppError::bad_request(
                "Give both since and epoch, or neither.",
            ))
        }
    };
    let mut answer = resume(&state, channel, since.as_ref()).await?;
    let code = match channel {
        Channel::Session(id) => state.store.session_code(id).await?,
        _ => None,
    };
    let mut wait = Duration::from_secs(query.wait.unwrap_or(0).min(25));
    // A rotating code: come back when it changes, with the next one.
    if let Some(rotation) = code
        .as_ref()
        .and_then(|code| code_shown(&state.config.public_url, code, now_ms()))
        .and_then(|shown| shown.rotation)
    {
        wait = wait.min(Duration::from_millis(
            rotation.changes_in_ms.max(0) as u64 + 50,
        ));
    }
    if answer.recovered && answer.events.is_empty() && since.is_some() && !wait.is_zero() {
        // Long-poll: listen on the hub, re-read (a commit may have landed in between), and if
        // still nothing, wait for the next commit on the channel before reading again.
        let (tx, mut rx) = mpsc::channel(1);
        let _listening = Listening::new(&state, channel, tx);
        answer = resume(&state, channel, since.as_ref()).await?;
        if answer.events.is_empty() && tokio::time::timeout(wait, rx.recv()).await.is_ok() {
            answer = resume(&state, channel, since.as_ref()).await?;
        }
    }
    let code = code
        .filter(|code| code.rotating.is_some())
        .and_then(|code| code_shown(&state.config.public_url, &code, now_ms()));
    Ok(axum::Json(UpdatesResponse {
        channel,
        position: answer.position,
        recovered: answer.recovered,
        events: answer.events,
        code,
    }))
}

/// A temporary, wake-up-only hub subscription that ends when dropped.
struct Listening<'a> {
    state: &'a AppState,
    channel: Channel,
    id: ConnectionId,
}

impl<'a> Listening<'a> {
    fn new(state: &'a AppState, channel: Channel, wake: mpsc::Sender<Delivery>) -> Self {
        let id = state.hub.next_connection_id();
        state.hub.subscribe(channel, id, Subscriber::wake_up(wake));
        Listening { state, channel, id }
    }
}

impl Drop for Listening<'_> {
    fn drop(&mut self) {
        self.state.hub.unsubscribe(self.channel, self.id);
    }
}
