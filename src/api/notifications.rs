//! One's own notifications: the inbox, reading, the choices of what to be told and how, and
//! this browser's push subscription. Everyone signed in; each person sees only their own.

use crate::domain::notify::{Notice, NotificationKind};
use crate::error::AppError;
use crate::protocol::StreamPosition;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// Notifications per inbox page.
pub const INBOX_PAGE: u32 = 30;

/// A notification with when it came, in the school's time zone ("2 Dec, 09:14").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxLine {
    #[serde(flatten)]
    pub notice: Notice,
    pub when: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxView {
    /// Newest first.
    pub notices: Vec<InboxLine>,
    pub unread: i64,
    /// Older notifications exist (ask again with `before` = the last id).
    pub more: bool,
    /// The caller's own channel position this page reflects.
    pub position: StreamPosition,
}

/// A page of the caller's inbox, newest first; `before`: older than this id.
#[server(endpoint = "inbox", input = Json)]
pub async fn inbox(before: Option<i64>) -> Result<InboxView, AppError> {
    use crate::server::{auth, state};

    let user = auth::current_user().await?;
    let state = state();
    let zone = &state.config.time_zone;
    let page = state.store.inbox(user.id, before, INBOX_PAGE + 1).await?;
    let more = page.notices.len() > INBOX_PAGE as usize;
    let notices = page
        .notices
        .into_iter()
        .take(INBOX_PAGE as usize)
        .map(|notice| InboxLine {
            when: format!(
                "{}, {}",
                zone.date_label(notice.at_ms),
                zone.clock_label(notice.at_ms)
            ),
            notice,
        })
        .collect();
    Ok(InboxView {
        notices,
        unread: page.unread,
        more,
        position: page.position,
    })
}

/// How many of the caller's notifications are unread (the header's badge).
#[server(endpoint = "unread_notifications", input = Json)]
pub async fn unread_notifications() -> Result<i64, AppError> {
    use crate::server::{auth, state};

    let user = auth::current_user().await?;
    state().store.unread_count(user.id).await
}

/// Marks one notification (`id`) or every one up to `through` read; answers the unread count.
#[server(endpoint = "mark_notifications_read", input = Json)]
pub async fn mark_notifications_read(
    id: Option<i64>,
    through: Option<i64>,
) -> Result<i64, AppError> {
    use crate::domain::notify::InboxRead;
    use crate::server::{auth, now_ms, state};

    let user = auth::current_user().await?;
    let read = match (id, through) {
        (Some(id), None) => InboxRead::One { id },
        (None, Some(id)) => InboxRead::AllThrough { id },
        _ => {
            return Err(AppError::bad_request(
                "Give either id (one notification) or through (all up to it).",
            ))
        }
    };
    let store = &state().store;
    store.mark_read(user.id, read, now_ms()).await?;
    store.unread_count(user.id).await
}

/// One kind of notification and how the caller gets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindChoice {
    pub kind: NotificationKind,
    /// For people (ignored when saving).
    #[serde(default)]
    pub label: String,
    pub in_app: bool,
    pub push: bool,
}

/// A browser that receives the caller's pushes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushDevice {
    pub id: i64,
    pub name: String,
    pub endpoint: String,
    pub added_label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifySettingsView {
    pub kinds: Vec<KindChoice>,
    /// "22:00-07:00", or empty for none; in the school's time zone.
    pub quiet_hours: String,
    pub time_zone: String,
    /// The server's VAPID public key (base64url): the browser's `applicationServerKey`.
    pub vapid_public_key: String,
    pub devices: Vec<PushDevice>,
}

/// The caller's choices, quiet hours and push devices.
#[server(endpoint = "notification_settings", input = Json)]
pub async fn notification_settings() -> Result<NotifySettingsView, AppError> {
    use crate::server::{auth, state};

    let user = auth::current_user().await?;
    let state = state();
    let zone = &state.config.time_zone;
    let preferences = state
        .store
        .notification_preferences(user.id, user.role)
        .await?;
    let devices = state
        .store
        .push_subscriptions_of(user.id)
        .await?
        .into_iter()
        .map(|device| PushDevice {
            id: device.id,
            name: device.device,
            endpoint: device.endpoint,
            added_label: zone.date_label(device.created_at_ms),
        })
        .collect();
    Ok(NotifySettingsView {
        kinds: preferences
            .ways
            .into_iter()
            .map(|(kind, ways)| KindChoice {
                kind,
                label: kind.label().into(),
                in_app: ways.in_app,
                push: ways.push,
            })
            .collect(),
        quiet_hours: preferences
            .quiet_hours
            .map(|quiet| quiet.label())
            .unwrap_or_default(),
        time_zone: zone.name().to_string(),
        vapid_public_key: state.senders.vapid.public_key.clone(),
        devices,
    })
}

/// Saves the caller's choices. `quiet_hours`: "22:00-07:00" or empty for none. Kinds the
/// caller's role does not get are ignored.
#[server(endpoint = "save_notification_settings", input = Json)]
pub async fn save_notification_settings(
    kinds: Vec<KindChoice>,
    quiet_hours: String,
) -> Result<(), AppError> {
    use crate::domain::notify::quiet_hours::QuietHours;
    use crate::domain::notify::Ways;
    use crate::server::store::Preferences;
    use crate::server::{auth, state};

    let user = auth::current_user().await?;
    let quiet_hours = match quiet_hours.trim() {
        "" => None,
        text => Some(QuietHours::parse(text).ok_or_else(|| {
            AppError::bad_request(
                "Quiet hours look like 22:00-07:00 (from-to, 24-hour clock), or leave them empty.",
            )
        })?),
    };
    let choices = Preferences {
        ways: kinds
            .into_iter()
            .map(|choice| {
                let ways = Ways {
                    in_app: choice.in_app,
                    push: choice.push,
                    email: false,
                };
                (choice.kind, ways)
            })
            .collect(),
        quiet_hours,
    };
    state()
        .store
        .set_notification_preferences(user.id, user.role, &choices)
        .await?;
    Ok(())
}

/// Saves this browser's push subscription (what `pushManager.subscribe()` gave) for the
/// caller. The endpoint must be one of the push services the server sends to.
#[server(endpoint = "save_push_subscription", input = Json)]
pub async fn save_push_subscription(
    endpoint: String,
    p256dh: String,
    auth: String,
) -> Result<PushDevice, AppError> {
    use crate::domain::notify::inbox::device_name;
    use crate::server::notify::push::check_keys;
    use crate::server::{auth as sign_in, now_ms, state};

    let user = sign_in::current_user().await?;
    let state = state();
    if endpoint.len() > 1000 {
        return Err(AppError::bad_request("The push endpoint is too long."));
    }
    state
        .config
        .notify
        .endpoint_allowed(&endpoint)
        .map_err(AppError::bad_request)?;
    check_keys(&p256dh, &auth).map_err(AppError::bad_request)?;
    let agent = sign_in::request_headers()
        .and_then(|headers| {
            headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_default();
    let saved = state
        .store
        .save_push_subscription(
            user.id,
            &endpoint,
            &p256dh,
            &auth,
            &device_name(&agent),
            now_ms(),
        )
        .await?;
    Ok(PushDevice {
        id: saved.id,
        name: saved.device,
        endpoint: saved.endpoint,
        added_label: state.config.time_zone.date_label(saved.created_at_ms),
    })
}

/// Stops pushes to one of the caller's devices (by `id`, or this browser's `endpoint`).
#[server(endpoint = "remove_push_subscription", input = Json)]
pub async fn remove_push_subscription(
    id: Option<i64>,
    endpoint: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{auth, state};

    let user = auth::current_user().await?;
    if id.is_none() && endpoint.is_none() {
        return Err(AppError::bad_request("Say which device: id or endpoint."));
    }
    let removed = state()
        .store
        .remove_push_subscription(user.id, id, endpoint.as_deref())
        .await?;
    // This browser forgetting its own subscription twice is fine; someone else's id is not.
    if removed || id.is_none() {
        Ok(())
    } else {
        Err(AppError::not_found("You have no such device."))
    }
}
