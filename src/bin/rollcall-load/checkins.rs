//! `checkins`: students checking in over HTTP for `--seconds`; each student twice, so the second
//! check-in exercises idempotency ("already marked"). Either `--concurrency` clients as fast as
//! the server answers (closed loop: the throughput), or `--rate` check-ins a second sent on a
//! schedule whatever the answers (open loop: the latency at that load).

use crate::accounts::{self, Account};
use crate::args::Args;
use crate::client::Http;
use crate::stats::latency_summary;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub async fn checkins(args: &Args) -> Value {
    let url = args.url();
    let seconds: f64 = args.get("seconds", 20.0);
    let concurrency: usize = args.get("concurrency", 64);
    let rate: f64 = args.get("rate", 0.0);
    let http = Arc::new(Http::new(&url));
    let (teacher, students) = accounts::load(args);
    let (session, code) = http.open_load_session(&teacher.token).await;
    let run = Arc::new(Run {
        http: http.clone(),
        students,
        code,
        samples: Mutex::default(),
        errors: AtomicUsize::new(0),
        repeats: AtomicUsize::new(0),
    });
    let started = Instant::now();
    if rate > 0.0 {
        open_loop(&run, rate, seconds).await;
    } else {
        closed_loop(&run, concurrency, seconds).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let samples = std::mem::take(&mut *run.samples.lock().unwrap());
    http.close_session(&teacher.token, session).await;
    json!({
        "scenario": "checkins",
        "concurrency": if rate > 0.0 { Value::Null } else { json!(concurrency) },
        "rate_per_s": if rate > 0.0 { json!(rate) } else { Value::Null },
        "seconds": (elapsed * 10.0).round() / 10.0,
        "check_ins": samples.len(),
        "repeats_answered_idempotently": run.repeats.load(Ordering::Relaxed),
        "errors": run.errors.load(Ordering::Relaxed),
        "per_second": (samples.len() as f64 / elapsed).round(),
        "latency": latency_summary(samples),
    })
}

/// What every request of a run shares.
struct Run {
    http: Arc<Http>,
    students: Vec<Account>,
    code: String,
    samples: Mutex<Vec<f64>>,
    errors: AtomicUsize,
    repeats: AtomicUsize,
}

impl Run {
    /// Check-in number `i` (students in order, each twice); records its latency or its error.
    async fn check_in(&self, i: usize) -> Option<f64> {
        let student = &self.students[(i / 2) % self.students.len()];
        let at = Instant::now();
        let answer = self
            .http
            .call(&student.token, "check_in", json!({ "code": self.code }))
            .await;
        match answer {
            Ok(receipt) => {
                if receipt["already_marked"] == true {
                    self.repeats.fetch_add(1, Ordering::Relaxed);
                }
                Some(at.elapsed().as_secs_f64() * 1000.0)
            }
            Err(_) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }
}

/// `concurrency` clients, each sending its next check-in as soon as the last is answered.
async fn closed_loop(run: &Arc<Run>, concurrency: usize, seconds: f64) {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (run, next) = (run.clone(), next.clone());
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    mine.extend(run.check_in(i).await);
                }
                run.samples.lock().unwrap().extend(mine);
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
}

/// `rate` check-ins a second on a fixed schedule, however long each takes to be answered.
async fn open_loop(run: &Arc<Run>, rate: f64, seconds: f64) {
    let interval = Duration::from_secs_f64(1.0 / rate);
    let started = Instant::now();
    let mut requests = Vec::new();
    for i in 0..(rate * seconds).round() as usize {
        tokio::time::sleep_until((started + interval * i as u32).into()).await;
        let run = run.clone();
        requests.push(tokio::spawn(async move {
            if let Some(ms) = run.check_in(i).await {
                run.samples.lock().unwrap().push(ms);
            }
        }));
    }
    for request in requests {
        let _ = request.await;
    }
}
