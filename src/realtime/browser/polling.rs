//! The polling fallback: while the socket keeps failing, `/api/updates` is asked every
//! 1.5 s for each followed channel; the answers go through the same bookkeeping as socket frames.

use super::Driver;
use crate::protocol::UpdatesResponse;
use crate::realtime::follows::{
    poll_status_is_fatal, poll_url, Polled, POLL_EVERY_MS, SIGNED_OUT_MESSAGE,
};
use crate::realtime::sign_in_ended::SignInEnded;
use crate::realtime::{LinkState, LiveUpdate};
use leptos::prelude::*;

impl Driver {
    pub(super) fn start_polling(&self) {
        if self.polling.replace(true) {
            return;
        }
        let me = self.me();
        leptos::task::spawn_local(async move {
            loop {
                let Some(driver) = me.upgrade() else { return };
                if !driver.polling.get() {
                    return;
                }
                driver.poll_once().await;
                drop(driver);
                sleep(POLL_EVERY_MS).await;
            }
        });
    }

    async fn poll_once(&self) {
        let targets = self.follows.borrow().positions();
        for (channel, position) in targets {
            let url = poll_url(channel, position.as_ref());
            let answer = match gloo_net::http::Request::get(&url).send().await {
                Ok(response) if response.ok() => response.json::<UpdatesResponse>().await.ok(),
                Ok(response) if poll_status_is_fatal(response.status()) => {
                    if self.polling.get() {
                        self.signed_out_stop(SignInEnded::SignedOut);
                    }
                    return;
                }
                Ok(response) => {
                    self.status
                        .last_error
                        .set(Some(format!("Polling failed ({}).", response.status())));
                    None
                }
                Err(_) => None,
            };
            let Some(answer) = answer else { continue };
            if !self.polling.get() {
                return; // the socket came back meanwhile and owns the stream again
            }
            let code = answer.code.clone();
            let polled = self
                .follows
                .borrow_mut()
                .polled(channel, position.as_ref(), answer);
            match polled {
                None => {}
                Some(Polled::Reload(on_update)) => on_update(LiveUpdate::Reload),
                Some(Polled::Events(events)) => {
                    for event in events {
                        self.apply(event);
                    }
                }
            }
            if let Some(code) = code {
                self.show_code(code);
            }
        }
    }

    /// The sign-in ended (polling refused with 401, or the socket closed with 4001): stop
    /// trying and let the page send the person to the sign-in page with `reason`.
    pub(super) fn signed_out_stop(&self, reason: SignInEnded) {
        self.halt();
        self.status
            .last_error
            .set(Some(SIGNED_OUT_MESSAGE.to_string()));
        self.status.sign_in_ended.set(Some(reason));
    }

    /// Another tab of the same person took this connection's place: wait for "Reconnect now"
    /// instead of taking it back (the two would close each other in turn).
    pub(super) fn replaced_stop(&self) {
        self.halt();
        self.status.state.set(LinkState::Replaced);
        self.status.attempt.set(0);
        self.status.last_error.set(Some(
            "Opened in another tab, which now gets the live updates.".to_string(),
        ));
    }

    /// Stops the poll loop, the retry timer and any attempt under way.
    fn halt(&self) {
        self.signed_out.set(true);
        self.polling.set(false);
        if let Some(handle) = self.retry.take() {
            handle.clear();
        }
        if let Some(socket) = self.socket.borrow_mut().take() {
            socket.discard();
        }
        self.status.next_retry_at_ms.set(None);
    }
}

async fn sleep(ms: u64) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
