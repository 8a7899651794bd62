//! The application-level heartbeat of one connection, as a pure state machine: the caller says
//! what time it is and sends whatever it is told to. No I/O, no clock of its own.

use crate::protocol::ServerMessage;
use std::time::Duration;
use tokio::time::Instant;

/// What to do when the heartbeat ticker fires.
#[derive(Debug, PartialEq)]
pub enum Tick {
    /// Send this ping (a fresh one, or the unanswered one again).
    Ping(ServerMessage),
    /// A ping has been unanswered for more than two heartbeats: close the connection.
    TimedOut,
}

#[derive(Debug)]
pub struct Heartbeat {
    interval: Duration,
    /// The last nonce handed out.
    nonce: u64,
    /// The ping awaiting its pong: nonce and when it was sent.
    pending: Option<(u64, Instant)>,
    /// The last measured round trip, reported in every ping.
    last_rtt: Option<u32>,
}

impl Heartbeat {
    pub fn new(interval: Duration) -> Heartbeat {
        Heartbeat {
            interval,
            nonce: 0,
            pending: None,
            last_rtt: None,
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// When the first ping is due: soon, so latency is known early.
    pub fn first_ping_at(&self, connected: Instant) -> Instant {
        connected + self.interval.min(Duration::from_millis(500))
    }

    pub fn last_rtt(&self) -> Option<u32> {
        self.last_rtt
    }

    /// The ticker fired: ping (again, if the last one is still unanswered) or give up.
    pub fn on_tick(&mut self, now: Instant) -> Tick {
        if let Some((_, sent)) = self.pending {
            if now.saturating_duration_since(sent) > self.interval * 2 {
                return Tick::TimedOut;
            }
        }
        let (nonce, _) = *self.pending.get_or_insert_with(|| {
            self.nonce += 2; // the answer to the first pong uses nonce + 1
            (self.nonce, now)
        });
        Tick::Ping(ServerMessage::Ping {
            nonce,
            rtt_ms: self.last_rtt,
        })
    }

    /// A pong arrived. After the first measured round trip, returns a ping to send at once
    /// (nonce + 1) so the client can show its latency right after connecting instead of a
    /// heartbeat later. Pongs that answer no pending ping are ignored.
    pub fn on_pong(&mut self, nonce: u64, now: Instant) -> Option<ServerMessage> {
        let (expected, sent) = self.pending?;
        if expected != nonce {
            return None;
        }
        let first = self.last_rtt.is_none();
        let rtt = now.saturating_duration_since(sent).as_millis();
        self.last_rtt = Some(rtt.min(u32::MAX as u128) as u32);
        self.pending = None;
        if !first {
            return None;
        }
        self.pending = Some((nonce + 1, now));
        Some(ServerMessage::Ping {
            nonce: nonce + 1,
            rtt_ms: self.last_rtt,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEAT: Duration = Duration::from_millis(1000);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn ping_nonce(tick: Tick) -> (u64, Option<u32>) {
        match tick {
            Tick::Ping(ServerMessage::Ping { nonce, rtt_ms }) => (nonce, rtt_ms),
            other => panic!("expected a ping, got {other:?}"),
        }
    }

    #[test]
    fn the_first_ping_is_due_soon() {
        let t0 = Instant::now();
        assert_eq!(Heartbeat::new(BEAT).first_ping_at(t0), t0 + ms(500));
        assert_eq!(Heartbeat::new(ms(100)).first_ping_at(t0), t0 + ms(100));
    }

    #[test]
    fn an_unanswered_ping_is_repeated_then_times_out_after_two_heartbeats() {
        let t0 = Instant::now();
        let mut heartbeat = Heartbeat::new(BEAT);
        let (nonce, rtt) = ping_nonce(heartbeat.on_tick(t0));
        assert_eq!(rtt, None);
        // Still pending: the same nonce again, up to two heartbeats.
        assert_eq!(ping_nonce(heartbeat.on_tick(t0 + BEAT)).0, nonce);
        assert_eq!(ping_nonce(heartbeat.on_tick(t0 + BEAT * 2)).0, nonce);
        assert_eq!(heartbeat.on_tick(t0 + BEAT * 2 + ms(1)), Tick::TimedOut);
    }

    #[test]
    fn the_first_pong_gets_an_immediate_ping_with_the_round_trip() {
        let t0 = Instant::now();
        let mut heartbeat = Heartbeat::new(BEAT);
        let (nonce, _) = ping_nonce(heartbeat.on_tick(t0));
        let answer = heartbeat.on_pong(nonce, t0 + ms(30));
        assert_eq!(
            answer,
            Some(ServerMessage::Ping {
                nonce: nonce + 1,
                rtt_ms: Some(30)
            })
        );
        assert_eq!(heartbeat.last_rtt(), Some(30));
        // Later pongs measure again but get no immediate ping.
        assert_eq!(heartbeat.on_pong(nonce + 1, t0 + ms(42)), None);
        assert_eq!(heartbeat.last_rtt(), Some(12));
        let (next, rtt) = ping_nonce(heartbeat.on_tick(t0 + BEAT));
        assert!(next > nonce + 1, "nonces never repeat: {next}");
        assert_eq!(rtt, Some(12));
        assert_eq!(heartbeat.on_pong(next, t0 + BEAT + ms(5)), None);
        assert_eq!(heartbeat.last_rtt(), Some(5));
    }

    #[test]
    fn answered_pings_never_time_out() {
        let t0 = Instant::now();
        let mut heartbeat = Heartbeat::new(BEAT);
        for beat in 0..10 {
            let now = t0 + BEAT * beat;
            let (nonce, _) = ping_nonce(heartbeat.on_tick(now));
            heartbeat.on_pong(nonce, now + ms(10));
            if beat == 0 {
                heartbeat.on_pong(nonce + 1, now + ms(20));
            }
        }
        assert!(matches!(heartbeat.on_tick(t0 + BEAT * 10), Tick::Ping(_)));
    }

    #[test]
    fn stray_and_unexpected_pongs_are_ignored() {
        let t0 = Instant::now();
        let mut heartbeat = Heartbeat::new(BEAT);
        assert_eq!(heartbeat.on_pong(2, t0), None); // nothing pending
        let (nonce, _) = ping_nonce(heartbeat.on_tick(t0));
        assert_eq!(heartbeat.on_pong(nonce + 7, t0 + ms(5)), None);
        assert_eq!(heartbeat.last_rtt(), None);
        // The pending ping is still the one that counts for the timeout.
        assert_eq!(heartbeat.on_tick(t0 + BEAT * 3), Tick::TimedOut);
    }
}
