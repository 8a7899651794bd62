//! Starts the real server on a random port with a fresh SQLite file, and talks to it over HTTP
//! like any client would.

use leptos::config::LeptosOptions;
use reqwest::StatusCode;
use rollcall::protocol::{Channel, Event};
use rollcall::server::config::Config;
use rollcall::server::{start, RunningServer};
use serde_json::{json, Value};

pub struct TestApp {
    pub base: String,
    pub server: RunningServer,
    pub _dir: tempfile::TempDir,
}

pub fn test_config(database_url: String) -> Config {
    Config {
        database_url,
        addr: "127.0.0.1:0".parse().unwrap(),
        public_url: "http://rollcall.test".into(),
        utc_offset_minutes: 0,
        seed_demo: true,
        login_attempts_per_minute: 10_000,
        check_in_attempts_per_minute: 10_000,
        session_hours: 12,
        secure_cookies: false,
        max_body_bytes: 64 * 1024,
        heartbeat_ms: 15_000,
        ws_queue: 256,
        max_replay: 1000,
        metrics_token: None,
    }
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
            let name = format!("rollcall_test_{}", rollcall::server::auth::random_token(6));
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

/// One person's browser-like client: keeps cookies between calls.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

impl TestApp {
    pub fn anonymous(&self) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
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

impl Client {
    /// POSTs JSON to a server function; returns the status and the JSON answer.
    pub async fn call(&self, function: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/api/{function}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn ok(&self, function: &str, body: Value) -> Value {
        let (status, value) = self.call(function, body).await;
        assert_eq!(status, StatusCode::OK, "{function}: {value}");
        value
    }

    /// The id of the class with this name among the caller's classes.
    pub async fn class_id(&self, name: &str) -> i64 {
        let classes = self.ok("my_classes", json!({})).await;
        classes
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no class {name} in {classes}"))["id"]
            .as_i64()
            .unwrap()
    }

    /// Opens a session of the named class; returns (session id, join code).
    pub async fn open_session(&self, class: &str, late_after_minutes: u32) -> (i64, String) {
        let class_id = self.class_id(class).await;
        let session = self
            .ok(
                "open_session",
                json!({ "class_id": class_id, "late_after_minutes": late_after_minutes }),
            )
            .await
            .as_i64()
            .unwrap();
        let dashboard = self.dashboard(session).await;
        (
            session,
            dashboard["session"]["join_code"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    }

    pub async fn dashboard(&self, session_id: i64) -> Value {
        self.ok("session_dashboard", json!({ "session_id": session_id }))
            .await
    }
}

/// The roster entry of `username` in a dashboard answer.
pub fn roster_entry<'a>(dashboard: &'a Value, username: &str) -> &'a Value {
    dashboard["roster"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["username"] == username)
        .unwrap_or_else(|| panic!("{username} not on roster"))
}

// ---------------------------------------------------------------- WebSocket client

use futures::{SinkExt, StreamExt};
use rollcall::protocol::{ClientMessage, ServerMessage, StreamPosition};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

pub type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A live-channel client speaking the protocol over a real socket.
pub struct Ws {
    pub stream: WsStream,
}

impl TestApp {
    /// Logs in and returns the bearer token.
    pub async fn token(&self, username: &str, password: &str) -> String {
        let (status, body) = self
            .anonymous()
            .call(
                "login",
                json!({ "username": username, "password": password }),
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

impl Ws {
    pub async fn send(&mut self, message: &ClientMessage) {
        self.send_text(&serde_json::to_string(message).unwrap())
            .await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.stream.send(Message::Text(text.into())).await.unwrap();
    }

    /// The next protocol message (heartbeat pings are answered and skipped), within 5 s.
    pub async fn next(&mut self) -> ServerMessage {
        loop {
            let frame = tokio::time::timeout(std::time::Duration::from_secs(5), self.stream.next())
                .await
                .expect("a frame within 5 s")
                .expect("socket open")
                .expect("frame ok");
            if let Message::Text(text) = frame {
                match serde_json::from_str(&text).unwrap() {
                    ServerMessage::Ping { nonce, .. } => {
                        self.send(&ClientMessage::Pong { nonce }).await
                    }
                    message => return message,
                }
            }
        }
    }

    /// Waits for the close frame and returns its code.
    pub async fn closed_with(&mut self) -> u16 {
        loop {
            match tokio::time::timeout(std::time::Duration::from_secs(10), self.stream.next())
                .await
                .expect("closed within 10 s")
            {
                Some(Ok(Message::Close(Some(frame)))) => return frame.code.into(),
                Some(Ok(Message::Close(None))) | None => return 1005,
                Some(Err(_)) => return 1006,
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Subscribes and returns the `Subscribed` answer's (position, recovered, replayed).
    pub async fn subscribe(
        &mut self,
        channel: Channel,
        since: Option<StreamPosition>,
    ) -> (StreamPosition, bool, u32) {
        self.send(&ClientMessage::Subscribe { channel, since })
            .await;
        match self.next().await {
            ServerMessage::Subscribed {
                position,
                recovered,
                replayed,
                ..
            } => (position, recovered, replayed),
            other => panic!("expected subscribed, got {other:?}"),
        }
    }

    pub async fn event(&mut self) -> Event {
        match self.next().await {
            ServerMessage::Event(event) => event,
            other => panic!("expected an event, got {other:?}"),
        }
    }
}

impl Client {
    pub async fn position(&self, session_id: i64) -> StreamPosition {
        serde_json::from_value(self.dashboard(session_id).await["position"].clone()).unwrap()
    }
}
