//! A browser-like HTTP client (keeps cookies) calling server functions.

use reqwest::StatusCode;
use rollcall::protocol::StreamPosition;
use serde_json::{json, Value};

/// One person's browser-like client: keeps cookies between calls.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
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

impl Client {
    pub async fn position(&self, session_id: i64) -> StreamPosition {
        serde_json::from_value(self.dashboard(session_id).await["position"].clone()).unwrap()
    }
}
