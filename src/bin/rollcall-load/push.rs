//! `push`: Web Push at a school's size, against a push service in this process (the server
//! must accept it: `ROLLCALL_PUSH_SERVICES=127.0.0.1 ROLLCALL_PUSH_ALLOW_HTTP=true`).
//!
//! 1. Latency outside batching windows: `--events` check-ins held for review, one after
//!    another, each pushed to the teacher's phone; the time from sending the check-in to its
//!    push arriving here.
//! 2. Fan-out: `--devices` students (1,000 by default) subscribe; the teacher closes the
//!    session, which marks everyone absent; the time until every subscribed student's push
//!    has arrived.
//!
//! Every push is decrypted with the device's keys, so each one counted is a real push.

use crate::accounts;
use crate::args::Args;
use crate::client::Http;
use crate::stats::{latency_summary, round2};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use web_push_native::p256::SecretKey;
use web_push_native::Auth;

#[derive(Default)]
struct Service {
    keys: HashMap<usize, (SecretKey, Auth)>,
    /// Arrival times per device, decrypted.
    arrivals: HashMap<usize, Vec<Instant>>,
    undecryptable: usize,
}

type Shared = Arc<Mutex<Service>>;

async fn receive(
    State(service): State<Shared>,
    Path(device): Path<usize>,
    body: axum::body::Bytes,
) -> StatusCode {
    let at = Instant::now();
    let mut service = service.lock().unwrap();
    let Some((secret, auth)) = service.keys.get(&device) else {
        return StatusCode::GONE;
    };
    match web_push_native::decrypt(body.to_vec(), secret, auth) {
        Ok(_) => service.arrivals.entry(device).or_default().push(at),
        Err(_) => service.undecryptable += 1,
    }
    StatusCode::CREATED
}

/// Makes device `n`'s keys and returns its subscription body.
fn subscription(service: &Shared, base: &str, n: usize) -> Value {
    let secret = SecretKey::from_slice(&rollcall::server::crypto::random_bytes::<32>()).unwrap();
    let auth = rollcall::server::crypto::random_bytes::<16>();
    let body = json!({
        "endpoint": format!("{base}/push/{n}"),
        "p256dh": Base64UrlUnpadded::encode_string(&secret.public_key().to_sec1_bytes()),
        "auth": Base64UrlUnpadded::encode_string(&auth),
    });
    service
        .lock()
        .unwrap()
        .keys
        .insert(n, (secret, Auth::clone_from_slice(&auth)));
    body
}

fn arrived(service: &Shared, device: usize) -> usize {
    service
        .lock()
        .unwrap()
        .arrivals
        .get(&device)
        .map_or(0, Vec::len)
}

pub async fn push(args: &Args) -> Value {
    let url = args.url();
    let devices: usize = args.get("devices", 1000);
    let events: usize = args.get("events", 100);
    let http = Arc::new(Http::new(&url));
    let (teacher, students) = accounts::load(args);
    assert!(students.len() > devices + events, "seed more students");

    let service: Shared = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/push/{device}", axum::routing::post(receive))
        .with_state(service.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // The teacher's phone is device 0; students' are 1..=devices.
    let teacher_phone = subscription(&service, &base, 0);
    http.call(&teacher.token, "save_push_subscription", teacher_phone)
        .await
        .expect("the server accepts the test push service (ROLLCALL_PUSH_SERVICES)");
    for (n, student) in students.iter().take(devices).enumerate() {
        let body = subscription(&service, &base, n + 1);
        http.call(&student.token, "save_push_subscription", body)
            .await
            .expect("save_push_subscription");
    }

    // 1. One held check-in at a time: check-in sent → push at the teacher's phone.
    let (session, code) = http.open_load_session(&teacher.token).await;
    let rules = json!({ "session_id": session,
                        "rules": { "network": "review", "networks": ["10.20.0.0/16"] } });
    http.call(&teacher.token, "set_session_check_in_rules", rules)
        .await
        .expect("rules");
    let mut latencies = Vec::new();
    for student in students.iter().skip(devices).take(events) {
        let before = arrived(&service, 0);
        let sent = Instant::now();
        let answer = http
            .call(&student.token, "check_in", json!({ "code": code }))
            .await
            .expect("check_in");
        assert!(answer["held"].is_object(), "held: {answer}");
        let deadline = sent + Duration::from_secs(30);
        while arrived(&service, 0) == before && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let arrival = service.lock().unwrap().arrivals[&0].last().copied();
        if let Some(at) = arrival.filter(|_| arrived(&service, 0) > before) {
            latencies.push(at.duration_since(sent).as_secs_f64() * 1000.0);
        }
    }

    // 2. The close marks every student absent; each subscribed one gets a push.
    let closed = Instant::now();
    http.close_session(&teacher.token, session).await;
    let close_ms = closed.elapsed().as_secs_f64() * 1000.0;
    let deadline = closed + Duration::from_secs(300);
    let all = |service: &Shared| (1..=devices).all(|n| arrived(service, n) > 0);
    while !all(&service) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let service = service.lock().unwrap();
    let mut fan_out: Vec<f64> = (1..=devices)
        .filter_map(|n| service.arrivals.get(&n)?.first().copied())
        .map(|at| at.duration_since(closed).as_secs_f64() * 1000.0)
        .collect();
    fan_out.sort_by(f64::total_cmp);
    json!({
        "scenario": "push",
        "held_check_ins": events,
        "held_pushed": latencies.len(),
        "event_to_push_ms": latency_summary(latencies),
        "devices": devices,
        "devices_pushed": fan_out.len(),
        "close_request_ms": round2(close_ms),
        "all_pushed_s": fan_out.last().map(|ms| round2(ms / 1000.0)),
        "fan_out_ms": latency_summary(fan_out),
        "undecryptable": service.undecryptable,
    })
}
