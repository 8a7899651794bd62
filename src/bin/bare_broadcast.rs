//! The limit for this stack: a bare axum WebSocket broadcast server with no auth, no storage
//! and no protocol. `POST /publish` sends its body to every socket on `/ws`. Used only by
//! `rollcall-load fanout --target bare` to measure Rollcall against it in the same run.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use futures::{SinkExt, StreamExt};
use std::sync::Arc;
use tokio::sync::broadcast;

#[tokio::main]
async fn main() {
    let addr = std::env::var("BARE_ADDR").unwrap_or_else(|_| "127.0.0.1:3900".into());
    let (tx, _) = broadcast::channel::<Arc<str>>(1024);
    let app = Router::new()
        .route("/ws", get(upgrade))
        .route("/publish", post(publish))
        .with_state(tx);
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket.bind(addr.parse().unwrap()).unwrap();
    let listener = socket.listen(4096).unwrap();
    println!("bare broadcast server on http://{addr}");
    axum::serve(listener, app).await.unwrap();
}

async fn publish(State(tx): State<broadcast::Sender<Arc<str>>>, body: String) -> &'static str {
    let _ = tx.send(body.into());
    "ok"
}

async fn upgrade(
    State(tx): State<broadcast::Sender<Arc<str>>>,
    ws: WebSocketUpgrade,
) -> axum::response::Response {
    ws.read_buffer_size(4096)
        .write_buffer_size(4096)
        .on_upgrade(move |socket| serve(socket, tx.subscribe()))
}

async fn serve(socket: WebSocket, mut rx: broadcast::Receiver<Arc<str>>) {
    let (mut sink, mut stream) = socket.split();
    loop {
        tokio::select! {
            message = rx.recv() => match message {
                Ok(text) => {
                    if sink.send(Message::Text(text.as_ref().into())).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return,
            },
            incoming = stream.next() => if !matches!(incoming, Some(Ok(_))) { return },
        }
    }
}
