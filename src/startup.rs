//! The composition root (server only): builds the state, the router and the listening server.
//! Nothing under `server/` depends on this module, the app or the API; this module depends on
//! all of them.

use crate::api::{form_posts, import, plain_forms, report_csv};
use crate::app::{shell, App};
use crate::error::{AppError, ErrorKind};
use crate::server::config::Config;
use crate::server::rate_limit::RateLimits;
use crate::server::store::{Backend, Store};
use crate::server::{app_shell, notify, request_guard, scheduler, security_headers};
use crate::server::{connections, hub, metrics, now_ms, pg_fanout, seed, updates, ws, AppState};
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};

/// What `build_state` made.
pub struct Built {
    pub state: AppState,
    /// Fan-out and LISTEN tasks: they run until aborted.
    pub tasks: Vec<JoinHandle<()>>,
    /// The demo school was seeded by this start (not merely asked for).
    pub seeded_demo: bool,
}

/// Opens the store (running migrations), starts the fan-out tasks and seeds the demo school
/// when asked.
pub async fn build_state(config: Config, leptos_options: LeptosOptions) -> Result<Built, String> {
    let metrics = Arc::new(metrics::Metrics::default());
    let hub = Arc::new(hub::Hub::new(metrics.clone()));
    let connections = Arc::new(connections::Connections::new(config.ws_per_user));
    let (committed_tx, committed_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = vec![hub::spawn_fan_out(hub.clone(), committed_rx)];
    let store = Store::open(&config.database_url, committed_tx)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let store = Arc::new(store);
    if store.backend() == Backend::Postgres {
        tasks.push(pg_fanout::spawn(
            store.clone(),
            hub.clone(),
            connections.clone(),
        ));
    }
    let seeded_demo = config.seed_demo
        && seed::seed_demo_school(&store, now_ms())
            .await
            .map_err(|e| format!("cannot seed the demo school: {e}"))?;
    if seeded_demo {
        tracing::info!("seeded the demo school");
    }
    let senders = Arc::new(notify::Senders::new(&store, &config.notify).await?);
    store
        .start_notifier_cursor()
        .await
        .map_err(|e| format!("cannot start the notifier: {}", e.message))?;
    let state = AppState {
        senders,
        store,
        limits: Arc::new(RateLimits::new(
            config.login_policy(),
            config.check_in_attempts_per_minute,
        )),
        demo: config.seed_demo,
        config: Arc::new(config),
        hub,
        connections,
        metrics,
        shutdown: tokio::sync::watch::channel(false).0,
        bundle: Arc::new(app_shell::Bundle::of_site(&leptos_options)),
        leptos_options,
    };
    Ok(Built {
        state,
        tasks,
        seeded_demo,
    })
}

/// The app's page routes, found once per process. Finding them renders the app with a
/// process-wide "don't load resources" flag set (leptos_server's `SuppressResourceLoad`): done
/// again per server, it raced with other servers in the same process (the integration tests):
/// one server's route listing could load resources mid-render, another's pages skip theirs.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// What every rendered page has in its reactive context: the app state and this request's nonce.
pub fn page_context(state: AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    move || {
        provide_context(state.clone());
        security_headers::provide_nonce();
    }
}

pub fn router(state: AppState) -> Router {
    let routes = page_routes();
    let context = page_context(state.clone());
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::serve))
        .route("/sw.js", get(app_shell::service_worker))
        .route("/build/{build}/pkg/{*file}", get(app_shell::asset))
        .route(crate::protocol::WS_PATH, get(ws::upgrade))
        .route(crate::protocol::UPDATES_PATH, get(updates::updates))
        // The plain HTML forms, answered before (and without) the WebAssembly.
        .route(
            plain_forms::LOGIN_FORM_PATH,
            post(form_posts::sign_in_with_form),
        )
        .route(plain_forms::CHECK_IN_FORM_PATH, post(check_in_with_form))
        .route(
            "/teacher/sessions/{id}/mark",
            post(form_posts::mark_with_form),
        )
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
        // CSV files are larger than any other request: these routes have their own limit.
        .route(import::PREVIEW_PATH, csv_upload(post(import::preview)))
        .route(import::APPLY_PATH, csv_upload(post(import::apply)))
        .route(import::TEMPLATE_PATH, get(import::template))
        .route(report_csv::CSV_ROUTE, get(report_csv::report_csv))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request_guard::refuse_foreign_requests,
        ))
        // Before the rest, so a declared oversize body gets the readable answer first.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limit_body,
        ))
        .layer(compress_answers())
        // Outermost: every answer, refusals included, carries the security headers.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security_headers::add_security_headers,
        ))
        .with_state(state)
}

/// Pages, API answers and CSV exports in brotli or gzip when the browser takes them: a
/// lecture's dashboard is half a megabyte of HTML, about a twentieth of it compressed, which is
/// what a phone on school Wi-Fi waits for. The WebAssembly is left to `app_shell::asset`, which
/// sends the build's precompressed file (compressing 3 MB on every first visit would cost a
/// core); answers that already have an encoding are passed through as they are.
fn compress_answers() -> tower_http::compression::CompressionLayer<impl Predicate> {
    let predicate = DefaultPredicate::new().and(NotForContentType::const_new("application/wasm"));
    tower_http::compression::CompressionLayer::new().compress_when(predicate)
}

/// The check-in form, answered with the check-in page rendered here (as its `GET` would be).
async fn check_in_with_form(State(state): State<AppState>, request: Request) -> Response {
    let render = {
        let state = state.clone();
        move |page: Request| {
            let options = state.leptos_options.clone();
            let render =
                leptos_axum::render_app_async_stream_with_context(page_context(state), move || {
                    shell(options.clone())
                });
            render(page)
        }
    };
    form_posts::check_in_with_form(state, request, render).await
}

fn csv_upload(route: MethodRouter<AppState>) -> MethodRouter<AppState> {
    route
        .layer::<_, std::convert::Infallible>(tower_http::limit::RequestBodyLimitLayer::new(
            import::MAX_IMPORT_BYTES,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(
            import::MAX_IMPORT_BYTES,
        ))
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
    let limit = if request.uri().path().starts_with(import::PATH_PREFIX) {
        import::MAX_IMPORT_BYTES
    } else {
        state.config.max_body_bytes
    };
    if declared.is_some_and(|len| len > limit) {
        return AppError::new(
            ErrorKind::PayloadTooLarge,
            format!(
                "The request is too large (the limit is {} KB).",
                limit / 1024
            ),
        )
        .into_response();
    }
    next.run(request).await
}

/// Every hour, erases the devices (IP address, browser) kept with events older than the
/// retention period.
fn erase_old_devices(store: Arc<Store>, retention_days: u32) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            let before_ms = now_ms() - i64::from(retention_days) * 86_400_000;
            match store.erase_device_details(before_ms).await {
                Ok(0) => {}
                Ok(events) => tracing::info!(events, "erased devices past the retention period"),
                Err(error) => tracing::warn!(%error, "could not erase old devices"),
            }
        }
    })
}

/// A server listening in the background; `shutdown()` stops it gracefully.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    /// The demo school was seeded by this start.
    pub seeded_demo: bool,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    /// Fan-out, LISTEN and sweeper tasks: aborted on shutdown so nothing outlives the server
    /// (a stopped test server must not keep its PostgreSQL LISTEN connection).
    background: Vec<JoinHandle<()>>,
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
        for task in &self.background {
            task.abort();
        }
        self.state.store.close().await;
    }
}

/// Opens the store, binds the address and serves until shut down.
pub async fn start(config: Config, leptos_options: LeptosOptions) -> Result<RunningServer, String> {
    let addr = config.addr;
    let Built {
        state,
        tasks: mut background,
        seeded_demo,
    } = build_state(config, leptos_options).await?;
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
    background.push(tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            limits.forget_idle();
        }
    }));
    background.push(scheduler::spawn(
        state.store.clone(),
        state.config.scheduler_interval_ms,
        state.config.check_in_opens_minutes,
    ));
    let notify_deps = notify::Deps {
        store: state.store.clone(),
        hub: state.hub.clone(),
        metrics: state.metrics.clone(),
        senders: state.senders.clone(),
        zone: state.config.time_zone.clone(),
        config: state.config.notify.clone(),
    };
    background.push(notify::spawn_notifier(notify_deps.clone()));
    background.push(notify::spawn_worker(notify_deps));
    background.push(erase_old_devices(
        state.store.clone(),
        state.config.device_retention_days,
    ));

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
    });
    Ok(RunningServer {
        addr,
        state,
        seeded_demo,
        shutdown: Some(stop_tx),
        task,
        background,
    })
}
