//! Crash safety: the real server binary is killed with SIGKILL while 1,000 students' check-ins
//! are in flight, then started again on the same database. Every check-in that was answered with
//! success is recorded exactly once, retrying any check-in never records it twice, every
//! channel's log is gap-free, and a dashboard that reconnects and resumes ends up with exactly
//! what the database holds. Runs on SQLite, and on PostgreSQL with `TEST_DATABASE_URL`.

use crate::helpers::*;
use futures::{SinkExt, StreamExt};
use rollcall::domain::{JoinCode, Role, UserId, Username};
use rollcall::protocol::{Channel, ClientMessage, Event, EventBody, ServerMessage, StreamPosition};
use rollcall::server::crypto::random_bytes;
use rollcall::server::now_ms;
use rollcall::server::store::{Actor, OpenByHand, Store};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

pub(crate) const STUDENTS: usize = 1000;
const IN_FLIGHT: usize = 64;
/// Answers received before the kill: enough that many check-ins are recorded and many are not.
const KILL_AFTER_ANSWERS: usize = 300;

/// The server binary running as a child process; killed (SIGKILL) when dropped.
pub(crate) struct ServerProcess {
    child: Child,
    pub addr: String,
}

impl ServerProcess {
    pub fn start(database_url: &str, log: std::fs::File) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rollcall"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("DATABASE_URL", database_url)
            .env("ROLLCALL_ADDR", "127.0.0.1:0")
            .env("ROLLCALL_SEED_DEMO", "false")
            .env("ROLLCALL_CHECKIN_PER_MINUTE", "1000")
            .env("ROLLCALL_WS_MAX_REPLAY", "5000")
            // Room for one upload of a 1,000-entry outbox (crash_outbox.rs).
            .env("ROLLCALL_MAX_BODY_BYTES", "1048576")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("the server binary starts");
        // It prints its address once listening; keep draining stdout so it never blocks.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(url) = line.trim().strip_prefix("Rollcall is running at http://") {
                    let _ = tx.send(url.to_string());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server reports its address within 30 s");
        ServerProcess { child, addr }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL: no shutdown, no flush, whatever is in flight is cut.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

#[derive(Clone)]
pub(crate) struct School {
    pub session_id: i64,
    pub join_code: String,
    pub teacher_token: String,
    pub students: Vec<(UserId, String)>,
}

/// A class of 1,000 students with an open session, and everyone's bearer token, written
/// straight into the store (no password hashing, no server).
pub(crate) async fn school(database_url: &str) -> School {
    let (committed, _) = tokio::sync::mpsc::unbounded_channel();
    let store = Store::open(database_url, committed).await.unwrap();
    let now = now_ms();
    let user = |name: String| Username::parse(&name).unwrap();
    let teacher = store
        .create_user(&user("teacher".into()), "Teacher", Role::Teacher, "-", now)
        .await
        .unwrap();
    let mut students = Vec::new();
    for n in 0..STUDENTS {
        let name = format!("s{n}");
        let id = store
            .create_user(&user(name.clone()), &name, Role::Student, "-", now)
            .await
            .unwrap();
        students.push((id, bearer_token(&store, id).await));
    }
    let ids: Vec<UserId> = students.iter().map(|(id, _)| *id).collect();
    let class_id = store
        .create_class("Crash 1", &[teacher], &ids)
        .await
        .unwrap();
    let actor = Actor {
        user_id: teacher,
        device: None,
    };
    let session_id = store
        .open_session(
            class_id,
            &actor,
            OpenByHand {
                late_after_minutes: 10,
                now_ms: now,
                today_starts_ms: now - 60_000,
                adopt_scheduled_before_ms: now,
                unscheduled_ends_ms: now + 3_600_000,
            },
            || JoinCode::from_random(random_bytes()),
        )
        .await
        .unwrap();
    let join_code = store.existing_session(session_id).await.unwrap().join_code;
    let teacher_token = bearer_token(&store, teacher).await;
    store.close().await;
    School {
        session_id,
        join_code: join_code.expect("an open session has a code").to_string(),
        teacher_token,
        students,
    }
}

#[derive(Debug, Clone)]
enum Outcome {
    /// 200 with a receipt.
    Recorded {
        already_marked: bool,
        receipt: Value,
    },
    /// Any other answer.
    Refused(u16, String),
    /// No answer: the connection was cut.
    Lost,
}

/// Checks every student in, `IN_FLIGHT` at a time; `answered` counts the answers so far.
async fn check_in_all(base: &str, school: &School, answered: Arc<AtomicUsize>) -> Vec<Outcome> {
    // Bounded, so a server that hangs fails the test instead of stalling it.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let tokens: Vec<String> = school.students.iter().map(|(_, t)| t.clone()).collect();
    let requests = tokens.into_iter().map(|token| {
        let (http, answered) = (http.clone(), answered.clone());
        let url = format!("{base}/api/check_in");
        let body = json!({ "code": school.join_code });
        async move {
            let sent = http.post(url).bearer_auth(&token).json(&body).send().await;
            let Ok(response) = sent else {
                return Outcome::Lost;
            };
            let status = response.status().as_u16();
            let Ok(text) = response.text().await else {
                return Outcome::Lost;
            };
            answered.fetch_add(1, Ordering::SeqCst);
            match (status, serde_json::from_str::<Value>(&text)) {
                (200, Ok(receipt)) => Outcome::Recorded {
                    already_marked: receipt["already_marked"] == true,
                    receipt,
                },
                _ => Outcome::Refused(status, text),
            }
        }
    });
    futures::stream::iter(requests)
        .buffered(IN_FLIGHT)
        .collect()
        .await
}

/// A teacher's dashboard on the session channel: collects every event until the socket ends.
async fn follow(
    addr: &str,
    token: &str,
    channel: Channel,
    since: Option<StreamPosition>,
    seen: Arc<Mutex<Vec<Event>>>,
) -> (StreamPosition, bool, tokio::task::JoinHandle<()>) {
    let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (stream, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut ws = Ws { stream };
    assert!(matches!(ws.next().await, ServerMessage::Welcome { .. }));
    let (position, recovered, _) = ws.subscribe(channel, since).await;
    let reader = tokio::spawn(async move {
        while let Some(Ok(frame)) = ws.stream.next().await {
            let Message::Text(text) = frame else { continue };
            match serde_json::from_str(&text).unwrap() {
                ServerMessage::Event(event) => seen.lock().unwrap().push(event),
                ServerMessage::Ping { nonce, .. } => {
                    let pong = serde_json::to_string(&ClientMessage::Pong { nonce }).unwrap();
                    let _ = ws.stream.send(Message::Text(pong.into())).await;
                }
                other => panic!("unexpected frame on the dashboard: {other:?}"),
            }
        }
    });
    (position, recovered, reader)
}

#[tokio::test]
async fn killed_mid_check_in_rush_loses_nothing_and_records_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(&dir).await;
    let school = school(&url).await;
    let session = Channel::Session(school.session_id);
    let log = |n: &str| std::fs::File::create(dir.path().join(n)).unwrap();

    // First run: a dashboard follows the session while the rush is cut short by SIGKILL.
    let mut server = ServerProcess::start(&url, log("first.log"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (start, _, reader) = follow(
        &server.addr,
        &school.teacher_token,
        session,
        None,
        seen.clone(),
    )
    .await;
    let answered = Arc::new(AtomicUsize::new(0));
    let rush = {
        let (base, answered) = (server.base(), answered.clone());
        let school = school.clone();
        tokio::spawn(async move { check_in_all(&base, &school, answered).await })
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while answered.load(Ordering::SeqCst) < KILL_AFTER_ANSWERS {
        assert!(tokio::time::Instant::now() < deadline, "the rush stalled");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    server.kill();
    let first = rush.await.unwrap();
    reader.await.unwrap();
    let seen_before_kill = seen.lock().unwrap().len();
    let recorded_first: Vec<usize> = (0..STUDENTS)
        .filter(|&i| matches!(first[i], Outcome::Recorded { .. }))
        .collect();
    let lost = first.iter().filter(|o| matches!(o, Outcome::Lost)).count();
    if let Some(Outcome::Refused(status, body)) =
        first.iter().find(|o| matches!(o, Outcome::Refused(..)))
    {
        panic!("a check-in was refused before the kill: {status} {body}");
    }
    assert!(lost > 0, "the kill came after every check-in was answered");
    println!(
        "before the kill: {} answered, {lost} cut off; the dashboard had {seen_before_kill} events",
        recorded_first.len()
    );

    // Second run, same database: the dashboard resumes where it was, and everyone retries.
    let server = ServerProcess::start(&url, log("second.log"));
    let last_seen = seen.lock().unwrap().last().map_or(start.seq, |e| e.seq);
    let resume_from = StreamPosition {
        epoch: start.epoch.clone(),
        seq: last_seen,
    };
    let (_, recovered, reader) = follow(
        &server.addr,
        &school.teacher_token,
        session,
        Some(resume_from),
        seen.clone(),
    )
    .await;
    assert!(
        recovered,
        "the log survived the crash, so the dashboard resumes"
    );
    let second = check_in_all(&server.base(), &school, Arc::new(AtomicUsize::new(0))).await;
    let committed_unanswered = (0..STUDENTS)
        .filter(|&i| matches!(first[i], Outcome::Lost))
        .filter(|&i| {
            matches!(
                second[i],
                Outcome::Recorded {
                    already_marked: true,
                    ..
                }
            )
        })
        .count();
    println!("after the restart: {committed_unanswered} cut-off check-ins had been recorded");
    for (i, outcome) in second.iter().enumerate() {
        match (outcome, &first[i]) {
            (Outcome::Recorded { already_marked, .. }, Outcome::Recorded { .. }) => {
                assert!(already_marked, "student {i} was recorded twice")
            }
            (Outcome::Recorded { .. }, _) => {}
            (Outcome::Refused(status, body), _) => {
                panic!("retry of student {i} after the restart: {status} {body}")
            }
            (Outcome::Lost, _) => panic!("retry of student {i} after the restart: no answer"),
        }
    }

    // The database: everyone once, every success as answered, no seq gap anywhere.
    let db = database(&url).await;
    let marks: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT student_id, status, marked_at_ms FROM attendance WHERE session_id = $1",
    )
    .bind(school.session_id)
    .fetch_all(&db)
    .await
    .unwrap();
    let marks: BTreeMap<i64, (String, i64)> = marks
        .into_iter()
        .map(|(student, status, at)| (student, (status, at)))
        .collect();
    assert_eq!(marks.len(), STUDENTS);
    for i in recorded_first {
        let Outcome::Recorded { receipt, .. } = &first[i] else {
            unreachable!()
        };
        let (status, at) = &marks[&school.students[i].0];
        assert_eq!(
            (receipt["status"].as_str(), receipt["marked_at_ms"].as_i64()),
            (Some(status.as_str()), Some(*at))
        );
    }
    assert_logs_gap_free(&db).await;
    let mut changes_per_student: BTreeMap<i64, usize> = BTreeMap::new();
    for event in event_log(&db).await {
        if event.kind == "attendance_changed" && event.channel == session.to_string() {
            let body: Value = serde_json::from_str(&event.body).unwrap();
            *changes_per_student
                .entry(body["student_id"].as_i64().unwrap())
                .or_default() += 1;
        }
    }
    assert_eq!(changes_per_student.len(), STUDENTS);
    assert!(
        changes_per_student.values().all(|&n| n == 1),
        "a check-in was logged twice"
    );

    // The dashboard converges: it saw every event after its start exactly once, in order, and
    // they are the database's.
    let logged: Vec<Event> = {
        let (committed, _) = tokio::sync::mpsc::unbounded_channel();
        let store = Store::open(&url, committed).await.unwrap();
        let events = store
            .events_after(session, start.seq, 10_000)
            .await
            .unwrap();
        store.close().await;
        events
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while seen.lock().unwrap().len() < logged.len() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        *seen.lock().unwrap(),
        logged,
        "the dashboard differs from the log"
    );
    let present: BTreeSet<i64> = logged
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::AttendanceChanged { student_id, .. } => Some(*student_id),
            _ => None,
        })
        .collect();
    assert_eq!(present, marks.keys().copied().collect());
    // And the snapshot a reloading dashboard would get says the same.
    let view: Value = reqwest::Client::new()
        .post(format!("{}/api/session_dashboard", server.base()))
        .bearer_auth(&school.teacher_token)
        .json(&json!({ "session_id": school.session_id }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let counts = &view["counts"];
    assert_eq!(
        counts["present"].as_u64().unwrap() + counts["late"].as_u64().unwrap(),
        STUDENTS as u64,
        "{counts}"
    );
    reader.abort();
}
