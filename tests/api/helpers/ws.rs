//! A live-channel client speaking the protocol over a real socket.

use futures::{SinkExt, StreamExt};
use rollcall::protocol::{Channel, ClientMessage, Event, ServerMessage, StreamPosition};
use tokio_tungstenite::tungstenite::Message;

pub type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A live-channel client speaking the protocol over a real socket.
pub struct Ws {
    pub stream: WsStream,
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
        self.closed_with_reason().await.0
    }

    /// Waits for the close frame and returns its code and reason.
    pub async fn closed_with_reason(&mut self) -> (u16, String) {
        loop {
            match tokio::time::timeout(std::time::Duration::from_secs(10), self.stream.next())
                .await
                .expect("closed within 10 s")
            {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return (frame.code.into(), frame.reason.to_string())
                }
                Some(Ok(Message::Close(None))) | None => return (1005, String::new()),
                Some(Err(_)) => return (1006, String::new()),
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Still served: a subscribe to the user's own channel is answered.
    pub async fn still_open(&mut self, user_id: i64) {
        self.subscribe(Channel::User(user_id), None).await;
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
