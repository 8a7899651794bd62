//! A rotating code that keeps changing on a screen whose network is down: the dashboard and
//! the projector fetch the session's key while online (`rotating_code_key`), and while the
//! live channel is not open they derive each window's code and QR code themselves, counting
//! windows on from the server's last code (never from this device's clock). A student who
//! scans it offline keeps the check-in on the phone; the code proves the window when it syncs.

use super::SessionModel;
use crate::domain::SessionId;
use leptos::prelude::*;

pub fn keep_rotating_offline(session_id: SessionId, model: RwSignal<SessionModel>) {
    #[cfg(feature = "hydrate")]
    browser::start(session_id, model);
    #[cfg(not(feature = "hydrate"))]
    let _ = (session_id, model);
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::SessionModel;
    use crate::api::presence::{rotating_code_key, CodeKey};
    use crate::domain::check_in_link::{check_in_url, qr_svg};
    use crate::domain::rotating_code::{rotation_after, Rotation};
    use crate::domain::SessionId;
    use crate::offline::codes::derive;
    use crate::protocol::CodeShown;
    use crate::realtime::{use_live, LinkState};
    use leptos::prelude::*;
    use std::time::Duration;

    pub fn start(session_id: SessionId, model: RwSignal<SessionModel>) {
        let key: StoredValue<Option<CodeKey>> = StoredValue::new(None);
        // The server's last code: its rotation and when it arrived (this device's clock, used
        // only to measure time since).
        let heard: StoredValue<Option<(Rotation, f64)>> = StoredValue::new(None);
        let derived_window: StoredValue<Option<i64>> = StoredValue::new(None);
        let deriving = StoredValue::new(false);
        let link = use_live().status.state;
        let shown = Memo::new(move |_| model.with(|m| m.code.as_ref().and_then(|c| c.rotation)));
        Effect::new(move |asked: Option<bool>| {
            let Some(rotation) = shown.get() else {
                return asked.unwrap_or(false);
            };
            if derived_window.get_value() != Some(rotation.window) {
                heard.set_value(Some((rotation, crate::web::now_ms())));
            }
            if asked != Some(true) {
                leptos::task::spawn_local(async move {
                    if let Ok(found) = rotating_code_key(session_id).await {
                        key.set_value(found);
                    }
                });
            }
            true
        });
        let tick = move || {
            if link.get_untracked() == LinkState::Open || deriving.get_value() {
                return;
            }
            let (Some(key), Some((last, at))) = (key.get_value(), heard.get_value()) else {
                return;
            };
            let next = rotation_after(last, (crate::web::now_ms() - at) as i64);
            if shown
                .get_untracked()
                .is_some_and(|r| r.window >= next.window)
            {
                return;
            }
            deriving.set_value(true);
            leptos::task::spawn_local(async move {
                let code = derive(&key.secret, session_id, next.period_seconds, next.window).await;
                if let Some(code) = code {
                    let url = check_in_url(
                        &key.public_url,
                        code.as_str(),
                        Some((session_id, next.window)),
                    );
                    let shown = CodeShown {
                        session_id,
                        qr_svg: qr_svg(&url),
                        check_in_url: url,
                        code: code.to_string(),
                        rotation: Some(next),
                    };
                    derived_window.set_value(Some(next.window));
                    model.update(|m| m.show_code(shown));
                }
                deriving.set_value(false);
            });
        };
        if let Ok(handle) =
            leptos::leptos_dom::helpers::set_interval_with_handle(tick, Duration::from_millis(250))
        {
            on_cleanup(move || handle.clear());
        }
    }
}
