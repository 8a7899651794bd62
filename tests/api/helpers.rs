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
    _dir: tempfile::TempDir,
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

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(format!("sqlite:{}", dir.path().join("rollcall.db").display()));
    adjust(&mut config);
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
            http: reqwest::Client::builder().cookie_store(true).build().unwrap(),
            base: self.base.clone(),
        }
    }

    pub async fn login(&self, username: &str, password: &str) -> Client {
        let client = self.anonymous();
        let (status, body) = client
            .call("login", json!({ "username": username, "password": password }))
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
        (session, dashboard["session"]["join_code"].as_str().unwrap().to_string())
    }

    pub async fn dashboard(&self, session_id: i64) -> Value {
        self.ok("session_dashboard", json!({ "session_id": session_id })).await
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
