//! `soak`: a school day squeezed into `--seconds` (3600), to see whether the server's memory
//! stays flat. Together, all the time:
//! - `--sockets` (1,000) students' sockets coming and going: each connects, stays 5–60 s,
//!   leaves and comes back;
//! - check-ins at `--rate` (20/s) into the "Lecture class", whose session the teacher closes
//!   (everyone else marked absent, their notifications written) and opens again every
//!   `--period` (60) seconds;
//! - a sign-in with a password and a sign-out every `--sign-in-every` (2) seconds.
//!
//! The server's RSS (`--pid`) is read every 10 s; the figure is the RSS at the end against the
//! RSS once `--warmup` (300) seconds have passed.

use crate::accounts::{self, Account};
use crate::args::Args;
use crate::client::{next_message, rollcall_client, Http};
use crate::stats::{round2, rss_mb};
use rollcall::protocol::Channel;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Counts {
    connects: AtomicUsize,
    connect_errors: AtomicUsize,
    check_ins: AtomicUsize,
    check_in_errors: AtomicUsize,
    sessions: AtomicUsize,
    sign_ins: AtomicUsize,
    sign_in_errors: AtomicUsize,
}

pub async fn soak(args: &Args) -> Value {
    let url = args.url();
    let seconds: f64 = args.get("seconds", 3600.0);
    let warmup: f64 = args.get("warmup", 300.0);
    let sockets: usize = args.get("sockets", 1000);
    let rate: f64 = args.get("rate", 20.0);
    let period: f64 = args.get("period", 60.0);
    let sign_in_every: f64 = args.get("sign-in-every", 2.0);
    let password = args.text("password", "load-password");
    let pid: Option<u32> = args.optional("pid");
    let (teacher, students) = accounts::load(args);
    let http = Arc::new(Http::new(&url));
    let counts = Arc::new(Counts::default());
    let started = Instant::now();
    let end = started + Duration::from_secs_f64(seconds);

    let mut tasks = Vec::new();
    for i in 0..sockets {
        let student = students[i % students.len()].clone();
        let (url, counts) = (url.clone(), counts.clone());
        tasks.push(tokio::spawn(come_and_go(url, student, i, end, counts)));
    }
    tasks.push(tokio::spawn(check_ins(
        http.clone(),
        teacher,
        students.clone(),
        rate,
        period,
        end,
        counts.clone(),
    )));
    tasks.push(tokio::spawn(sign_ins(
        http.clone(),
        students.len(),
        password,
        sign_in_every,
        end,
        counts.clone(),
    )));

    let mut samples = Vec::new();
    let mut after_warmup = None;
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let at = started.elapsed().as_secs_f64();
        let rss = rss_mb(pid);
        if after_warmup.is_none() && at >= warmup {
            after_warmup = rss;
        }
        samples.push(json!([at.round(), rss]));
    }
    for task in tasks {
        let _ = task.await;
    }
    let rss_end = rss_mb(pid);
    let change = match (after_warmup, rss_end) {
        (Some(a), Some(b)) if a > 0.0 => json!(round2((b - a) / a * 100.0)),
        _ => Value::Null,
    };
    let count = |c: &AtomicUsize| c.load(Ordering::Relaxed);
    json!({
        "scenario": "soak",
        "seconds": seconds,
        "warmup_seconds": warmup,
        "sockets": sockets,
        "socket_connects": count(&counts.connects),
        "socket_connect_errors": count(&counts.connect_errors),
        "check_ins": count(&counts.check_ins),
        "check_in_errors": count(&counts.check_in_errors),
        "sessions_opened": count(&counts.sessions),
        "sign_ins": count(&counts.sign_ins),
        "sign_in_errors": count(&counts.sign_in_errors),
        "server_rss_mb_after_warmup": after_warmup,
        "server_rss_mb_end": rss_end,
        "rss_change_percent": change,
        "rss_mb_every_10_s": samples,
    })
}

/// A pseudo-random duration in `[min, max)` seconds from `seed` (no RNG crate needed).
fn spread(seed: usize, min: f64, max: f64) -> Duration {
    let x = (seed.wrapping_mul(2_654_435_761) % 10_000) as f64 / 10_000.0;
    Duration::from_secs_f64(min + x * (max - min))
}

/// One student's phone: connects to their own channel, stays a while, leaves, comes back.
async fn come_and_go(url: String, student: Account, i: usize, end: Instant, counts: Arc<Counts>) {
    // Spread the first connections over the first ten seconds.
    tokio::time::sleep(spread(i, 0.0, 10.0)).await;
    let mut round = i;
    while Instant::now() < end {
        round += 7919;
        match rollcall_client(&url, &student.token, Channel::User(student.id)).await {
            Ok(mut ws) => {
                counts.connects.fetch_add(1, Ordering::Relaxed);
                let stay = tokio::time::Instant::now() + spread(round, 5.0, 60.0);
                let until = stay.min(end.into());
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep_until(until) => break,
                        message = next_message(&mut ws) => if message.is_none() { break },
                    }
                }
                let _ = ws.close(None).await;
            }
            Err(_) => {
                counts.connect_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        tokio::time::sleep(spread(round, 0.5, 5.0)).await;
    }
}

/// Check-ins into the lecture's session at `rate`; a new session every `period` seconds.
async fn check_ins(
    http: Arc<Http>,
    teacher: Account,
    students: Vec<Account>,
    rate: f64,
    period: f64,
    end: Instant,
    counts: Arc<Counts>,
) {
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let mut n = 0usize;
    while Instant::now() < end {
        let (session, code) = http.open_session_of(&teacher.token, "Lecture class").await;
        counts.sessions.fetch_add(1, Ordering::Relaxed);
        let until = (Instant::now() + Duration::from_secs_f64(period)).min(end);
        let mut next = Instant::now();
        while Instant::now() < until {
            tokio::time::sleep_until(next.into()).await;
            next += interval;
            // The lecture holds the first students of the load class.
            let student = &students[n % 500.min(students.len())];
            n += 1;
            let (http, token, code, counts) = (
                http.clone(),
                student.token.clone(),
                code.clone(),
                counts.clone(),
            );
            tokio::spawn(async move {
                let done = http.call(&token, "check_in", json!({ "code": code })).await;
                let counter = if done.is_ok() {
                    &counts.check_ins
                } else {
                    &counts.check_in_errors
                };
                counter.fetch_add(1, Ordering::Relaxed);
            });
        }
        http.close_session(&teacher.token, session).await;
    }
}

/// A student signs in with their password, then signs out, every `every` seconds.
async fn sign_ins(
    http: Arc<Http>,
    students: usize,
    password: String,
    every: f64,
    end: Instant,
    counts: Arc<Counts>,
) {
    let mut n = 0usize;
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_secs_f64(every)).await;
        n += 1;
        let username = format!("load{}", n % students.max(1) + 1);
        let body = json!({ "username": username, "password": password, "bearer": true });
        let signed_in = http
            .client
            .post(format!("{}/api/login", http.url))
            .json(&body)
            .send()
            .await;
        let token = match signed_in {
            Ok(response) if response.status().is_success() => response
                .json::<Value>()
                .await
                .ok()
                .and_then(|v| v["token"].as_str().map(str::to_string)),
            _ => None,
        };
        match token {
            Some(token) => {
                counts.sign_ins.fetch_add(1, Ordering::Relaxed);
                let _ = http.call(&token, "logout", json!({})).await;
            }
            None => {
                counts.sign_in_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
