//! Server-only leaf modules: storage, sign-in, limits, the live channel's endpoints. Nothing here
//! imports the app, the API or the pages; `crate::startup` wires them together.

pub mod app_shell;
pub mod auth;
pub mod channels;
pub mod cli;
pub mod client_ip;
pub mod code_view;
pub mod config;
pub mod connections;
pub mod crypto;
pub mod device;
pub mod hub;
pub mod login_throttle;
pub mod metrics;
pub mod notify;
pub mod password_gate;
pub mod pg_fanout;
pub mod rate_limit;
pub mod request_guard;
pub mod scheduler;
pub mod security_headers;
pub mod seed;
pub mod store;
pub mod updates;
pub mod ws;

use axum::extract::FromRef;
use config::Config;
use leptos::prelude::*;
use rate_limit::RateLimits;
use std::sync::Arc;
use store::Store;

/// What every request handler and server function can reach (server functions via
/// [`state()`]). Built by `crate::startup::build_state`.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub config: Arc<Config>,
    pub limits: Arc<RateLimits>,
    pub hub: Arc<hub::Hub>,
    /// Open WebSockets by sign-in and user: ended on sign-out and password changes.
    pub connections: Arc<connections::Connections>,
    /// The demo school was asked for (`--demo` or `ROLLCALL_SEED_DEMO`): pages say so.
    pub demo: bool,
    pub metrics: Arc<metrics::Metrics>,
    /// Flips to true when the server is stopping; live connections close with "restarting".
    pub shutdown: tokio::sync::watch::Sender<bool>,
    pub leptos_options: LeptosOptions,
    /// The browser bundle this server serves, with its build id (app_shell).
    pub bundle: Arc<app_shell::Bundle>,
    /// The VAPID key, the SMTP transport and the worker's wake-up (server::notify).
    pub senders: Arc<notify::Senders>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The app state inside a server function.
pub fn state() -> AppState {
    expect_context::<AppState>()
}
