//! Everything that only exists on the server: storage, sign-in, limits and the HTTP server.

pub mod auth;
pub mod channels;
pub mod config;
pub mod hub;
pub mod metrics;
pub mod pg_fanout;
pub mod rate_limit;
pub mod seed;
pub mod store;
pub mod updates;
pub mod ws;

use crate::app::{shell, App};
use crate::error::AppError;
use axum::extract::{FromRef, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use config::Config;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use rate_limit::RateLimits;
use std::net::SocketAddr;
use std::sync::Arc;
use store::Store;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// What every request handler and server function can reach (server functions via
/// `expect_context::<AppState>()`).
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub config: Arc<Config>,
    pub limits: Arc<RateLimits>,
    pub hub: Arc<hub::Hub>,
    pub metrics: Arc<metrics::Metrics>,
    /// Flips to true when the server is stopping; live connections close with "restarting".
    pub shutdown: tokio::sync::watch::Sender<bool>,
    pub leptos_options: LeptosOptions,
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

impl AppState {
    pub async fn new(config: Config, leptos_options: LeptosOptions) -> Result<AppState, String> {
        let metrics = Arc::new(metrics::Metrics::default());
        let hub = Arc::new(hub::Hub::new(metrics.clone()));
        let (committed_tx, committed_rx) = tokio::sync::mpsc::unbounded_channel();
        hub::spawn_fan_out(hub.clone(), committed_rx);
        let store = Store::open(&config.database_url, committed_tx)
            .await
            .map_err(|e| format!("cannot open the database {}: {e}", config.database_url))?;
        let store = Arc::new(store);
        if store.backend() == store::Backend::Postgres {
            pg_fanout::spawn(store.clone(), hub.clone());
        }
        if config.seed_demo
            && seed::seed_demo_school(&store, now_ms())
                .await
                .map_err(|e| format!("cannot seed the demo school: {e}"))?
        {
            tracing::info!("seeded the demo school");
        }
        Ok(AppState {
            store,
            limits: Arc::new(RateLimits::new(
                config.login_attempts_per_minute,
                config.check_in_attempts_per_minute,
            )),
            config: Arc::new(config),
            hub,
            metrics,
            shutdown: tokio::sync::watch::channel(false).0,
            leptos_options,
        })
    }
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::serve))
        .route(crate::protocol::WS_PATH, get(ws::upgrade))
        .route(crate::protocol::UPDATES_PATH, get(updates::updates))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            state.config.max_body_bytes,
        ))
        // Outermost, so a declared oversize body gets the readable answer first.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limit_body,
        ))
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.user_count().await {
        Ok(_) => "ok".into_response(),
        Err(error) => error.into_response(),
    }
}

/// Refuses a declared oversize body with a readable JSON error before anything reads it (the
/// RequestBodyLimitLayer behind it also stops bodies that lie about or omit their length).
async fn limit_body(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > state.config.max_body_bytes) {
        return AppError::new(
            crate::error::ErrorKind::PayloadTooLarge,
            format!(
                "The request is too large (the limit is {} KB).",
                state.config.max_body_bytes / 1024
            ),
        )
        .into_response();
    }
    next.run(request).await
}

/// A server listening in the background; dropped or `shutdown()`, it stops gracefully.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningServer {
    pub async fn shutdown(mut self) {
        // Live connections first: they close with "server restarting" so clients come back at
        // once; then HTTP stops accepting and finishes what is in flight.
        let _ = self.state.shutdown.send(true);
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
        self.state.store.close().await;
    }
}

/// Opens the store, binds the address and serves until shut down.
pub async fn start(config: Config, leptos_options: LeptosOptions) -> Result<RunningServer, String> {
    let addr = config.addr;
    let state = AppState::new(config, leptos_options).await?;
    // tokio's TcpListener::bind uses a backlog of 128; a burst of reconnecting dashboards
    // overflows it and waits for SYN retries, so listen with a deep backlog instead.
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .map_err(|e| e.to_string())?;
    socket.set_reuseaddr(true).map_err(|e| e.to_string())?;
    socket
        .bind(addr)
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let listener = socket.listen(4096).map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;

    let limits = state.limits.clone();
    let sweeper = tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            limits.forget_idle();
        }
    });

    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await;
        if let Err(error) = served {
            tracing::error!(%error, "server stopped");
        }
        sweeper.abort();
    });
    Ok(RunningServer {
        addr,
        state,
        shutdown: Some(stop_tx),
        task,
    })
}
