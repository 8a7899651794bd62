//! Starts the real server on a random port with a fresh SQLite file, and talks to it over HTTP
//! like any client would.

use leptos::config::LeptosOptions;
use reqwest::StatusCode;
use rollcall::protocol::{Channel, Event, ServerMessage};
use rollcall::server::config::Config;
use rollcall::startup::{start, RunningServer};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

mod client;
mod db;
mod push_service;
mod smtp_server;
mod timetable;
mod ws;
pub use client::*;
pub use db::*;
pub use push_service::*;
pub use smtp_server::*;
pub use timetable::*;
pub use ws::*;

pub struct TestApp {
    pub base: String,
    pub server: RunningServer,
    pub _dir: tempfile::TempDir,
}

/// The defaults, with limits out of the way and the demo school asked for (and so seeded).
pub fn test_config(database_url: String) -> Config {
    let mut config = Config::defaults("127.0.0.1:0".parse().unwrap());
    config.database_url = database_url;
    config.public_url = "http://rollcall.test".into();
    config.seed_demo = true;
    config.login_failures_per_address_per_minute = 10_000;
    config.check_in_attempts_per_minute = 10_000;
    config
}

/// `TEST_LOG=1 cargo test …` shows the server's logs (e.g. the database error behind a 500).
fn init_test_log() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    if std::env::var_os("TEST_LOG").is_some() {
        ONCE.call_once(|| {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "info,sqlx=warn".into()),
                )
                .with_test_writer()
                .try_init();
        });
    }
}

/// Whether the suite runs on PostgreSQL (`TEST_DATABASE_URL`); PostgreSQL-only tests say so.
pub fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres"))
}

/// A second instance on `first`'s database (scale-out tests, on PostgreSQL).
pub async fn second_instance(first: &TestApp) -> TestApp {
    let config = test_config(first.server.state.config.database_url.clone());
    spawn_on(config, tempfile::tempdir().unwrap()).await
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A fresh, empty database: an SQLite file in `dir`, or, when `TEST_DATABASE_URL` names a
/// PostgreSQL server, a new database created on it.
pub async fn fresh_database(dir: &tempfile::TempDir) -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(server) if server.starts_with("postgres") => {
            use sqlx::Connection;
            let mut admin = sqlx::PgConnection::connect(&server)
                .await
                .expect("test PostgreSQL reachable");
            let name = format!(
                "rollcall_test_{}",
                rollcall::server::crypto::random_token(6)
            );
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .unwrap();
            let (base, _) = server.rsplit_once('/').expect("URL ends with /<database>");
            format!("{base}/{name}")
        }
        _ => format!("sqlite:{}", dir.path().join("rollcall.db").display()),
    }
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(fresh_database(&dir).await);
    adjust(&mut config);
    spawn_on(config, dir).await
}

/// Starts a server with this config (e.g. a second instance on the same database).
pub async fn spawn_on(config: Config, dir: tempfile::TempDir) -> TestApp {
    init_test_log();
    let options = LeptosOptions::builder()
        .output_name("rollcall")
        .site_root("target/site")
        .build();
    let server = start(config, options).await.expect("server starts");
    TestApp {
        base: format!("http://{}", server.addr),
        server,
        _dir: dir,
    }
}

impl TestApp {
    /// A browser-like client: keeps cookies and, like a browser on one of the site's pages,
    /// sends the site's `Origin` with every request.
    pub fn anonymous(&self) -> Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::ORIGIN, self.base.parse().unwrap());
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .default_headers(headers)
                .build()
                .unwrap(),
            base: self.base.clone(),
        }
    }

    pub async fn login(&self, username: &str, password: &str) -> Client {
        let client = self.anonymous();
        let (status, body) = client
            .call(
                "login",
                json!({ "username": username, "password": password }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        client
    }

    pub async fn teacher(&self) -> Client {
        self.login("rivera", "teacher-demo").await
    }

    pub async fn student(&self, n: usize) -> Client {
        self.login(&format!("student{n}"), "student-demo").await
    }

    pub async fn events(&self, channel: Channel) -> Vec<Event> {
        self.server
            .state
            .store
            .events_after(channel, 0, 10_000)
            .await
            .unwrap()
    }
}

impl TestApp {
    /// Logs in as a non-browser client and returns the bearer token.
    pub async fn token(&self, username: &str, password: &str) -> String {
        let (status, body) = self
            .anonymous()
            .call(
                "login",
                json!({ "username": username, "password": password, "bearer": true }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().unwrap().to_string()
    }

    pub async fn user_id(&self, username: &str) -> i64 {
        let name = rollcall::domain::Username::parse(username).unwrap();
        self.server
            .state
            .store
            .credentials(&name)
            .await
            .unwrap()
            .unwrap()
            .id
    }

    pub fn ws_request(
        &self,
        token: Option<&str>,
    ) -> tokio_tungstenite::tungstenite::handshake::client::Request {
        let mut request = format!("ws://{}/ws", self.server.addr)
            .into_client_request()
            .unwrap();
        if let Some(token) = token {
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        request
    }

    /// Connects and reads the welcome frame.
    pub async fn ws(&self, token: &str) -> Ws {
        let (stream, _) = tokio_tungstenite::connect_async(self.ws_request(Some(token)))
            .await
            .expect("upgrade accepted");
        let mut ws = Ws { stream };
        assert!(matches!(ws.next().await, ServerMessage::Welcome { .. }));
        ws
    }
}

/// Calls a server function with a bearer token; returns the status and the JSON answer.
pub async fn call_as(
    app: &TestApp,
    token: &str,
    function: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/{function}", app.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

/// The status of one poll of `channel` with a bearer token.
pub async fn poll_status(app: &TestApp, token: &str, channel: Channel) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{}/api/updates?channel={channel}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

/// `call_as` that must succeed; returns the answer.
pub async fn call_ok(
    app: &TestApp,
    token: &str,
    function: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let (status, value) = call_as(app, token, function, body).await;
    assert_eq!(status, StatusCode::OK, "{function}: {value}");
    value
}
