//! `hold`: `--clients` authenticated sockets, each subscribed to its own channel and answering
//! heartbeats, held for `--seconds`; the server's RSS (`--pid`) before, while held and after.

use crate::accounts;
use crate::args::Args;
use crate::client::{next_message, open_many, rollcall_client};
use crate::stats::{round2, rss_mb};
use rollcall::protocol::Channel;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub async fn hold(args: &Args) -> Value {
    let url = args.url();
    let clients: usize = args.get("clients", 1000);
    let seconds: u64 = args.get("seconds", 60);
    let pid: Option<u32> = args.optional("pid");
    let (_, students) = accounts::load(args);
    let rss_before = rss_mb(pid);
    let started = Instant::now();
    let sockets = open_many(clients, 256, |i| {
        let student = students[i % students.len()].clone();
        let url = url.clone();
        async move { rollcall_client(&url, &student.token, Channel::User(student.id)).await }
    })
    .await;
    let connect_seconds = started.elapsed().as_secs_f64();
    let errors = sockets.iter().filter(|s| s.is_err()).count();
    let dropped = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for mut ws in sockets.into_iter().flatten() {
        let dropped = dropped.clone();
        tasks.push(tokio::spawn(async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline) => return,
                    message = next_message(&mut ws) => if message.is_none() {
                        dropped.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds.min(5))).await;
    let rss_held = rss_mb(pid);
    for task in tasks {
        let _ = task.await;
    }
    let rss_after = rss_mb(pid);
    json!({
        "scenario": "hold",
        "clients": clients,
        "connected": clients - errors,
        "connect_errors": errors,
        "connect_seconds": round2(connect_seconds),
        "held_seconds": seconds,
        "dropped": dropped.load(Ordering::Relaxed),
        "server_rss_mb_before": rss_before,
        "server_rss_mb_held": rss_held,
        "server_rss_mb_end": rss_after,
        "rss_kb_per_client": match (rss_before, rss_held) {
            (Some(before), Some(held)) => json!(((held - before) * 1024.0 / clients as f64).round()),
            _ => Value::Null,
        },
    })
}
