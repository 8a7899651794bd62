//! One socket per browser: the leader tab passes every server frame on to the other tabs,
//! which handle it exactly as their own (each keeps its own positions, so each still sees
//! every event once); they tell the leader what to subscribe. When the leader tab closes, the
//! next one takes over the lock, opens the socket and resumes every channel it follows from
//! its own positions; the others say again what they follow when its welcome arrives. While
//! the leader polls (its socket keeps failing), every tab polls for its own channels.

use super::Driver;
use crate::protocol::{close_code, Channel, StreamPosition};
use crate::realtime::sign_in_ended::SignInEnded;
use crate::realtime::tab_message::{TabMessage, CHANNEL_NAME};
use crate::realtime::LinkState;
use leptos::prelude::*;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use web_sys::{BroadcastChannel, MessageEvent};

pub struct TabLink {
    channel: Option<BroadcastChannel>,
    listener: RefCell<Option<Listener>>,
}

type Listener = Closure<dyn FnMut(MessageEvent)>;

impl Default for TabLink {
    fn default() -> Self {
        TabLink {
            channel: BroadcastChannel::new(CHANNEL_NAME).ok(),
            listener: RefCell::new(None),
        }
    }
}

impl TabLink {
    fn post(&self, message: &TabMessage) {
        if let Some(channel) = &self.channel {
            let _ = channel.post_message(&JsValue::from_str(&message.encode()));
        }
    }
}

impl Driver {
    pub(super) fn listen_to_tabs(&self) {
        let Some(channel) = &self.tabs.channel else {
            return;
        };
        let me = self.me();
        let listener = Listener::new(move |event: MessageEvent| {
            let message = event
                .data()
                .as_string()
                .and_then(|t| TabMessage::decode(&t));
            if let (Some(driver), Some(message)) = (me.upgrade(), message) {
                driver.on_tab_message(message);
            }
        });
        channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
        *self.tabs.listener.borrow_mut() = Some(listener);
    }

    /// The election's answer: the leader connects; a follower asks the leader for its channels.
    pub(super) fn set_leading(&self, leading: bool) {
        self.leading.set(Some(leading));
        if leading {
            self.connect();
        } else {
            let channels = self.follows.borrow().channels();
            for channel in channels {
                self.send_subscribe(channel);
            }
        }
    }

    fn is_leader(&self) -> bool {
        self.leading.get() == Some(true)
    }

    pub(super) fn pass_on_frame(&self, text: &str) {
        if self.is_leader() {
            self.tabs.post(&TabMessage::Frame { text: text.into() });
        }
    }

    pub(super) fn pass_on_close(&self, code: u16, reason: &str) {
        if self.is_leader() && matches!(code, close_code::UNAUTHENTICATED | close_code::REPLACED) {
            self.tabs.post(&TabMessage::Closed {
                code,
                reason: reason.into(),
            });
        }
    }

    pub(super) fn pass_on_state(&self, state: LinkState) {
        if self.is_leader() {
            self.tabs.post(&TabMessage::State {
                key: state.key().into(),
            });
        }
    }

    pub(super) fn tell_leader_want(&self, channel: Channel, since: Option<StreamPosition>) {
        self.tabs.post(&TabMessage::Want { channel, since });
    }

    pub(super) fn tell_leader_reconnect(&self) {
        self.tabs.post(&TabMessage::Reconnect);
    }

    fn on_tab_message(&self, message: TabMessage) {
        let leading = self.is_leader();
        match message {
            TabMessage::Frame { text } if !leading => self.on_frame(&text),
            TabMessage::Closed { code, reason } if !leading => match code {
                close_code::UNAUTHENTICATED => {
                    self.signed_out_stop(SignInEnded::from_close_reason(&reason))
                }
                _ => self.replaced_stop(),
            },
            TabMessage::State { key } if !leading => {
                if let Some(state) = LinkState::from_key(&key) {
                    self.status.state.set(state);
                    // While the leader's socket keeps failing every tab polls for its own
                    // channels; the leader's next welcome stops it.
                    if state == LinkState::Polling {
                        self.start_polling();
                    }
                }
            }
            // A leader tab that follows nothing yet has not connected: `start` connects it.
            TabMessage::Want { channel, since } if leading && !self.start() => {
                self.send(&crate::protocol::ClientMessage::Subscribe { channel, since });
                // A tab that came after the welcome learns the state this way.
                self.pass_on_state(self.status.state.get_untracked());
            }
            TabMessage::Reconnect if leading => self.reconnect_now(),
            _ => {}
        }
    }
}
