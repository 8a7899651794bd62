//! `sync_outbox`: the upload endpoint of the offline outbox. A device sends what it queued while
//! it could not reach the server; every entry gets its own answer, in order (docs/protocol.md,
//! "The offline outbox").

use crate::domain::outbox::{EntryAnswer, OutboxEntry};
use crate::domain::UserId;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// The answer to one entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryResult {
    pub seq: u64,
    pub mutation_id: String,
    pub answer: EntryAnswer,
}

/// Applies a device's queued check-ins (students) and marks (teachers, admins) in order, each
/// at most once: already-applied entries answer `duplicate`, an entry after a missing one
/// answers `gap` with the one expected, and so do all after it. When the server fails midway
/// the entries already answered stay applied and the rest are left out of the answer: send
/// them again. `for_user`, when given, is who the device kept the entries for: when someone
/// else is signed in now, nothing is applied (409), so nobody's changes land on another person.
#[server(endpoint = "sync_outbox", input = Json)]
pub async fn sync_outbox(
    device_id: String,
    entries: Vec<OutboxEntry>,
    for_user: Option<UserId>,
) -> Result<Vec<EntryResult>, AppError> {
    use crate::domain::outbox::{valid_device_id, MAX_BATCH};
    use crate::server::store::CheckInDevice;
    use crate::server::{auth, now_ms, state};

    let user = auth::current_user().await?;
    if for_user.is_some_and(|id| id != user.id) {
        return Err(AppError::conflict(
            "These changes were saved on this device by someone else. They are sent when that \
             person signs in here again.",
        ));
    }
    if !valid_device_id(&device_id) {
        return Err(AppError::bad_request(
            "device_id must be 8 to 64 letters, digits, - or _.",
        ));
    }
    if entries.len() > MAX_BATCH {
        return Err(AppError::bad_request(format!(
            "Send at most {MAX_BATCH} entries at a time."
        )));
    }
    let state = state();
    let device = CheckInDevice {
        device_id: Some(crate::server::device::calling_device_id()),
        ip: auth::client_address(),
        user_agent: auth::request_headers()
            .as_ref()
            .and_then(|h| h.get(axum::http::header::USER_AGENT))
            .and_then(|v| v.to_str().ok())
            .map(|agent| agent.chars().take(160).collect()),
        label: auth::calling_device(),
    };
    let mut results = Vec::with_capacity(entries.len());
    let mut gap = None;
    for entry in entries {
        let answer = match gap {
            Some(expected) => EntryAnswer::Gap { expected },
            None => match state
                .store
                .sync_entry(&user, &device_id, &entry, &device, now_ms())
                .await
            {
                Ok(answer) => answer,
                // Nothing of this entry was kept: it and the rest are sent again later.
                Err(_) => break,
            },
        };
        if let EntryAnswer::Gap { expected } = answer {
            gap = Some(expected);
        }
        results.push(EntryResult {
            seq: entry.seq,
            mutation_id: entry.mutation_id,
            answer,
        });
    }
    Ok(results)
}
