//! `fanout`: `--watchers` sockets receive every event, `--idle` more receive none; events are
//! triggered at `--rate` per second for `--seconds`; latency = event triggered → frame received,
//! per delivered frame. Against Rollcall (check-ins), the bare server (`--target bare`) or the
//! Socket.IO peer (`--target socketio`).

use crate::args::Args;
use crate::client::{open_many, Http, Ws};
use crate::stats::{latency_summary, rss_mb};
use crate::target::{Frame, Target};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;

pub async fn fanout(args: &Args) -> Value {
    let url = args.url();
    let watchers: usize = args.get("watchers", 1000);
    let idle: usize = args.get("idle", 0);
    let rate: f64 = args.get("rate", 20.0);
    let seconds: f64 = args.get("seconds", 30.0);
    let pid: Option<u32> = args.optional("pid");
    let http = Http::new(&url);
    // Two instances: sockets on `--url`, check-ins (or publishes) sent to `--publish-url`.
    let publish_http = Http::new(&args.text("publish-url", &url));
    let idle_from = 2 * (rate * seconds) as usize; // students not used by the check-ins
    let target = Arc::new(Target::from_args(args, &http, idle_from).await);

    let watcher_sockets = open_many(watchers, 256, |i| target.connect_watcher(&url, i)).await;
    let idle_sockets = open_many(idle, 256, |i| target.connect_idle(&url, i)).await;
    let connect_errors = watcher_sockets
        .iter()
        .chain(&idle_sockets)
        .filter(|s| s.is_err())
        .count();
    let tally = Arc::new(Tally::default());
    let readers: Vec<_> = watcher_sockets
        .into_iter()
        .flatten()
        .map(|ws| tokio::spawn(watch(ws, target.clone(), tally.clone())))
        .collect();
    let idlers: Vec<_> = idle_sockets
        .into_iter()
        .flatten()
        .map(|ws| tokio::spawn(stay_idle(ws, target.clone(), tally.clone())))
        .collect();

    let total = (rate * seconds).round() as usize;
    let (publish_errors, publish_seconds) =
        trigger_events(&target, &publish_http, &tally, total, rate).await;
    // Let the last frames arrive.
    let expected = (total * readers.len()) as u64;
    let drain_until = Instant::now() + Duration::from_secs(5);
    while tally.received.load(Ordering::Relaxed) < expected && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rss = rss_mb(pid);
    tally.stop.notify_waiters();
    for task in readers.into_iter().chain(idlers) {
        task.abort();
        let _ = task.await;
    }
    let delivered = tally.received.load(Ordering::Relaxed);
    let samples = std::mem::take(&mut *tally.samples.lock().unwrap());
    target.finish(&http).await;
    json!({
        "scenario": "fanout",
        "target": target.name(),
        "publish_url": publish_http.url,
        "watchers": watchers,
        "idle": idle,
        "rate_per_s": rate,
        "published": total,
        "publish_errors": publish_errors,
        "connect_errors": connect_errors,
        "frames_expected": expected,
        "frames_delivered": delivered,
        "frames_lost": expected.saturating_sub(delivered),
        "delivered_msgs_per_s": (delivered as f64 / publish_seconds).round(),
        "latency": latency_summary(samples),
        "server_rss_mb": rss,
    })
}

/// Shared by the publisher and every socket's task.
#[derive(Default)]
struct Tally {
    /// When each event (by key) was triggered.
    sent_at: Mutex<HashMap<i64, Instant>>,
    /// Milliseconds from trigger to arrival, per delivered frame.
    samples: Mutex<Vec<f64>>,
    /// Event frames delivered.
    received: AtomicU64,
    stop: Notify,
}

/// Triggers `total` events at `rate` per second and waits for their requests; returns how many
/// failed and the seconds it all took.
async fn trigger_events(
    target: &Target,
    http: &Http,
    tally: &Tally,
    total: usize,
    rate: f64,
) -> (usize, f64) {
    let interval = Duration::from_secs_f64(1.0 / rate);
    let errors = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut requests = Vec::new();
    for i in 0..total {
        tokio::time::sleep_until((started + interval * i as u32).into()).await;
        let (key, request) = target.trigger(http, i);
        tally.sent_at.lock().unwrap().insert(key, Instant::now());
        let errors = errors.clone();
        requests.push(tokio::spawn(async move {
            if !request.await {
                errors.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for request in requests {
        let _ = request.await;
    }
    (
        errors.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64(),
    )
}

/// A watcher: records each event frame's latency until stopped or closed.
async fn watch(mut ws: Ws, target: Arc<Target>, tally: Arc<Tally>) {
    let mut mine = Vec::new();
    loop {
        let key = tokio::select! {
            _ = tally.stop.notified() => break,
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(text))) => match target.recognise(&text) {
                    Frame::Event(key) => Some(key),
                    Frame::Ping(answer) => {
                        let _ = ws.send(Message::Text(answer.into())).await;
                        None
                    }
                    Frame::Other => None,
                },
                Some(Ok(_)) => None,
                _ => break,
            }
        };
        if let Some(key) = key {
            let now = Instant::now();
            if let Some(at) = tally.sent_at.lock().unwrap().get(&key) {
                mine.push(now.duration_since(*at).as_secs_f64() * 1000.0);
            }
            tally.received.fetch_add(1, Ordering::Relaxed);
        }
    }
    tally.samples.lock().unwrap().extend(mine);
}

/// An idle socket only answers heartbeats (whatever else arrives is read and dropped).
async fn stay_idle(mut ws: Ws, target: Arc<Target>, tally: Arc<Tally>) {
    let answer_heartbeats = async {
        while let Some(Ok(frame)) = ws.next().await {
            if let Message::Text(text) = frame {
                if let Frame::Ping(answer) = target.recognise(&text) {
                    let _ = ws.send(Message::Text(answer.into())).await;
                }
            }
        }
    };
    tokio::select! {
        _ = tally.stop.notified() => {}
        _ = answer_heartbeats => {}
    }
}
