//! `storm`: starts the server (`--server-bin`), connects `--clients` clients, restarts the
//! server with SIGTERM and times until every client is connected and subscribed again.

use crate::accounts;
use crate::args::Args;
use crate::client::{next_message, rollcall_client};
use crate::stats::round2;
use rollcall::protocol::Channel;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub async fn storm(args: &Args) -> Value {
    let url = args.url();
    let clients: usize = args.get("clients", 1000);
    let bin = args.text("server-bin", "target/release/rollcall");
    let (_, students) = accounts::load(args);
    let spawn_server = || {
        std::process::Command::new(&bin)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start the server (--server-bin, with DATABASE_URL and ROLLCALL_ADDR in the environment)")
    };
    let wait_healthy = |url: String| async move {
        let client = reqwest::Client::new();
        loop {
            if let Ok(response) = client.get(format!("{url}/healthz")).send().await {
                if response.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let mut server = spawn_server();
    wait_healthy(url.clone()).await;

    // Every client: stay connected; when the server goes away, retry at once (with a little
    // jitter, as the browser does after "server restarting") and resubscribe from its last seq.
    let caught_up = Arc::new(AtomicUsize::new(0));
    let generation = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..clients {
        let student = students[i % students.len()].clone();
        let (url, caught_up, generation) = (url.clone(), caught_up.clone(), generation.clone());
        tasks.push(tokio::spawn(async move {
            let mut seen_generation = usize::MAX;
            loop {
                match rollcall_client(&url, &student.token, Channel::User(student.id)).await {
                    Ok(mut ws) => {
                        let current = generation.load(Ordering::Acquire);
                        if current != seen_generation {
                            seen_generation = current;
                            caught_up.fetch_add(1, Ordering::AcqRel);
                        }
                        while next_message(&mut ws).await.is_some() {}
                    }
                    Err(_) => {
                        let jitter = (student.id as u64 * 7919) % 300;
                        tokio::time::sleep(Duration::from_millis(50 + jitter)).await;
                    }
                }
            }
        }));
    }
    while caught_up.load(Ordering::Acquire) < clients {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Restart: SIGTERM (clients get "server restarting"), start again, time until every client
    // is connected and subscribed again.
    generation.fetch_add(1, Ordering::AcqRel);
    caught_up.store(0, Ordering::Release);
    let started = Instant::now();
    sigterm(server.id());
    let _ = server.wait();
    let down_at = started.elapsed().as_secs_f64();
    server = spawn_server();
    wait_healthy(url.clone()).await;
    let up_at = started.elapsed().as_secs_f64();
    let deadline = Instant::now() + Duration::from_secs(120);
    while caught_up.load(Ordering::Acquire) < clients && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let all_back = started.elapsed().as_secs_f64();
    let back = caught_up.load(Ordering::Acquire);
    for task in tasks {
        task.abort();
    }
    sigterm(server.id());
    let _ = server.wait();
    json!({
        "scenario": "storm",
        "clients": clients,
        "reconnected": back,
        "server_stopped_after_s": round2(down_at),
        "server_healthy_after_s": round2(up_at),
        "all_caught_up_after_s": round2(all_back),
        "storm_seconds_after_healthy": round2(all_back - up_at),
    })
}

fn sigterm(pid: u32) {
    let _ = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
}
