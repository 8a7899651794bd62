//! rollcall-load: drives a running Rollcall server over real sockets and HTTP, like many real
//! clients, and prints one JSON line of figures per scenario. See docs/benchmarks.md.
//!
//!   rollcall-load seed     --students 10000 [--tokens load-tokens.txt]        (uses DATABASE_URL)
//!   rollcall-load hold     --url http://127.0.0.1:3000 --clients 10000 --seconds 600 [--pid P]
//!   rollcall-load fanout   --url … --watchers 1000 --idle 9000 --rate 20 --seconds 30 [--target bare]
//!   rollcall-load checkins --url … --rate 0 --seconds 20 --concurrency 64
//!   rollcall-load storm    --url … --clients 10000 --server-bin target/release/rollcall

use futures::{SinkExt, StreamExt};
use rollcall::protocol::{Channel, ClientMessage, ServerMessage};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite as tungstenite;
use tungstenite::tungstenite::client::IntoClientRequest;
use tungstenite::tungstenite::protocol::WebSocketConfig;
use tungstenite::tungstenite::Message;

type Ws = tungstenite::WebSocketStream<tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Args(HashMap<String, String>);

impl Args {
    fn parse(args: &[String]) -> Args {
        let mut map = HashMap::new();
        let mut iter = args.iter();
        while let Some(key) = iter.next() {
            if let Some(key) = key.strip_prefix("--") {
                map.insert(key.to_string(), iter.next().cloned().unwrap_or_default());
            }
        }
        Args(map)
    }
    fn get<T: std::str::FromStr>(&self, key: &str, default: T) -> T {
        self.0
            .get(key)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }
    fn text(&self, key: &str, default: &str) -> String {
        self.0
            .get(key)
            .cloned()
            .unwrap_or_else(|| default.to_string())
    }
}

/// One line of the tokens file written by `seed`: role, user id, bearer token.
#[derive(Clone)]
struct Account {
    role: String,
    id: i64,
    token: String,
}

fn read_tokens(path: &str) -> Vec<Account> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {path}: {e} (run `rollcall-load seed` first)"))
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            Some(Account {
                role: parts.next()?.to_string(),
                id: parts.next()?.parse().ok()?,
                token: parts.next()?.to_string(),
            })
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let scenario = argv.get(1).cloned().unwrap_or_default();
    let args = Args::parse(&argv[2.min(argv.len())..]);
    let result = match scenario.as_str() {
        "seed" => seed(&args).await,
        "hold" => hold(&args).await,
        "fanout" => fanout(&args).await,
        "checkins" => checkins(&args).await,
        "storm" => storm(&args).await,
        _ => {
            eprintln!("usage: rollcall-load seed|hold|fanout|checkins|storm [--option value …] (see docs/benchmarks.md)");
            std::process::exit(2);
        }
    };
    println!("{result}");
}

// ---------------------------------------------------------------- seed

async fn seed(args: &Args) -> Value {
    use rollcall::domain::{Role, Username};
    use rollcall::server::auth::{hash_password, random_token, token_hash};
    use rollcall::server::store::Store;
    let students: usize = args.get("students", 10_000);
    let path = args.text("tokens", "load-tokens.txt");
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite:rollcall-load.db".into());
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let store = Store::open(&url, tx).await.expect("database");
    let now = rollcall::server::now_ms();
    // One argon2 hash shared by every load account: hashing 10,000 passwords would take minutes
    // and the harness signs in with the tokens below, not passwords.
    let hash = hash_password("load-password");
    let mut lines = Vec::new();
    let mut session = |role: &str, id: i64| {
        let token = random_token(32);
        lines.push(format!("{role} {id} {token}"));
        token_hash(&token)
    };
    let teacher = store
        .create_user(
            &Username::parse("loadteacher").unwrap(),
            "Load Teacher",
            Role::Teacher,
            &hash,
            now,
        )
        .await
        .expect("a fresh database (drop the old one to reseed)");
    let teacher_hash = session("teacher", teacher);
    let mut ids = Vec::with_capacity(students);
    for n in 1..=students {
        let id = store
            .create_user(
                &Username::parse(&format!("load{n}")).unwrap(),
                &format!("Load Student {n}"),
                Role::Student,
                &hash,
                now,
            )
            .await
            .unwrap();
        ids.push(id);
    }
    store
        .create_class("Load class", teacher, &ids)
        .await
        .unwrap();
    let far = now + 30 * 24 * 3_600_000;
    store
        .create_auth_session(&teacher_hash, teacher, now, far)
        .await
        .unwrap();
    for &id in &ids {
        let hash = session("student", id);
        store
            .create_auth_session(&hash, id, now, far)
            .await
            .unwrap();
    }
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    json!({ "scenario": "seed", "students": students, "tokens": path, "database": url })
}

// ---------------------------------------------------------------- shared client pieces

fn ws_config() -> WebSocketConfig {
    // Small buffers: this process holds thousands of sockets too.
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
}

async fn connect(url: &str, path: &str, token: Option<&str>) -> Result<Ws, String> {
    let ws_url = url.replacen("http", "ws", 1) + path;
    let mut request = ws_url.into_client_request().map_err(|e| e.to_string())?;
    if let Some(token) = token {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    let (ws, _) = tungstenite::connect_async_with_config(request, Some(ws_config()), false)
        .await
        .map_err(|e| e.to_string())?;
    Ok(ws)
}

async fn send(ws: &mut Ws, message: &ClientMessage) -> bool {
    ws.send(Message::Text(
        serde_json::to_string(message).unwrap().into(),
    ))
    .await
    .is_ok()
}

/// Connects a Rollcall client and subscribes; returns once `subscribed` arrived.
async fn rollcall_client(url: &str, token: &str, channel: Channel) -> Result<Ws, String> {
    let mut ws = connect(url, "/ws", Some(token)).await?;
    send(
        &mut ws,
        &ClientMessage::Subscribe {
            channel,
            since: None,
        },
    )
    .await;
    loop {
        match next_message(&mut ws).await {
            Some(ServerMessage::Subscribed { .. }) => return Ok(ws),
            Some(ServerMessage::Error { message, .. }) => return Err(message),
            Some(_) => continue,
            None => return Err("closed before subscribing".into()),
        }
    }
}

/// The next protocol message, answering heartbeats on the way.
async fn next_message(ws: &mut Ws) -> Option<ServerMessage> {
    loop {
        match ws.next().await? {
            Ok(Message::Text(text)) => match serde_json::from_str::<ServerMessage>(&text) {
                Ok(ServerMessage::Ping { nonce, .. }) => {
                    send(ws, &ClientMessage::Pong { nonce }).await;
                }
                Ok(message) => return Some(message),
                Err(_) => continue,
            },
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

/// Opens connections with bounded concurrency; returns them in order.
async fn open_many<F, Fut>(count: usize, parallel: usize, make: F) -> Vec<Result<Ws, String>>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<Ws, String>>,
{
    futures::stream::iter((0..count).map(make))
        .buffered(parallel)
        .collect()
        .await
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn latency_summary(mut samples: Vec<f64>) -> Value {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let round = |v: f64| (v * 100.0).round() / 100.0;
    json!({
        "p50_ms": round(percentile(&samples, 50.0)),
        "p95_ms": round(percentile(&samples, 95.0)),
        "p99_ms": round(percentile(&samples, 99.0)),
        "max_ms": round(samples.last().copied().unwrap_or(f64::NAN)),
    })
}

fn rss_mb(pid: Option<u32>) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}

struct Http {
    client: reqwest::Client,
    url: String,
}

impl Http {
    fn new(url: &str) -> Http {
        Http {
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .build()
                .unwrap(),
            url: url.to_string(),
        }
    }

    async fn call(&self, token: &str, function: &str, body: Value) -> Result<Value, String> {
        let response = self
            .client
            .post(format!("{}/api/{function}", self.url))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let value: Value = response.json().await.map_err(|e| e.to_string())?;
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!("{status}: {value}"))
        }
    }

    /// Opens (or finds) the load class's session; returns (session id, join code).
    async fn open_load_session(&self, teacher: &str) -> (i64, String) {
        let classes = self
            .call(teacher, "my_classes", json!({}))
            .await
            .expect("my_classes");
        let class = classes
            .as_array()
            .and_then(|c| c.iter().find(|c| c["name"] == "Load class"))
            .expect("the load class (run `rollcall-load seed`)");
        let session = self
            .call(
                teacher,
                "open_session",
                json!({ "class_id": class["id"], "late_after_minutes": 240 }),
            )
            .await
            .expect("open_session");
        let view = self
            .call(
                teacher,
                "session_dashboard",
                json!({ "session_id": session }),
            )
            .await
            .expect("session_dashboard");
        (
            session.as_i64().unwrap(),
            view["session"]["join_code"].as_str().unwrap().to_string(),
        )
    }
}

impl Http {
    /// Ends the scenario's session so the next scenario starts with nobody checked in.
    async fn close_session(&self, teacher: &str, session: i64) {
        let _ = self
            .call(teacher, "close_session", json!({ "session_id": session }))
            .await;
    }
}

fn split_accounts(accounts: &[Account]) -> (Account, Vec<Account>) {
    let teacher = accounts
        .iter()
        .find(|a| a.role == "teacher")
        .expect("a teacher token")
        .clone();
    let students = accounts
        .iter()
        .filter(|a| a.role == "student")
        .cloned()
        .collect();
    (teacher, students)
}

// ---------------------------------------------------------------- hold

async fn hold(args: &Args) -> Value {
    let url = args.text("url", "http://127.0.0.1:3000");
    let clients: usize = args.get("clients", 1000);
    let seconds: u64 = args.get("seconds", 60);
    let pid: Option<u32> = args.0.get("pid").and_then(|p| p.parse().ok());
    let (_, students) = split_accounts(&read_tokens(&args.text("tokens", "load-tokens.txt")));
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
        "connect_seconds": (connect_seconds * 100.0).round() / 100.0,
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

// ---------------------------------------------------------------- fanout

async fn fanout(args: &Args) -> Value {
    let url = args.text("url", "http://127.0.0.1:3000");
    let watchers: usize = args.get("watchers", 1000);
    let idle: usize = args.get("idle", 0);
    let rate: f64 = args.get("rate", 20.0);
    let seconds: f64 = args.get("seconds", 30.0);
    let bare = args.text("target", "rollcall") == "bare";
    let pid: Option<u32> = args.0.get("pid").and_then(|p| p.parse().ok());
    let http = Http::new(&url);

    // What to publish and how to recognise it on arrival: Rollcall check-ins (keyed by
    // student) or bare broadcasts (keyed by a counter).
    let (teacher, students) = if bare {
        (
            Account {
                role: "teacher".into(),
                id: 0,
                token: String::new(),
            },
            Vec::new(),
        )
    } else {
        split_accounts(&read_tokens(&args.text("tokens", "load-tokens.txt")))
    };
    let (session, code) = if bare {
        (0, String::new())
    } else {
        http.open_load_session(&teacher.token).await
    };

    let connect_watcher = |i: usize| {
        let url = url.clone();
        let teacher = teacher.token.clone();
        async move {
            if bare {
                connect(&url, "/ws", None).await
            } else {
                rollcall_client(&url, &teacher, Channel::Session(session))
                    .await
                    .map_err(|e| format!("watcher {i}: {e}"))
            }
        }
    };
    let watcher_sockets = open_many(watchers, 256, connect_watcher).await;
    let idle_sockets = if bare {
        open_many(idle, 256, |_| {
            let url = url.clone();
            async move { connect(&url, "/ws", None).await }
        })
        .await
    } else {
        let offset = 2 * (rate * seconds) as usize; // students not used by the check-ins
        open_many(idle, 256, |i| {
            let url = url.clone();
            let student = students[(offset + i) % students.len()].clone();
            async move { rollcall_client(&url, &student.token, Channel::User(student.id)).await }
        })
        .await
    };
    let connect_errors = watcher_sockets
        .iter()
        .chain(&idle_sockets)
        .filter(|s| s.is_err())
        .count();
    let sent_at: Arc<Mutex<HashMap<i64, Instant>>> = Arc::default();
    let samples: Arc<Mutex<Vec<f64>>> = Arc::default();
    let received = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(tokio::sync::Notify::new());

    let mut readers = Vec::new();
    for mut ws in watcher_sockets.into_iter().flatten() {
        let (sent_at, samples, received, stop) = (
            sent_at.clone(),
            samples.clone(),
            received.clone(),
            stop.clone(),
        );
        readers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let key = tokio::select! {
                    _ = stop.notified() => break,
                    frame = ws.next() => match frame {
                        Some(Ok(Message::Text(text))) if bare => text.parse::<i64>().ok(),
                        // As little parsing as for the bare server's frames: find the key.
                        Some(Ok(Message::Text(text))) if text.contains("\"attendance_changed\"") => {
                            student_id_in(&text)
                        }
                        Some(Ok(Message::Text(text))) => {
                            if let Ok(ServerMessage::Ping { nonce, .. }) = serde_json::from_str::<ServerMessage>(&text) {
                                send(&mut ws, &ClientMessage::Pong { nonce }).await;
                            }
                            None
                        }
                        Some(Ok(_)) => None,
                        _ => break,
                    }
                };
                if let Some(key) = key {
                    let now = Instant::now();
                    if let Some(at) = sent_at.lock().unwrap().get(&key) {
                        mine.push(now.duration_since(*at).as_secs_f64() * 1000.0);
                    }
                    received.fetch_add(1, Ordering::Relaxed);
                }
            }
            samples.lock().unwrap().extend(mine);
        }));
    }
    // Idle sockets only answer heartbeats.
    let mut idlers = Vec::new();
    for mut ws in idle_sockets.into_iter().flatten() {
        let stop = stop.clone();
        idlers.push(tokio::spawn(async move {
            tokio::select! {
                _ = stop.notified() => {}
                _ = async { while next_message(&mut ws).await.is_some() {} } => {}
            }
        }));
    }

    // Publish at the rate.
    let total = (rate * seconds).round() as usize;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let publish_errors = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut publishes = Vec::new();
    for i in 0..total {
        tokio::time::sleep_until((started + interval * i as u32).into()).await;
        let (key, token) = if bare {
            (i as i64, String::new())
        } else {
            (
                students[i % students.len()].id,
                students[i % students.len()].token.clone(),
            )
        };
        sent_at.lock().unwrap().insert(key, Instant::now());
        let (client, url, code, errors) = (
            http.client.clone(),
            url.clone(),
            code.clone(),
            publish_errors.clone(),
        );
        publishes.push(tokio::spawn(async move {
            let result = if bare {
                client
                    .post(format!("{url}/publish"))
                    .body(key.to_string())
                    .send()
                    .await
                    .map(|r| r.status().is_success())
            } else {
                client
                    .post(format!("{url}/api/check_in"))
                    .bearer_auth(token)
                    .json(&json!({ "code": code }))
                    .send()
                    .await
                    .map(|r| r.status().is_success())
            };
            if !matches!(result, Ok(true)) {
                errors.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for publish in publishes {
        let _ = publish.await;
    }
    let publish_seconds = started.elapsed().as_secs_f64();
    // Let the last frames arrive.
    let expected = (total * readers.len()) as u64;
    let drain_until = Instant::now() + Duration::from_secs(5);
    while received.load(Ordering::Relaxed) < expected && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rss = rss_mb(pid);
    stop.notify_waiters();
    for task in readers.into_iter().chain(idlers) {
        task.abort();
        let _ = task.await;
    }
    let delivered = received.load(Ordering::Relaxed);
    let samples = std::mem::take(&mut *samples.lock().unwrap());
    if !bare {
        http.close_session(&teacher.token, session).await;
    }
    json!({
        "scenario": "fanout",
        "target": if bare { "bare" } else { "rollcall" },
        "watchers": watchers,
        "idle": idle,
        "rate_per_s": rate,
        "published": total,
        "publish_errors": publish_errors.load(Ordering::Relaxed),
        "connect_errors": connect_errors,
        "frames_expected": expected,
        "frames_delivered": delivered,
        "frames_lost": expected.saturating_sub(delivered),
        "delivered_msgs_per_s": (delivered as f64 / publish_seconds).round(),
        "latency": latency_summary(samples),
        "server_rss_mb": rss,
    })
}

/// The `student_id` of an `attendance_changed` event frame, without a full parse.
fn student_id_in(frame: &str) -> Option<i64> {
    let start = frame.find("\"student_id\":")? + "\"student_id\":".len();
    let digits: String = frame[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

// ---------------------------------------------------------------- checkins

async fn checkins(args: &Args) -> Value {
    let url = args.text("url", "http://127.0.0.1:3000");
    let seconds: f64 = args.get("seconds", 20.0);
    let concurrency: usize = args.get("concurrency", 64);
    let http = Arc::new(Http::new(&url));
    let (teacher, students) = split_accounts(&read_tokens(&args.text("tokens", "load-tokens.txt")));
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

// ---------------------------------------------------------------- storm

async fn storm(args: &Args) -> Value {
    let url = args.text("url", "http://127.0.0.1:3000");
    let clients: usize = args.get("clients", 1000);
    let bin = args.text("server-bin", "target/release/rollcall");
    let (_, students) = split_accounts(&read_tokens(&args.text("tokens", "load-tokens.txt")));
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
    let round = |v: f64| (v * 100.0).round() / 100.0;
    json!({
        "scenario": "storm",
        "clients": clients,
        "reconnected": back,
        "server_stopped_after_s": round(down_at),
        "server_healthy_after_s": round(up_at),
        "all_caught_up_after_s": round(all_back),
        "storm_seconds_after_healthy": round(all_back - up_at),
    })
}

fn sigterm(pid: u32) {
    let _ = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
}
