//! `checkins`: `--concurrency` HTTP clients checking students in for `--seconds`; each student
//! twice, so the second check-in exercises idempotency ("already marked").

use crate::accounts;
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
    let http = Arc::new(Http::new(&url));
    let (teacher, students) = accounts::load(args);
    let (session, code) = http.open_load_session(&teacher.token).await;
    // Each student is used twice: the second check-in exercises idempotency.
    let next = Arc::new(AtomicUsize::new(0));
    let samples: Arc<Mutex<Vec<f64>>> = Arc::default();
    let errors = Arc::new(AtomicUsize::new(0));
    let repeats = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, students, code, next, samples, errors, repeats) = (
            http.clone(),
            students.clone(),
            code.clone(),
            next.clone(),
            samples.clone(),
            errors.clone(),
            repeats.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let student = &students[(i / 2) % students.len()];
                let at = Instant::now();
                match http
                    .call(&student.token, "check_in", json!({ "code": code }))
                    .await
                {
                    Ok(receipt) => {
                        mine.push(at.elapsed().as_secs_f64() * 1000.0);
                        if receipt["already_marked"] == true {
                            repeats.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            samples.lock().unwrap().extend(mine);
        }));
    }
    for worker in workers {
        let _ = worker.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let samples = std::mem::take(&mut *samples.lock().unwrap());
    http.close_session(&teacher.token, session).await;
    json!({
        "scenario": "checkins",
        "concurrency": concurrency,
        "seconds": (elapsed * 10.0).round() / 10.0,
        "check_ins": samples.len(),
        "repeats_answered_idempotently": repeats.load(Ordering::Relaxed),
        "errors": errors.load(Ordering::Relaxed),
        "per_second": (samples.len() as f64 / elapsed).round(),
        "latency": latency_summary(samples),
    })
}
