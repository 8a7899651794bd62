//! `login-rush`: `--students` distinct students (`load1`, `load2`, … as `seed` creates them, with
//! `--password`) signing in with their passwords, spread evenly over `--seconds` (0: as fast as
//! possible), at most `--concurrency` in flight, all from this one address: the start of a
//! school day behind one NAT. Prints sign-ins/s, latency, answers by status and the server's
//! peak memory (`--pid`: VmHWM, the high-water mark of its resident memory since it started).

use crate::args::Args;
use crate::client::Http;
use crate::stats::{latency_summary, peak_rss_mb, round2, rss_mb};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

pub async fn login_rush(args: &Args) -> Value {
    let url = args.url();
    let students: usize = args.get("students", 1000);
    let seconds: f64 = args.get("seconds", 60.0);
    let concurrency: usize = args.get("concurrency", 64);
    let password = args.text("password", "load-password");
    let pid: Option<u32> = args.optional("pid");
    let http = Arc::new(Http::new(&url));
    let in_flight = Arc::new(Semaphore::new(concurrency.max(1)));
    let spacing = Duration::from_secs_f64(seconds / students.max(1) as f64);
    let started = Instant::now();
    let mut attempts = Vec::with_capacity(students);
    for n in 1..=students {
        // Arrivals on a schedule; a slot in flight is taken before the request is sent.
        tokio::time::sleep_until((started + spacing * (n as u32 - 1)).into()).await;
        let permit = in_flight.clone().acquire_owned().await.unwrap();
        let (http, password) = (http.clone(), password.clone());
        attempts.push(tokio::spawn(async move {
            let at = Instant::now();
            let answer = http
                .client
                .post(format!("{}/api/login", http.url))
                .json(&json!({ "username": format!("load{n}"), "password": password }))
                .send()
                .await;
            let status = match answer {
                Ok(response) => {
                    let status = response.status().as_u16().to_string();
                    let _ = response.bytes().await;
                    status
                }
                Err(_) => "connection error".to_string(),
            };
            drop(permit);
            (status, at.elapsed().as_secs_f64() * 1000.0)
        }));
    }
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    let mut samples = Vec::with_capacity(students);
    for attempt in attempts {
        if let Ok((status, ms)) = attempt.await {
            *by_status.entry(status).or_default() += 1;
            samples.push(ms);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let signed_in = by_status.get("200").copied().unwrap_or(0);
    json!({
        "scenario": "login-rush",
        "students": students,
        "concurrency": concurrency,
        "spread_over_seconds": seconds,
        "seconds": round2(elapsed),
        "signed_in": signed_in,
        "sign_ins_per_s": round2(signed_in as f64 / elapsed),
        "answers_by_status": by_status,
        "latency": latency_summary(samples),
        "server_rss_mb_end": rss_mb(pid),
        "server_peak_rss_mb": peak_rss_mb(pid),
    })
}
