//! What `fanout` drives: Rollcall, the bare broadcast server (`--target bare`) as the limit of
//! this stack, or the Socket.IO peer (`--target socketio`, `end2end/socketio-peer`). Each knows
//! how to connect a socket, how to trigger one event and how to recognise its frame on arrival.

use crate::accounts::{self, Account};
use crate::args::Args;
use crate::client::{connect, rollcall_client, Http, Ws};
use futures::future::{BoxFuture, FutureExt};
use futures::{SinkExt, StreamExt};
use rollcall::protocol::{Channel, ClientMessage, ServerMessage};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

pub enum Target {
    /// Watchers: the teacher's sockets on the session channel. Idle sockets: students on their
    /// own channels. An event: a student's check-in over HTTP, keyed by student id.
    Rollcall {
        teacher: Account,
        students: Vec<Account>,
        session: i64,
        code: String,
        /// The first student for idle sockets (those before it may check in).
        idle_from: usize,
    },
    /// Anonymous sockets on `/ws`. An event: `POST /publish` of a counter, which is its key.
    Bare,
    /// Socket.IO (Engine.IO 4 over WebSocket): anonymous sockets on the default namespace. An
    /// event: `POST /publish` of a counter, emitted to everyone as `42["e",<counter>]`.
    SocketIo,
}

/// A text frame, as a watcher sees it.
pub enum Frame {
    /// The event with this key.
    Event(i64),
    /// A heartbeat, to be answered with this text frame.
    Ping(String),
    Other,
}

impl Target {
    /// `--target bare`, or Rollcall: the load accounts (`--tokens`) and an open session.
    pub async fn from_args(args: &Args, http: &Http, idle_from: usize) -> Target {
        match args.text("target", "rollcall").as_str() {
            "bare" => return Target::Bare,
            "socketio" => return Target::SocketIo,
            _ => {}
        }
        let (teacher, students) = accounts::load(args);
        let (session, code) = http.open_load_session(&teacher.token).await;
        Target::Rollcall {
            teacher,
            students,
            session,
            code,
            idle_from,
        }
    }

    /// As printed in the figures.
    pub fn name(&self) -> &'static str {
        match self {
            Target::Rollcall { .. } => "rollcall",
            Target::Bare => "bare",
            Target::SocketIo => "socketio",
        }
    }

    /// Socket `i` of those that receive every event.
    pub async fn connect_watcher(&self, url: &str, i: usize) -> Result<Ws, String> {
        match self {
            Target::Rollcall {
                teacher, session, ..
            } => rollcall_client(url, &teacher.token, Channel::Session(*session))
                .await
                .map_err(|e| format!("watcher {i}: {e}")),
            Target::Bare => connect(url, "/ws", None).await,
            Target::SocketIo => socket_io_client(url).await,
        }
    }

    /// Socket `i` of those that receive no event and only answer heartbeats.
    pub async fn connect_idle(&self, url: &str, i: usize) -> Result<Ws, String> {
        match self {
            Target::Rollcall {
                students,
                idle_from,
                ..
            } => {
                let student = &students[(idle_from + i) % students.len()];
                rollcall_client(url, &student.token, Channel::User(student.id)).await
            }
            Target::Bare => connect(url, "/ws", None).await,
            Target::SocketIo => socket_io_client(url).await,
        }
    }

    /// Event `i`: its key, and the request that triggers it (not sent until awaited), which
    /// resolves to whether the server accepted it.
    pub fn trigger(&self, http: &Http, i: usize) -> (i64, BoxFuture<'static, bool>) {
        let (client, url) = (http.client.clone(), http.url.clone());
        match self {
            Target::Rollcall { students, code, .. } => {
                let student = &students[i % students.len()];
                let (token, code) = (student.token.clone(), code.clone());
                let request = async move {
                    client
                        .post(format!("{url}/api/check_in"))
                        .bearer_auth(token)
                        .json(&json!({ "code": code }))
                        .send()
                        .await
                };
                (student.id, accepted(request))
            }
            Target::Bare | Target::SocketIo => {
                let key = i as i64;
                let request = async move {
                    client
                        .post(format!("{url}/publish"))
                        .body(key.to_string())
                        .send()
                        .await
                };
                (key, accepted(request))
            }
        }
    }

    /// What a watcher's text frame is.
    pub fn recognise(&self, text: &str) -> Frame {
        match self {
            Target::Bare => text.parse().map_or(Frame::Other, Frame::Event),
            // Engine.IO: "2" is its ping, "42" a Socket.IO event.
            Target::SocketIo if text == "2" => Frame::Ping("3".into()),
            Target::SocketIo => text
                .strip_prefix("42[\"e\",")
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|key| key.parse().ok())
                .map_or(Frame::Other, Frame::Event),
            // As little parsing as for the bare server's frames: find the key.
            Target::Rollcall { .. } if text.contains("\"attendance_changed\"") => {
                student_id_in(text).map_or(Frame::Other, Frame::Event)
            }
            Target::Rollcall { .. } => match serde_json::from_str::<ServerMessage>(text) {
                Ok(ServerMessage::Ping { nonce, .. }) => {
                    Frame::Ping(serde_json::to_string(&ClientMessage::Pong { nonce }).unwrap())
                }
                _ => Frame::Other,
            },
        }
    }

    /// Ends the run: closes Rollcall's session so the next scenario starts with nobody checked in.
    pub async fn finish(&self, http: &Http) {
        if let Target::Rollcall {
            teacher, session, ..
        } = self
        {
            http.close_session(&teacher.token, *session).await;
        }
    }
}

fn accepted(
    request: impl std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static,
) -> BoxFuture<'static, bool> {
    async move { request.await.is_ok_and(|r| r.status().is_success()) }.boxed()
}

/// The `student_id` of an `attendance_changed` event frame, without a full parse.
fn student_id_in(frame: &str) -> Option<i64> {
    let start = frame.find("\"student_id\":")? + "\"student_id\":".len();
    let digits: String = frame[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Opens a Socket.IO connection the way its client does over WebSocket: Engine.IO's open packet
/// (`0{…}`), then joining the default namespace (`40`, answered `40{"sid":…}`).
async fn socket_io_client(url: &str) -> Result<Ws, String> {
    let mut ws = connect(url, "/socket.io/?EIO=4&transport=websocket", None).await?;
    let mut joined = false;
    while let Some(frame) = ws.next().await {
        let Ok(Message::Text(text)) = frame else {
            return Err(format!("socket.io: unexpected {frame:?}"));
        };
        if text.starts_with('0') && !joined {
            ws.send(Message::Text("40".into()))
                .await
                .map_err(|e| e.to_string())?;
            joined = true;
        } else if text.starts_with("40") {
            return Ok(ws);
        }
    }
    Err("socket.io: closed before joining".into())
}
