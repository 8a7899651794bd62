//! Which tab of this browser leads (browser only): it holds the live connection for all tabs
//! and sends the offline outbox. Elected with the Web Lock `rollcall-leader`: the first tab to
//! ask gets it and keeps it until it closes; every other tab waits in line and the next one
//! gets it the moment the leader goes. Without Web Locks every tab leads itself.

use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const LOCK: &str = "rollcall-leader";

type Listener = Box<dyn Fn(bool)>;

#[derive(Default)]
struct Leadership {
    started: bool,
    /// `None` until the first answer; then whether this tab leads.
    leading: Option<bool>,
    listeners: Vec<Listener>,
}

thread_local! {
    static LEADERSHIP: RefCell<Leadership> = RefCell::new(Leadership::default());
}

/// Calls `listener` with `true` once this tab leads and with `false` if another tab does
/// (then `true` later, should it take over). Starts the election on first use.
pub fn on_change(listener: impl Fn(bool) + 'static) {
    let (known, start) = LEADERSHIP.with(|l| {
        let mut l = l.borrow_mut();
        let start = !std::mem::replace(&mut l.started, true);
        (l.leading, start)
    });
    if let Some(leading) = known {
        listener(leading);
    }
    LEADERSHIP.with(|l| l.borrow_mut().listeners.push(Box::new(listener)));
    if start {
        elect();
    }
}

pub fn is_leader() -> bool {
    LEADERSHIP.with(|l| l.borrow().leading == Some(true))
}

fn decide(leading: bool) {
    let changed = LEADERSHIP.with(|l| {
        let mut l = l.borrow_mut();
        let changed = l.leading != Some(leading);
        l.leading = Some(leading);
        changed
    });
    if changed {
        // Listeners run outside the borrow: one may register another.
        let listeners = LEADERSHIP.with(|l| std::mem::take(&mut l.borrow_mut().listeners));
        for listener in &listeners {
            listener(leading);
        }
        LEADERSHIP.with(|l| {
            let mut l = l.borrow_mut();
            let added = std::mem::replace(&mut l.listeners, listeners);
            l.listeners.extend(added);
        });
    }
}

/// First asks only if the lock is free (a follower learns it follows at once), then waits in
/// line to take over.
fn elect() {
    let Some((locks, request)) = lock_manager() else {
        decide(true);
        return;
    };
    let try_now = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        if lock.is_null() {
            decide(false);
            wait_in_line();
            JsValue::UNDEFINED
        } else {
            decide(true);
            hold_forever()
        }
    });
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    if request
        .call3(&locks, &LOCK.into(), &options, &try_now)
        .is_err()
    {
        decide(true);
    }
}

fn wait_in_line() {
    let Some((locks, request)) = lock_manager() else {
        return;
    };
    let granted = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        decide(true);
        hold_forever()
    });
    let _ = request.call2(&locks, &LOCK.into(), &granted);
}

/// A promise that never settles: the lock is released only when the tab goes.
fn hold_forever() -> JsValue {
    js_sys::Promise::new(&mut |_, _| {}).into()
}

fn lock_manager() -> Option<(JsValue, js_sys::Function)> {
    let navigator = web_sys::window()?.navigator();
    let locks = js_sys::Reflect::get(&navigator, &"locks".into()).ok()?;
    if locks.is_undefined() || locks.is_null() {
        return None;
    }
    let request = js_sys::Reflect::get(&locks, &"request".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    Some((locks, request))
}
