//! Talking to the server as a client does: WebSockets (with heartbeats answered) and the HTTP API.

use futures::{SinkExt, StreamExt};
use rollcall::protocol::{Channel, ClientMessage, ServerMessage};
use serde_json::{json, Value};
use tokio_tungstenite as tungstenite;
use tungstenite::tungstenite::client::IntoClientRequest;
use tungstenite::tungstenite::protocol::WebSocketConfig;
use tungstenite::tungstenite::Message;

pub type Ws = tungstenite::WebSocketStream<tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn ws_config() -> WebSocketConfig {
    // Small buffers: this process holds thousands of sockets too.
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
}

/// Opens a WebSocket on `path` of the server at `url` (http… becomes ws…).
pub async fn connect(url: &str, path: &str, token: Option<&str>) -> Result<Ws, String> {
    let ws_url = url.replacen("http", "ws", 1) + path;
    let mut request = ws_url.into_client_request().map_err(|e| e.to_string())?;
    if let Some(token) = token {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    let (ws, _) = tungstenite::connect_async_with_config(request, Some(ws_config()), false)
        .await
        .map_err(|e| e.to_string())?;
    Ok(ws)
}

pub async fn send(ws: &mut Ws, message: &ClientMessage) -> bool {
    ws.send(Message::Text(
        serde_json::to_string(message).unwrap().into(),
    ))
    .await
    .is_ok()
}

/// Connects a Rollcall client and subscribes; returns once `subscribed` arrived.
pub async fn rollcall_client(url: &str, token: &str, channel: Channel) -> Result<Ws, String> {
    let mut ws = connect(url, "/ws", Some(token)).await?;
    send(
        &mut ws,
        &ClientMessage::Subscribe {
            channel,
            since: None,
        },
    )
    .await;
    loop {
        match next_message(&mut ws).await {
            Some(ServerMessage::Subscribed { .. }) => return Ok(ws),
            Some(ServerMessage::Error { message, .. }) => return Err(message),
            Some(_) => continue,
            None => return Err("closed before subscribing".into()),
        }
    }
}

/// The next protocol message, answering heartbeats on the way.
pub async fn next_message(ws: &mut Ws) -> Option<ServerMessage> {
    loop {
        match ws.next().await? {
            Ok(Message::Text(text)) => match serde_json::from_str::<ServerMessage>(&text) {
                Ok(ServerMessage::Ping { nonce, .. }) => {
                    send(ws, &ClientMessage::Pong { nonce }).await;
                }
                Ok(message) => return Some(message),
                Err(_) => continue,
            },
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

/// Opens connections with bounded concurrency; returns them in order.
pub async fn open_many<F, Fut>(count: usize, parallel: usize, make: F) -> Vec<Result<Ws, String>>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<Ws, String>>,
{
    futures::stream::iter((0..count).map(make))
        .buffered(parallel)
        .collect()
        .await
}

/// The JSON API (`POST /api/<function>` with a bearer token).
pub struct Http {
    pub client: reqwest::Client,
    pub url: String,
}

impl Http {
    pub fn new(url: &str) -> Http {
        Http {
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .build()
                .unwrap(),
            url: url.to_string(),
        }
    }

    pub async fn call(&self, token: &str, function: &str, body: Value) -> Result<Value, String> {
        let response = self
            .client
            .post(format!("{}/api/{function}", self.url))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let value: Value = response.json().await.map_err(|e| e.to_string())?;
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!("{status}: {value}"))
        }
    }

    /// Opens (or finds) the load class's session; returns (session id, join code).
    pub async fn open_load_session(&self, teacher: &str) -> (i64, String) {
        self.open_session_of(teacher, "Load class").await
    }

    /// Opens (or finds) the session of the teacher's class named `class_name`.
    pub async fn open_session_of(&self, teacher: &str, class_name: &str) -> (i64, String) {
        let classes = self
            .call(teacher, "my_classes", json!({}))
            .await
            .expect("my_classes");
        let class = classes
            .as_array()
            .and_then(|c| c.iter().find(|c| c["name"] == class_name))
            .unwrap_or_else(|| panic!("no class {class_name:?} (run `rollcall-load seed`)"));
        let session = self
            .call(
                teacher,
                "open_session",
                json!({ "class_id": class["id"], "late_after_minutes": 240 }),
            )
            .await
            .expect("open_session");
        let view = self
            .call(
                teacher,
                "session_dashboard",
                json!({ "session_id": session }),
            )
            .await
            .expect("session_dashboard");
        (
            session.as_i64().unwrap(),
            view["session"]["join_code"].as_str().unwrap().to_string(),
        )
    }

    /// Ends the scenario's session so the next scenario starts with nobody checked in.
    pub async fn close_session(&self, teacher: &str, session: i64) {
        let _ = self
            .call(teacher, "close_session", json!({ "session_id": session }))
            .await;
    }
}
