//! Bad input gets a clear error with the right status, and changes nothing.

use crate::helpers::*;
use reqwest::StatusCode;
use rollcall::protocol::Channel;
use serde_json::{json, Value};

async fn raw(
    client: &Client,
    function: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let response = client
        .http
        .post(format!("{}/api/{function}", client.base))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn malformed_oversize_and_invalid_requests_are_refused_cleanly() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let (session, code) = teacher.open_session("Biology 9A", 10).await;
    let student = app.student(1).await;
    let before = teacher.dashboard(session).await;

    // Malformed JSON.
    let (status, body) = raw(
        &student,
        "check_in",
        "application/json",
        b"{\"code\": ".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["kind"], "bad_request");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("could not be read"));

    // Missing field, wrong type.
    let (status, _) = student.call("check_in", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = student.call("check_in", json!({ "code": 42 })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Oversize body: refused before it is read, with a readable answer.
    let huge = format!("{{\"code\": \"{}\"}}", "A".repeat(200 * 1024));
    let (status, body) = raw(&student, "check_in", "application/json", huge.into_bytes()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("too large"),
        "{body}"
    );

    // Domain validation at the edge.
    let student1 = roster_entry(&before, "student1")["student_id"].clone();
    let (status, _) = teacher
        .call(
            "mark_attendance",
            json!({ "session_id": session, "student_id": student1, "status": "asleep" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = teacher
        .call(
            "open_session",
            json!({ "class_id": 2, "late_after_minutes": 999 }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("240"), "{body}");
    // A student who is not on the class's roster cannot be marked.
    let (status, _) = teacher
        .call(
            "mark_attendance",
            json!({ "session_id": session, "student_id": 999_999, "status": "present" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Nothing above changed the session.
    let after = teacher.dashboard(session).await;
    assert_eq!(
        (&after["roster"], &after["counts"]),
        (&before["roster"], &before["counts"])
    );
    assert_eq!(app.events(Channel::Session(session)).await.len(), 1);
    // And the real request still works afterwards.
    assert_eq!(
        student.ok("check_in", json!({ "code": code })).await["status"],
        "present"
    );
}
