//! Who may call what: every server function against every kind of caller (`login` and `logout`
//! are open to anyone and tested in sign_in.rs); every live channel over WebSocket and polling
//! in authorization_live.rs.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn every_server_function_checks_role_and_ownership() {
    let app = spawn_app().await;
    let owner = app.teacher().await; // rivera: Biology 9A, Chemistry 10B
    let (session, code) = owner.open_session("Biology 9A", 10).await;
    let biology = owner.class_id("Biology 9A").await;
    let student1_id =
        roster_entry(&owner.dashboard(session).await, "student1")["student_id"].clone();
    let meeting = json!({
        "weekdays": ["monday"], "starts_at": "09:00", "ends_at": "09:45",
        "first_day": "2030-03-18", "last_day": "2030-03-18", "late_after_minutes": 5,
    });
    let owners_meeting = owner
        .ok(
            "add_meeting",
            json!({ "class_id": biology, "meeting": meeting }),
        )
        .await["id"]
        .clone();
    let not_found = StatusCode::NOT_FOUND;
    // Two pending excuses of student1 (Biology 9A): one to decide, one to withdraw.
    let excuse = |day: &str| {
        json!({ "excuse": {
            "student": null, "class_ids": [], "first_day": day, "last_day": day, "reason": "Ill",
        }})
    };
    let first_student = app.student(1).await;
    let to_decide = first_student
        .ok("submit_excuse", excuse("2030-03-18"))
        .await[0]["id"]
        .clone();
    let to_withdraw = first_student
        .ok("submit_excuse", excuse("2030-03-19"))
        .await[0]["id"]
        .clone();
    let student1_of_matrix = student1_id.clone();

    let anonymous = app.anonymous();
    let student = app.student(1).await;
    let other_student = app.student(2).await;
    let other_teacher = app.login("okafor", "teacher-demo").await;
    let admin = app.login("admin", "admin-demo").await;
    let callers: [(&str, &Client); 6] = [
        ("anonymous", &anonymous),
        ("student", &student),
        ("other student", &other_student),
        ("owner", &owner),
        ("other teacher", &other_teacher),
        ("admin", &admin),
    ];

    use StatusCode as S;
    let (ok, unauth, forbidden, bad) = (S::OK, S::UNAUTHORIZED, S::FORBIDDEN, S::BAD_REQUEST);
    // expected status per caller, in the order of `callers` above
    let matrix: Vec<(&str, Value, [StatusCode; 6])> = vec![
        // Anyone, signed in or not.
        ("me", json!({}), [ok; 6]),
        ("site_info", json!({}), [ok; 6]),
        // Any signed-in user for their own account: a too-short new password gets past the
        // sign-in check to the password rules (400), and changes nothing.
        (
            "change_password",
            json!({ "current_password": "x", "new_password": "short", "sign_out_others": false }),
            [unauth, bad, bad, bad, bad, bad],
        ),
        // Admins only: the role is checked before the password rules.
        (
            "reset_password",
            json!({ "username": "student3", "new_password": "short" }),
            [unauth, forbidden, forbidden, forbidden, forbidden, bad],
        ),
        (
            "my_classes",
            json!({}),
            [unauth, forbidden, forbidden, ok, ok, ok],
        ),
        (
            "session_dashboard",
            json!({ "session_id": session }),
            [unauth, forbidden, forbidden, ok, forbidden, ok],
        ),
        (
            "open_session",
            json!({ "class_id": biology, "late_after_minutes": 10 }),
            [unauth, forbidden, forbidden, ok, forbidden, ok],
        ),
        (
            "mark_attendance",
            json!({ "session_id": session, "student_id": student1_id, "status": "present" }),
            [unauth, forbidden, forbidden, ok, forbidden, ok],
        ),
        (
            "my_attendance",
            json!({}),
            [unauth, ok, ok, forbidden, forbidden, forbidden],
        ),
        (
            "check_in",
            json!({ "code": code }),
            [unauth, ok, ok, forbidden, forbidden, forbidden],
        ),
        (
            "school_today",
            json!({}),
            [unauth, forbidden, forbidden, forbidden, forbidden, ok],
        ),
        // Administration: admins only; the role is checked before anything else.
        (
            "list_users",
            json!({ "query": "", "role": null, "include_inactive": true, "page": 0 }),
            [unauth, forbidden, forbidden, forbidden, forbidden, ok],
        ),
        (
            "create_user",
            json!({ "username": "zed", "display_name": "Zed", "role": "student", "password": "short" }),
            [unauth, forbidden, forbidden, forbidden, forbidden, bad],
        ),
        (
            "update_user",
            json!({ "user_id": student1_id, "display_name": "", "role": "student" }),
            [unauth, forbidden, forbidden, forbidden, forbidden, bad],
        ),
        (
            "set_user_active",
            json!({ "user_id": 999_999, "active": true }),
            [
                unauth, forbidden, forbidden, forbidden, forbidden, not_found,
            ],
        ),
        (
            "class_admin",
            json!({ "class_id": biology }),
            [unauth, forbidden, forbidden, forbidden, forbidden, ok],
        ),
        (
            "create_class",
            json!({ "name": "", "teacher_ids": [] }),
            [unauth, forbidden, forbidden, forbidden, forbidden, bad],
        ),
        (
            "rename_class",
            json!({ "class_id": 999_999, "name": "Latin" }),
            [
                unauth, forbidden, forbidden, forbidden, forbidden, not_found,
            ],
        ),
        (
            "set_class_archived",
            json!({ "class_id": 999_999, "archived": true }),
            [
                unauth, forbidden, forbidden, forbidden, forbidden, not_found,
            ],
        ),
        (
            "set_class_teachers",
            json!({ "class_id": biology, "teacher_ids": [student1_id] }),
            [unauth, forbidden, forbidden, forbidden, forbidden, bad],
        ),
        (
            "enrol_students",
            json!({ "class_id": biology, "usernames": [] }),
            [unauth, forbidden, forbidden, forbidden, forbidden, bad],
        ),
        (
            "unenrol_student",
            json!({ "class_id": 999_999, "student_id": student1_id }),
            [
                unauth, forbidden, forbidden, forbidden, forbidden, not_found,
            ],
        ),
        // Timetables: the class's teachers and admins; holidays: admins change them.
        (
            "class_timetable",
            json!({ "class_id": biology }),
            [unauth, forbidden, forbidden, ok, forbidden, ok],
        ),
        (
            "add_meeting",
            json!({ "class_id": biology, "meeting": meeting }),
            [unauth, forbidden, forbidden, ok, forbidden, ok],
        ),
        (
            "class_sessions",
            json!({ "class_id": biology }),
            [unauth, forbidden, forbidden, ok, forbidden, ok],
        ),
        (
            "session_changes",
            json!({ "session_id": session }),
            [unauth, forbidden, forbidden, ok, forbidden, ok],
        ),
        (
            "list_holidays",
            json!({}),
            [unauth, forbidden, forbidden, ok, ok, ok],
        ),
        (
            "add_holiday",
            json!({ "holiday": { "name": "Fair", "first_day": "2030-05-01", "last_day": "2030-05-01" } }),
            [unauth, forbidden, forbidden, forbidden, forbidden, ok],
        ),
        (
            "remove_holiday",
            json!({ "holiday_id": 999_999 }),
            [
                unauth, forbidden, forbidden, forbidden, forbidden, not_found,
            ],
        ),
        // Someone else's meeting answers like a missing one; the owner's goes (then 404).
        (
            "remove_meeting",
            json!({ "meeting_id": owners_meeting }),
            [unauth, forbidden, forbidden, ok, not_found, not_found],
        ),
        // Reports: a class's teachers and admins; a student themselves, their teachers, admins.
        (
            "class_report",
            json!({ "class_id": biology, "range": {} }),
            [unauth, forbidden, forbidden, ok, forbidden, ok],
        ),
        (
            "student_report",
            json!({ "student_id": student1_of_matrix, "range": {} }),
            [unauth, ok, forbidden, ok, forbidden, ok],
        ),
        (
            "school_report",
            json!({ "range": {} }),
            [unauth, forbidden, forbidden, forbidden, forbidden, ok],
        ),
        // Excuses: everyone signed in lists their own scope; the reason ("x") is checked after
        // who may excuse whom; a class's teachers and admins decide; the student withdraws.
        ("list_excuses", json!({}), [unauth, ok, ok, ok, ok, ok]),
        (
            "submit_excuse",
            json!({ "excuse": { "student": "student1", "class_ids": [], "first_day": "2030-03-18",
                "last_day": "2030-03-18", "reason": "x" } }),
            [unauth, bad, forbidden, bad, forbidden, bad],
        ),
        (
            "decide_excuse",
            json!({ "excuse_id": to_decide, "decision": "approve" }),
            [unauth, forbidden, forbidden, ok, forbidden, ok],
        ),
        (
            "withdraw_excuse",
            json!({ "excuse_id": to_withdraw }),
            [unauth, ok, not_found, forbidden, forbidden, forbidden],
        ),
        (
            "mark_all_present",
            json!({ "session_id": session }),
            [unauth, forbidden, forbidden, ok, forbidden, ok],
        ),
        // Check-in rules, reviews and the audit: the class's teachers and admins. A review of
        // an attempt that is not waiting gets past the role check to a 404.
        (
            "class_check_in_rules",
            json!({ "class_id": biology }),
            [unauth, forbidden, forbidden, ok, forbidden, ok],
        ),
        (
            "set_class_check_in_rules",
            json!({ "class_id": biology, "rules": {} }),
            [unauth, forbidden, forbidden, ok, forbidden, ok],
        ),
        (
            "set_session_check_in_rules",
            json!({ "session_id": session, "rules": null }),
            [unauth, forbidden, forbidden, ok, forbidden, ok],
        ),
        (
            "review_check_in",
            json!({ "session_id": session, "attempt_id": 999_999, "accept": true }),
            [
                unauth, forbidden, forbidden, not_found, forbidden, not_found,
            ],
        ),
        // Any signed-in user's own devices; what each entry may do is checked per entry.
        (
            "sync_outbox",
            json!({ "device_id": "matrix-device-1", "entries": [] }),
            [unauth, ok, ok, ok, ok, ok],
        ),
        (
            "session_audit",
            json!({ "session_id": session }),
            [unauth, forbidden, forbidden, ok, forbidden, ok],
        ),
        (
            "job_queue",
            json!({}),
            [unauth, forbidden, forbidden, forbidden, forbidden, ok],
        ),
        // The rotating code's key: only staff of the session (their screens derive codes
        // offline).
        (
            "rotating_code_key",
            json!({ "session_id": session }),
            [unauth, forbidden, forbidden, ok, forbidden, ok],
        ),
        (
            "close_session",
            json!({ "session_id": session }),
            [unauth, forbidden, forbidden, ok, forbidden, ok],
        ),
        // Notifications: everyone their own; the school's rules and guardians, admins only.
        ("inbox", json!({}), [unauth, ok, ok, ok, ok, ok]),
        (
            "unread_notifications",
            json!({}),
            [unauth, ok, ok, ok, ok, ok],
        ),
        (
            "mark_notifications_read",
            json!({ "through": 1_000_000 }),
            [unauth, ok, ok, ok, ok, ok],
        ),
        (
            "notification_settings",
            json!({}),
            [unauth, ok, ok, ok, ok, ok],
        ),
        (
            "remove_push_subscription",
            json!({ "id": 999_999 }),
            [
                unauth, not_found, not_found, not_found, not_found, not_found,
            ],
        ),
        (
            "absence_rules",
            json!({}),
            [unauth, forbidden, forbidden, forbidden, forbidden, ok],
        ),
        (
            "guardians",
            json!({ "username": "student1" }),
            [unauth, forbidden, forbidden, forbidden, forbidden, ok],
        ),
        (
            "set_guardians",
            json!({ "username": "student1", "emails": "parent@example.org" }),
            [unauth, forbidden, forbidden, forbidden, forbidden, ok],
        ),
        (
            "remove_absence_rule",
            json!({ "id": 999_999 }),
            [
                unauth, forbidden, forbidden, forbidden, forbidden, not_found,
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (function, body, expected) in &matrix {
        for ((who, client), want) in callers.iter().zip(expected) {
            let (status, answer) = client.call(function, body.clone()).await;
            if status != *want {
                failures.push(format!(
                    "{function} as {who}: got {status}, want {want}: {answer}"
                ));
            } else if !status.is_success() {
                // Refusals are readable: a kind and a sentence.
                let message = answer["message"].as_str().unwrap_or("");
                if message.len() < 10 || answer["kind"].is_null() {
                    failures.push(format!("{function} as {who}: unreadable refusal {answer}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));

    // The other teacher's class list does not include rivera's classes; admin sees all three.
    let theirs = other_teacher.ok("my_classes", json!({})).await;
    assert_eq!(theirs.as_array().unwrap().len(), 1);
    assert_eq!(
        admin
            .ok("my_classes", json!({}))
            .await
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // A session that does not exist is a 404, not a 500.
    let (status, _) = owner
        .call("session_dashboard", json!({ "session_id": 999_999 }))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
