//! The outbox's driver in the browser: keeps changes, elects the sending tab, uploads in
//! order and files each answer.
//!
//! Tabs talk over the BroadcastChannel `rollcall-offline`: `changed` (read the outbox again),
//! `flush` (a follower kept something: the leader sends it), `sending:<seqs>` and `synced`
//! (what the leader is doing, for everyone's list). The leader is the tab elected by
//! `realtime::leader` (a Web Lock held until the tab closes). Without Web Locks every tab sends
//! for itself, which the server's sequence check keeps exactly-once.

use super::queue::{items, retry_delay_ms};
use super::store::OutboxStore;
use super::OfflineStatus;
use crate::api::outbox::sync_outbox;
use crate::domain::outbox::{EntryAnswer, OfflineChange, MAX_BATCH};
use crate::domain::UserId;
use crate::error::ErrorKind;
use crate::web::now_ms;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::{Rc, Weak};
use std::time::Duration;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;

const CHANNEL: &str = "rollcall-offline";

pub struct Engine {
    status: OfflineStatus,
    me: RefCell<Weak<Engine>>,
    user: Cell<Option<UserId>>,
    store: RefCell<Option<Rc<OutboxStore>>>,
    leader: Cell<bool>,
    flushing: Cell<bool>,
    /// Something asked for a flush while one ran: run again after it.
    again: Cell<bool>,
    failures: Cell<u32>,
    retry_due: Cell<bool>,
    sending: RefCell<BTreeSet<u64>>,
    channel: Option<web_sys::BroadcastChannel>,
    _listeners: RefCell<Vec<Listener>>,
}

type Listener = Closure<dyn FnMut(web_sys::Event)>;

impl Engine {
    pub fn start(status: OfflineStatus) -> Rc<Engine> {
        let engine = Rc::new(Engine {
            status,
            me: RefCell::new(Weak::new()),
            user: Cell::new(None),
            store: RefCell::new(None),
            leader: Cell::new(false),
            flushing: Cell::new(false),
            again: Cell::new(false),
            failures: Cell::new(0),
            retry_due: Cell::new(false),
            sending: RefCell::new(BTreeSet::new()),
            channel: web_sys::BroadcastChannel::new(CHANNEL).ok(),
            _listeners: RefCell::new(Vec::new()),
        });
        *engine.me.borrow_mut() = Rc::downgrade(&engine);
        engine.listen();
        engine.elect();
        engine
    }

    fn listen(&self) {
        let me = self.me.borrow().clone();
        let on_message = {
            let me = me.clone();
            Listener::new(move |event: web_sys::Event| {
                let Some(engine) = me.upgrade() else { return };
                let data = event
                    .dyn_ref::<web_sys::MessageEvent>()
                    .and_then(|m| m.data().as_string())
                    .unwrap_or_default();
                engine.on_message(&data);
            })
        };
        if let Some(channel) = &self.channel {
            channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        }
        let wake = {
            let me = me.clone();
            Listener::new(move |_: web_sys::Event| {
                let visible = document().visibility_state() == web_sys::VisibilityState::Visible;
                if let (Some(engine), true) = (me.upgrade(), visible) {
                    engine.request_flush();
                }
            })
        };
        let _ = window().add_event_listener_with_callback("online", wake.as_ref().unchecked_ref());
        let _ = document()
            .add_event_listener_with_callback("visibilitychange", wake.as_ref().unchecked_ref());
        self._listeners.borrow_mut().extend([on_message, wake]);
    }

    /// The tab that holds the live connection also sends the outbox (realtime::leader).
    fn elect(&self) {
        let me = self.me.borrow().clone();
        crate::realtime::leader::on_change(move |leading| {
            if let (Some(engine), true) = (me.upgrade(), leading) {
                engine.become_leader();
            }
        });
    }

    fn become_leader(&self) {
        self.leader.set(true);
        self.status.leader.set(true);
        self.request_flush();
    }

    fn on_message(&self, data: &str) {
        match data {
            "changed" => self.refresh(),
            "flush" => self.request_flush(),
            "synced" => {
                self.status.last_sync_ms.set(Some(now_ms()));
                self.status.problem.set(None);
            }
            other => {
                if let Some(seqs) = other.strip_prefix("sending:") {
                    *self.sending.borrow_mut() =
                        seqs.split(',').filter_map(|s| s.parse().ok()).collect();
                    self.refresh();
                } else if let Some(problem) = other.strip_prefix("problem:") {
                    self.status.problem.set(Some(problem.to_string()));
                }
            }
        }
    }

    fn tell_others(&self, message: &str) {
        if let Some(channel) = &self.channel {
            let _ = channel.post_message(&JsValue::from_str(message));
        }
    }

    pub fn sign_in(&self, user: UserId) {
        self.user.set(Some(user));
        self.refresh();
        self.request_flush();
    }

    async fn store(&self) -> Result<Rc<OutboxStore>, String> {
        if let Some(store) = self.store.borrow().clone() {
            return Ok(store);
        }
        let store = Rc::new(OutboxStore::open().await?);
        *self.store.borrow_mut() = Some(store.clone());
        Ok(store)
    }

    /// Reads the signed-in person's outbox into the page's list.
    fn refresh(&self) {
        let Some(engine) = self.me.borrow().upgrade() else {
            return;
        };
        spawn_local(async move { engine.refresh_now().await });
    }

    async fn refresh_now(&self) {
        let Some(user) = self.user.get() else { return };
        let Ok(store) = self.store().await else {
            return;
        };
        let (Ok(pending), Ok(answered)) = (
            store.pending(user, MAX_BATCH as u32).await,
            store.answered(user).await,
        ) else {
            return;
        };
        let list = items(&pending, &answered, &self.sending.borrow());
        self.status.items.set(list);
    }

    pub async fn queue(&self, change: OfflineChange, label: String) -> Result<usize, String> {
        let user = self.user.get().ok_or_else(|| {
            "Sign in first: changes are kept for the person signed in.".to_string()
        })?;
        let store = self.store().await?;
        store.queue(user, change, label, now_ms() as i64).await?;
        self.refresh_now().await;
        self.tell_others("changed");
        self.request_flush();
        Ok(self.status.pending())
    }

    pub fn dismiss(&self, seq: u64) {
        let Some(engine) = self.me.borrow().upgrade() else {
            return;
        };
        spawn_local(async move {
            let (Some(user), Ok(store)) = (engine.user.get(), engine.store().await) else {
                return;
            };
            if store.dismiss(user, seq).await.is_ok() {
                engine.refresh_now().await;
                engine.tell_others("changed");
            }
        });
    }

    /// The leader sends now (or after the running upload); a follower asks the leader.
    pub fn request_flush(&self) {
        if !self.leader.get() {
            self.tell_others("flush");
            return;
        }
        if self.flushing.replace(true) {
            self.again.set(true);
            return;
        }
        let Some(engine) = self.me.borrow().upgrade() else {
            self.flushing.set(false);
            return;
        };
        spawn_local(async move {
            loop {
                engine.again.set(false);
                let outcome = engine.flush_once().await;
                engine.set_sending(BTreeSet::new());
                engine.refresh_now().await;
                engine.tell_others("changed");
                match outcome {
                    Flush::Done if engine.again.get() => continue,
                    Flush::Done | Flush::Stop => break,
                    Flush::RetryLater => {
                        engine.retry_later();
                        break;
                    }
                }
            }
            engine.flushing.set(false);
        });
    }

    fn retry_later(&self) {
        if self.retry_due.replace(true) {
            return;
        }
        let failures = self.failures.get();
        self.failures.set(failures + 1);
        let me = self.me.borrow().clone();
        let delay = Duration::from_millis(retry_delay_ms(failures) as u64);
        leptos::leptos_dom::helpers::set_timeout(
            move || {
                if let Some(engine) = me.upgrade() {
                    engine.retry_due.set(false);
                    engine.request_flush();
                }
            },
            delay,
        );
    }

    fn set_sending(&self, seqs: BTreeSet<u64>) {
        let list: Vec<String> = seqs.iter().map(u64::to_string).collect();
        *self.sending.borrow_mut() = seqs;
        self.tell_others(&format!("sending:{}", list.join(",")));
    }

    fn say_problem(&self, problem: String) {
        self.tell_others(&format!("problem:{problem}"));
        self.status.problem.set(Some(problem));
    }

    /// Sends batches until nothing waits, in order.
    async fn flush_once(&self) -> Flush {
        let Some(user) = self.user.get() else {
            return Flush::Stop;
        };
        let store = match self.store().await {
            Ok(store) => store,
            Err(problem) => {
                self.say_problem(problem);
                return Flush::Stop;
            }
        };
        let Ok(device) = store.device_id().await else {
            return Flush::Stop;
        };
        loop {
            let Ok(pending) = store.pending(user, MAX_BATCH as u32).await else {
                return Flush::RetryLater;
            };
            if pending.is_empty() {
                return Flush::Done;
            }
            self.set_sending(pending.iter().map(|q| q.entry.seq).collect());
            self.refresh_now().await;
            let entries = pending.iter().map(|q| q.entry.clone()).collect();
            let results = match sync_outbox(device.clone(), entries, Some(user)).await {
                Ok(results) => results,
                Err(error) => {
                    let again = matches!(
                        error.kind,
                        ErrorKind::Network
                            | ErrorKind::Busy
                            | ErrorKind::Internal
                            | ErrorKind::TooManyRequests
                    );
                    if error.kind != ErrorKind::Network {
                        self.say_problem(error.message);
                    }
                    return if again {
                        Flush::RetryLater
                    } else {
                        Flush::Stop
                    };
                }
            };
            self.failures.set(0);
            let mut gap = None;
            let mut answered = Vec::new();
            for result in &results {
                if let EntryAnswer::Gap { expected } = result.answer {
                    gap.get_or_insert(expected);
                    continue;
                }
                if let Some(queued) = pending.iter().find(|q| q.entry.seq == result.seq) {
                    answered.push((queued.clone(), result.answer.clone()));
                }
            }
            if store.settle(user, answered, now_ms() as i64).await.is_err() {
                return Flush::RetryLater;
            }
            self.status.last_sync_ms.set(Some(now_ms()));
            self.status.problem.set(None);
            self.tell_others("synced");
            if let Some(expected) = gap {
                // Entries before these never reached the server and are not here any more:
                // the rest move up so nothing that is here is lost.
                if store.renumber(user, expected).await.is_err() {
                    return Flush::RetryLater;
                }
            } else if results.len() < pending.len() {
                // The server stopped part-way: the rest go again after a pause.
                return Flush::RetryLater;
            }
        }
    }
}

enum Flush {
    Done,
    RetryLater,
    Stop,
}
