//! The connection driver: a WebSocket with resume, heartbeat watch, backoff and polling. The
//! decisions (what each followed channel has seen, how long to back off, when to poll) live in
//! [`super::follows`]; this file wires them to sockets, timers and signals. Only the leader
//! tab opens the socket; the others get its frames (`tabs.rs`).

use super::follows::{backoff_bound_ms, heartbeat_lost, should_poll, Follows};
use super::sign_in_ended::SignInEnded;
use super::{LinkState, LinkStatus, LiveUpdate, ResumeReport};
use crate::protocol::{
    close_code, Channel, ClientMessage, CodeShown, Event, ServerMessage, StreamPosition, WS_PATH,
};
use leptos::leptos_dom::helpers::{
    set_interval_with_handle, set_timeout_with_handle, TimeoutHandle,
};
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Duration;
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

mod polling;
mod tabs;

type OnUpdate = Rc<dyn Fn(LiveUpdate)>;

struct Socket {
    ws: WebSocket,
    welcomed: bool,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Socket {
    /// Stops listening and closes; its late events can no longer reach the driver.
    fn discard(self) {
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

pub struct Driver {
    status: LinkStatus,
    me: RefCell<Weak<Driver>>,
    socket: RefCell<Option<Socket>>,
    follows: RefCell<Follows<OnUpdate>>,
    retry: Cell<Option<TimeoutHandle>>,
    started: Cell<bool>,
    polling: Cell<bool>,
    /// The sign-in ended, or another tab took this one's place: nothing reconnects until
    /// "Reconnect now".
    signed_out: Cell<bool>,
    failures: Cell<u32>,
    heartbeat_ms: Cell<f64>,
    last_frame_at: Cell<f64>,
    /// `None` until the election answers; `Some(true)`: this tab holds the socket.
    leading: Cell<Option<bool>>,
    tabs: tabs::TabLink,
}

fn now() -> f64 {
    js_sys::Date::now()
}

fn online() -> bool {
    window().navigator().on_line()
}

impl Driver {
    pub fn new(status: LinkStatus) -> Rc<Driver> {
        let driver = Rc::new(Driver {
            status,
            me: RefCell::new(Weak::new()),
            socket: RefCell::new(None),
            follows: RefCell::new(Follows::new()),
            retry: Cell::new(None),
            started: Cell::new(false),
            polling: Cell::new(false),
            signed_out: Cell::new(false),
            failures: Cell::new(0),
            heartbeat_ms: Cell::new(15_000.0),
            last_frame_at: Cell::new(0.0),
            leading: Cell::new(None),
            tabs: tabs::TabLink::default(),
        });
        *driver.me.borrow_mut() = Rc::downgrade(&driver);
        driver.listen_to_tabs();
        driver
    }

    fn me(&self) -> Weak<Driver> {
        self.me.borrow().clone()
    }

    pub fn follow(
        &self,
        channel: Channel,
        position: Option<StreamPosition>,
        on_update: OnUpdate,
    ) -> u64 {
        let id = self
            .follows
            .borrow_mut()
            .follow(channel, position, on_update);
        if !self.start() {
            self.send_subscribe(channel);
        }
        id
    }

    /// Joins the election and connects once this tab leads; false when already started.
    fn start(&self) -> bool {
        if self.started.replace(true) {
            return false;
        }
        self.install_watchers();
        let me = self.me();
        super::leader::on_change(move |leading| {
            if let Some(driver) = me.upgrade() {
                driver.set_leading(leading);
            }
        });
        true
    }

    /// Stops following, unless someone has followed the channel again since (`id` is theirs).
    pub fn unfollow(&self, channel: Channel, id: u64) {
        let stopped = self.follows.borrow_mut().unfollow(channel, id);
        if stopped {
            self.send(&ClientMessage::Unsubscribe { channel });
        }
    }

    pub fn reconnect_now(&self) {
        self.failures.set(0);
        self.signed_out.set(false);
        if self.leading.get() == Some(false) {
            self.tell_leader_reconnect();
        }
        self.connect();
    }

    fn install_watchers(&self) {
        let me = self.me();
        // Back online: try at once instead of waiting out the backoff.
        let handle = window_event_listener(leptos::ev::online, move |_| {
            if let Some(driver) = me.upgrade() {
                if driver.is_open() {
                    // The socket outlived the blip: say so (it was marked offline).
                    driver.status.state.set(LinkState::Open);
                    driver.pass_on_state(LinkState::Open);
                } else {
                    driver.connect();
                }
            }
        });
        std::mem::forget(handle); // lives as long as the tab
        let me = self.me();
        let handle = window_event_listener(leptos::ev::offline, move |_| {
            if let Some(driver) = me.upgrade() {
                driver.status.state.set(LinkState::Offline);
            }
        });
        std::mem::forget(handle);
        // A socket can die without a close event (a laptop lid, a NAT timeout): the server
        // pings every heartbeat, so long silence means it is gone.
        let me = self.me();
        let _ = set_interval_with_handle(
            move || {
                if let Some(driver) = me.upgrade() {
                    let silent_for = now() - driver.last_frame_at.get();
                    if driver.is_open() && heartbeat_lost(silent_for, driver.heartbeat_ms.get()) {
                        driver
                            .status
                            .last_error
                            .set(Some("No heartbeat from the server.".into()));
                        driver.lost(close_code::HEARTBEAT_TIMEOUT);
                    }
                }
            },
            Duration::from_secs(1),
        );
    }

    fn is_open(&self) -> bool {
        self.socket.borrow().as_ref().is_some_and(|s| s.welcomed)
    }

    fn connect(&self) {
        if self.signed_out.get() {
            return; // a new sign-in is needed; "Reconnect now" clears this
        }
        if self.leading.get() != Some(true) {
            return; // the leader tab holds the one socket
        }
        if let Some(handle) = self.retry.take() {
            handle.clear();
        }
        if let Some(old) = self.socket.borrow_mut().take() {
            old.discard();
        }
        self.status.next_retry_at_ms.set(None);
        if self.failures.get() == 0 {
            self.status.state.set(LinkState::Connecting);
        }
        let location = window().location();
        let scheme = if location.protocol().as_deref() == Ok("https:") {
            "wss"
        } else {
            "ws"
        };
        let url = format!(
            "{scheme}://{}{WS_PATH}",
            location.host().unwrap_or_default()
        );
        let ws = match WebSocket::new(&url) {
            Ok(ws) => ws,
            Err(_) => return self.lost(1006),
        };
        let me = self.me();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let (Some(driver), Some(text)) = (me.upgrade(), event.data().as_string()) {
                driver.on_frame(&text);
            }
        });
        let me = self.me();
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            let Some(driver) = me.upgrade() else { return };
            driver.pass_on_close(event.code(), &event.reason());
            match event.code() {
                // The sign-in ended: retrying cannot help; the page goes to the sign-in page.
                close_code::UNAUTHENTICATED => {
                    driver.signed_out_stop(SignInEnded::from_close_reason(&event.reason()))
                }
                // Another tab took this one's place: coming back would close that one in turn.
                close_code::REPLACED => driver.replaced_stop(),
                code => {
                    if code != close_code::SERVER_RESTARTING && !event.reason().is_empty() {
                        driver.status.last_error.set(Some(event.reason()));
                    }
                    driver.lost(code);
                }
            }
        });
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        *self.socket.borrow_mut() = Some(Socket {
            ws,
            welcomed: false,
            _on_message: on_message,
            _on_close: on_close,
        });
    }

    /// The socket closed or died: schedule the next attempt.
    fn lost(&self, code: u16) {
        if let Some(socket) = self.socket.borrow_mut().take() {
            socket.discard();
        }
        let restarting = code == close_code::SERVER_RESTARTING;
        if !restarting {
            self.failures.set(self.failures.get() + 1);
        }
        let failures = self.failures.get();
        if should_poll(failures) {
            self.start_polling();
        }
        self.status.attempt.set(failures.max(1));
        let state = if !online() {
            LinkState::Offline
        } else if self.polling.get() {
            LinkState::Polling
        } else {
            LinkState::Reconnecting
        };
        self.status.state.set(state);
        self.pass_on_state(state);
        // Full jitter: a random delay up to the exponential bound, so a school's worth of
        // dashboards do not all come back in the same millisecond. A restart is not a failure:
        // come back almost at once.
        let delay = js_sys::Math::random() * backoff_bound_ms(failures, restarting);
        self.status.next_retry_at_ms.set(Some(now() + delay));
        let me = self.me();
        if let Ok(handle) = set_timeout_with_handle(
            move || {
                if let Some(driver) = me.upgrade() {
                    driver.connect();
                }
            },
            Duration::from_millis(delay as u64),
        ) {
            if let Some(old) = self.retry.replace(Some(handle)) {
                old.clear();
            }
        }
    }

    fn send(&self, message: &ClientMessage) {
        if let Some(socket) = self.socket.borrow().as_ref().filter(|s| s.welcomed) {
            if let Ok(text) = serde_json::to_string(message) {
                let _ = socket.ws.send_with_str(&text);
            }
        }
    }

    fn send_subscribe(&self, channel: Channel) {
        let since = self.follows.borrow().position(channel);
        if self.leading.get() == Some(false) {
            self.tell_leader_want(channel, since);
        } else {
            self.send(&ClientMessage::Subscribe { channel, since });
        }
    }

    fn on_frame(&self, text: &str) {
        self.pass_on_frame(text);
        self.last_frame_at.set(now());
        let Ok(message) = serde_json::from_str::<ServerMessage>(text) else {
            return;
        };
        match message {
            ServerMessage::Welcome { heartbeat_ms, .. } => {
                self.heartbeat_ms.set(heartbeat_ms as f64);
                if let Some(socket) = self.socket.borrow_mut().as_mut() {
                    socket.welcomed = true;
                }
                self.failures.set(0);
                self.polling.set(false);
                self.status.attempt.set(0);
                self.status.next_retry_at_ms.set(None);
                self.status.last_error.set(None);
                self.status.state.set(LinkState::Open);
                let channels = self.follows.borrow().channels();
                for channel in channels {
                    self.send_subscribe(channel);
                }
            }
            ServerMessage::Subscribed {
                channel,
                position,
                recovered,
                replayed,
            } => {
                self.status.last_resume.set(Some(ResumeReport {
                    channel,
                    recovered,
                    replayed,
                }));
                let reload = self
                    .follows
                    .borrow_mut()
                    .subscribed(channel, position, recovered, replayed);
                if let Some(on_update) = reload {
                    on_update(LiveUpdate::Reload);
                }
            }
            ServerMessage::Event(event) => self.apply(event),
            ServerMessage::Ping { nonce, rtt_ms } => {
                self.send(&ClientMessage::Pong { nonce });
                if rtt_ms.is_some() {
                    self.status.latency_ms.set(rtt_ms);
                }
            }
            ServerMessage::Code(code) => self.show_code(code),
            ServerMessage::Error { message, .. } => self.status.last_error.set(Some(message)),
            ServerMessage::Unsubscribed { .. } => {}
        }
    }

    /// Hands a session's new rotating code to whoever follows the session.
    pub(super) fn show_code(&self, code: CodeShown) {
        let follower = self
            .follows
            .borrow()
            .follower(Channel::Session(code.session_id));
        if let Some(on_update) = follower {
            on_update(LiveUpdate::Code(code));
        }
    }

    /// Hands an event to its follower unless it was already seen (by seq).
    fn apply(&self, event: Event) {
        let accepted = self.follows.borrow_mut().accept(&event);
        let Some((on_update, replayed)) = accepted else {
            return;
        };
        self.status.last_event_at_ms.set(Some(now()));
        on_update(LiveUpdate::Event { event, replayed });
    }
}
