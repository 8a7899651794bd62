//! What the WebSocket and the polling endpoint share: who may follow a channel, and where a
//! subscribe or poll starts. Both read the same durable log, so a client that resumes or polls
//! from a position gets exactly the events after it.

use super::AppState;
use crate::domain::{may_run_class, CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::protocol::{Channel, Event, StreamPosition};

/// The one answer for a session channel someone may not follow, whether or not it exists, so
/// the refusal tells nothing about other people's classes.
const SESSION_REFUSED: &str = "You cannot follow that session.";

/// May this user follow this channel?
pub async fn authorize_channel(
    state: &AppState,
    user: &CurrentUser,
    channel: Channel,
) -> AppResult<()> {
    match channel {
        Channel::Session(id) => match state.store.session(id).await? {
            Some(session) if may_run_class(user, &session.teacher_ids) => Ok(()),
            _ => Err(AppError::forbidden(SESSION_REFUSED)),
        },
        Channel::School if user.role == Role::Admin => Ok(()),
        Channel::School => Err(AppError::forbidden(
            "Only admins can follow school-wide figures.",
        )),
        Channel::User(id) if id == user.id => Ok(()),
        Channel::User(_) => Err(AppError::forbidden(
            "You can only follow your own notifications.",
        )),
    }
}

/// Where a subscribe or poll starts: replay from the resume point, or say it cannot.
pub struct Resume {
    /// The channel's current position.
    pub position: StreamPosition,
    /// False when the resume point cannot be served: the client must reload its snapshot.
    pub recovered: bool,
    /// The events after the resume point, oldest first.
    pub events: Vec<Event>,
}

/// Reads what a client at `since` has missed (`None`: from now on).
pub async fn resume(
    state: &AppState,
    channel: Channel,
    since: Option<&StreamPosition>,
) -> AppResult<Resume> {
    let position = state.store.channel_position(channel).await?;
    let Some(since) = since else {
        return Ok(Resume {
            position,
            recovered: true,
            events: Vec::new(),
        });
    };
    let max_replay = state.config.max_replay as i64;
    let usable = since.epoch == position.epoch
        && since.seq >= 0
        && since.seq <= position.seq
        && position.seq - since.seq <= max_replay;
    if !usable {
        return Ok(Resume {
            position,
            recovered: false,
            events: Vec::new(),
        });
    }
    let events = state
        .store
        .events_after(channel, since.seq, max_replay)
        .await?;
    Ok(Resume {
        position,
        recovered: true,
        events,
    })
}
