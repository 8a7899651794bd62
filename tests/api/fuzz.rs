//! Generated and mutated bodies at every server function (found by reading `src/api/`, so a new
//! one is covered the day it is written) as a teacher, a student, an admin and nobody, and
//! generated query strings at the polling endpoint (and a plain GET at the WebSocket's). Every
//! answer is below 500; every refusal is a JSON error a person can read; a refused request
//! changes nothing in the database; the server is healthy afterwards.

use crate::generators::{broken_json, json_value, object_of, query_string, samples};
use crate::helpers::*;
use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Bodies per server function and caller; with ~11 functions and 4 callers, a few hundred.
const BODIES_PER_CALL: usize = 8;
const QUERIES_PER_CALLER: usize = 24;

/// A server function as declared in `src/api/*.rs`: its endpoint name and its arguments.
#[derive(Debug)]
struct Endpoint {
    name: String,
    args: Vec<(String, String)>,
}

/// Reads `#[server(endpoint = "…")]` and the signature after it from every file in `src/api/`.
fn endpoints() -> Vec<Endpoint> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let mut rest = source.as_str();
        while let Some(at) = rest.find("endpoint = \"") {
            rest = &rest[at + "endpoint = \"".len()..];
            let name = rest[..rest.find('"').unwrap()].to_string();
            let signature = &rest[rest.find("fn ").unwrap()..];
            let open = signature.find('(').unwrap();
            let close = signature.find(") ->").unwrap();
            let args = signature[open + 1..close]
                .split(',')
                .filter_map(|arg| arg.split_once(':'))
                .map(|(name, ty)| (name.trim().to_string(), ty.trim().to_string()))
                .collect();
            found.push(Endpoint { name, args });
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// What a plausible value of each argument looks like here (real ids, the real join code), so
/// some generated bodies get past decoding to the checks behind it.
struct Plausible {
    class_id: i64,
    session_id: i64,
    student_id: i64,
    join_code: String,
}

impl Plausible {
    fn value_for(&self, name: &str, ty: &str) -> Value {
        match (name, ty) {
            ("class_id", _) => json!(self.class_id),
            ("session_id", _) => json!(self.session_id),
            ("student_id" | "user_id", _) => json!(self.student_id),
            ("code", _) => json!(self.join_code),
            ("status", _) => json!("present"),
            (_, "u32") => json!(10),
            (_, "bool") => json!(true),
            (_, "String") => json!("student1"),
            _ => json!(1),
        }
    }

    fn bodies(&self, endpoint: &Endpoint) -> Vec<Vec<u8>> {
        let fields: Vec<String> = endpoint.args.iter().map(|(n, _)| n.clone()).collect();
        let fixed = endpoint
            .args
            .iter()
            .map(|(n, ty)| (n.clone(), self.value_for(n, ty)))
            .collect();
        let bodies = prop_oneof![
            4 => object_of(fields, fixed).prop_map(|v| v.to_string().into_bytes()),
            1 => json_value().prop_map(|v| v.to_string().into_bytes()),
            1 => broken_json().prop_map(String::into_bytes),
        ];
        samples(bodies, BODIES_PER_CALL, &endpoint.name)
    }
}

async fn post(
    base: &str,
    token: Option<&str>,
    endpoint: &str,
    body: Vec<u8>,
) -> (StatusCode, String) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/api/{endpoint}"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    (response.status(), response.text().await.unwrap())
}

/// A refusal must be `{"kind": …, "message": "<a sentence>"}` with a status below 500.
fn assert_readable(status: StatusCode, body: &str, what: &str) {
    assert!(status.as_u16() < 500, "{what}: {status} {body}");
    if status.is_success() {
        return;
    }
    let error: Value = serde_json::from_str(body)
        .unwrap_or_else(|_| panic!("{what}: {status} with a body that is not JSON: {body:?}"));
    assert!(error["kind"].is_string(), "{what}: {status} {body}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.len() > 5 && message.contains(' '),
        "{what}: {status} without a readable message: {body}"
    );
}

struct Caller {
    name: &'static str,
    username: Option<&'static str>,
    token: Option<String>,
}

async fn callers(app: &TestApp) -> Vec<Caller> {
    let mut callers = Vec::new();
    for (name, username) in [
        ("teacher", Some("rivera")),
        ("student", Some("student1")),
        ("admin", Some("admin")),
        ("nobody", None),
    ] {
        callers.push(Caller {
            name,
            username,
            token: None,
        });
    }
    sign_in_again(app, &mut callers).await;
    callers
}

/// New tokens for everyone: a generated body that happens to be valid may have signed someone
/// out (logout, a password change).
async fn sign_in_again(app: &TestApp, callers: &mut [Caller]) {
    for caller in callers.iter_mut() {
        if let Some(username) = caller.username {
            let id = app.user_id(username).await;
            caller.token = Some(bearer_token(&app.server.state.store, id).await);
        }
    }
}

#[tokio::test]
async fn generated_bodies_at_every_server_function_are_refused_cleanly() {
    let app = spawn_app().await;
    let endpoints = endpoints();
    assert!(
        endpoints.len() >= 11,
        "server functions found: {endpoints:?}"
    );
    let teacher = app.bearer_client("rivera").await;
    let (session_id, join_code) = teacher.open_session("Biology 9A", 10).await;
    let plausible = Plausible {
        class_id: teacher.class_id("Biology 9A").await,
        session_id,
        student_id: app.user_id("student2").await,
        join_code,
    };
    let db = database(app.server.state.store.database_url()).await;
    let mut callers = callers(&app).await;
    let mut before = Fingerprint::read(&db).await;
    let (mut sent, mut refused) = (0, 0);
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for endpoint in &endpoints {
        for body in plausible.bodies(endpoint) {
            for i in 0..callers.len() {
                let caller = &callers[i];
                let what = format!(
                    "{} as {}: {}",
                    endpoint.name,
                    caller.name,
                    String::from_utf8_lossy(&body)
                );
                let (status, answer) = post(
                    &app.base,
                    caller.token.as_deref(),
                    &endpoint.name,
                    body.clone(),
                )
                .await;
                sent += 1;
                *statuses.entry(status.as_u16()).or_default() += 1;
                assert_readable(status, &answer, &what);
                let after = Fingerprint::read(&db).await;
                if status.is_success() {
                    sign_in_again(&app, &mut callers).await;
                } else {
                    refused += 1;
                    before.assert_unchanged_but_refusals(&after, &what);
                }
                before = after;
            }
        }
    }
    println!(
        "{sent} requests at {} server functions; answers by status: {statuses:?}",
        endpoints.len()
    );
    assert!(
        refused * 2 > sent,
        "most generated bodies should be refused ({refused}/{sent})"
    );
    let health = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert_logs_gap_free(&db).await;
    // Still serving real requests.
    app.bearer_client("rivera")
        .await
        .dashboard(session_id)
        .await;
}

#[tokio::test]
async fn generated_query_strings_at_the_polling_endpoint_are_refused_cleanly() {
    let app = spawn_app().await;
    let teacher = app.bearer_client("rivera").await;
    teacher.open_session("Biology 9A", 10).await;
    let db = database(app.server.state.store.database_url()).await;
    let callers = callers(&app).await;
    let before = Fingerprint::read(&db).await;
    let http = reqwest::Client::new();
    for caller in &callers {
        for query in samples(query_string(), QUERIES_PER_CALLER, caller.name) {
            let mut request = http.get(format!("{}/api/updates?{query}", app.base));
            if let Some(token) = &caller.token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            let body = response.text().await.unwrap();
            assert_readable(
                status,
                &body,
                &format!("/api/updates?{query} as {}", caller.name),
            );
        }
        // The WebSocket address asked without an upgrade: a refusal, in the same form.
        let mut request = http.get(format!("{}/ws", app.base));
        if let Some(token) = &caller.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(status.is_client_error(), "{status}");
        assert_readable(status, &body, &format!("GET /ws as {}", caller.name));
    }
    before.assert_unchanged_but_refusals(&Fingerprint::read(&db).await, "polling");
    assert_eq!(
        http.get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}
