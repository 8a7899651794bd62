//! Administering people and classes through the API: search and paging, creating, editing,
//! deactivating (sign-ins end, sockets close, sign-in refused), and classes with several
//! teachers, enrolments and archiving.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn admins_find_create_edit_and_deactivate_people() {
    let app = spawn_app().await;
    let admin = app.login("admin", "admin-demo").await;
    let page = admin
        .ok(
            "list_users",
            json!({ "query": "", "role": "student", "include_inactive": false, "page": 0 }),
        )
        .await;
    assert_eq!(page["total"], 30);
    assert_eq!(page["people"].as_array().unwrap().len(), 30);
    // Search by part of a name or username, any case; LIKE wildcards are literal.
    let found = admin
        .ok(
            "list_users",
            json!({ "query": "ADAMS", "role": null, "include_inactive": false, "page": 0 }),
        )
        .await;
    assert!(found["total"].as_u64().unwrap() >= 1);
    assert!(found["people"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["display_name"].as_str().unwrap().contains("Adams")));
    let wildcard = admin
        .ok(
            "list_users",
            json!({ "query": "%", "role": null, "include_inactive": false, "page": 0 }),
        )
        .await;
    assert_eq!(wildcard["total"], 0);

    // Create: the first password must be changed at first sign-in.
    let created = admin
        .ok(
            "create_user",
            json!({ "username": "New.Teacher", "display_name": " Mr. New ", "role": "teacher",
                    "password": "a fine first password" }),
        )
        .await;
    assert_eq!(created["username"], "new.teacher");
    assert_eq!(created["display_name"], "Mr. New");
    assert_eq!(created["must_change_password"], true);
    let (status, body) = admin
        .call(
            "create_user",
            json!({ "username": "new.teacher", "display_name": "Again", "role": "teacher",
                    "password": "a fine first password" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = admin
        .call(
            "create_user",
            json!({ "username": "x", "display_name": "", "role": "student", "password": "a fine first password" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Edit: a student still enrolled cannot become a teacher.
    let student1 = app.user_id("student1").await;
    let (status, body) = admin
        .call(
            "update_user",
            json!({ "user_id": student1, "display_name": "Ava", "role": "teacher" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let renamed = admin
        .ok(
            "update_user",
            json!({ "user_id": student1, "display_name": "Ava A.", "role": "student" }),
        )
        .await;
    assert_eq!(renamed["display_name"], "Ava A.");
    // Admins keep their own role and account.
    let me = app.user_id("admin").await;
    let (status, _) = admin
        .call(
            "update_user",
            json!({ "user_id": me, "display_name": "Admin", "role": "teacher" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = admin
        .call("set_user_active", json!({ "user_id": me, "active": false }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_deactivated_person_is_signed_out_everywhere_and_cannot_sign_in() {
    let app = spawn_app().await;
    let admin = app.login("admin", "admin-demo").await;
    let student = app.student(2).await;
    let token = app.token("student2", "student-demo").await;
    let mut ws = app.ws(&token).await;
    let student2 = app.user_id("student2").await;

    let person = admin
        .ok(
            "set_user_active",
            json!({ "user_id": student2, "active": false }),
        )
        .await;
    assert_eq!(person["active"], false);
    assert_eq!(
        ws.closed_with_reason().await,
        (4001, "account deactivated".into())
    );
    let (status, _) = student.call("my_attendance", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the cookie sign-in ended");
    let (status, _) = call_as(&app, &token, "my_attendance", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the bearer token ended");
    // The right password is refused with a reason; a wrong one says nothing more than usual.
    let (status, body) = app
        .anonymous()
        .call(
            "login",
            json!({ "username": "student2", "password": "student-demo" }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["message"].as_str().unwrap().contains("deactivated"),
        "{body}"
    );
    let (status, body) = app
        .anonymous()
        .call(
            "login",
            json!({ "username": "student2", "password": "wrong-password" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!body.to_string().contains("deactivated"));

    // Not on new rosters; reactivated, they sign in again.
    let teacher = app.teacher().await;
    let (session, _) = teacher.open_session("Biology 9A", 10).await;
    let dashboard = teacher.dashboard(session).await;
    assert!(!dashboard["roster"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["username"] == "student2"));
    admin
        .ok(
            "set_user_active",
            json!({ "user_id": student2, "active": true }),
        )
        .await;
    app.student(2).await;
    let listed = admin
        .ok(
            "list_users",
            json!({ "query": "student2", "role": null, "include_inactive": true, "page": 0 }),
        )
        .await;
    assert_eq!(listed["people"][0]["active"], true);
}

#[tokio::test]
async fn admins_run_classes_with_several_teachers_and_their_rosters() {
    let app = spawn_app().await;
    let admin = app.login("admin", "admin-demo").await;
    let rivera = app.user_id("rivera").await;
    let okafor = app.user_id("okafor").await;
    let class = admin
        .ok(
            "create_class",
            json!({ "name": " Physics 11 ", "teacher_ids": [rivera, okafor] }),
        )
        .await;
    assert_eq!(class["name"], "Physics 11");
    assert_eq!(class["teachers"].as_array().unwrap().len(), 2);
    let id = class["id"].clone();
    let (status, _) = admin
        .call(
            "create_class",
            json!({ "name": "Physics 11", "teacher_ids": [] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "names are unique");
    let student1 = app.user_id("student1").await;
    let (status, _) = admin
        .call(
            "create_class",
            json!({ "name": "Bad", "teacher_ids": [student1] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a student cannot teach");

    // Enrol: all or nothing, idempotent.
    let (status, body) = admin
        .call(
            "enrol_students",
            json!({ "class_id": id, "usernames": ["student1", "rivera"] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().unwrap().contains("rivera"));
    for _ in 0..2 {
        let view = admin
            .ok(
                "enrol_students",
                json!({ "class_id": id, "usernames": ["student1", "Student2"] }),
            )
            .await;
        assert_eq!(view["students"].as_array().unwrap().len(), 2);
    }
    // Both teachers see and run it.
    let okafor_client = app.login("okafor", "teacher-demo").await;
    let (session, _) = okafor_client.open_session("Physics 11", 5).await;
    let dashboard = app.teacher().await.dashboard(session).await;
    assert_eq!(dashboard["roster"].as_array().unwrap().len(), 2);
    okafor_client
        .ok("close_session", json!({ "session_id": session }))
        .await;

    // A substitute: the teachers become just okafor; rivera loses the class.
    admin
        .ok(
            "set_class_teachers",
            json!({ "class_id": id, "teacher_ids": [okafor] }),
        )
        .await;
    let (status, _) = app
        .teacher()
        .await
        .call("session_dashboard", json!({ "session_id": session }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Unenrol keeps history; rename; archive hides it from teachers and stops sessions.
    let view = admin
        .ok(
            "unenrol_student",
            json!({ "class_id": id, "student_id": student1 }),
        )
        .await;
    assert_eq!(view["students"].as_array().unwrap().len(), 1);
    let past = okafor_client.dashboard(session).await;
    assert!(past["roster"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["username"] == "student1"));
    admin
        .ok(
            "rename_class",
            json!({ "class_id": id, "name": "Physics 11A" }),
        )
        .await;
    admin
        .ok(
            "set_class_archived",
            json!({ "class_id": id, "archived": true }),
        )
        .await;
    let theirs = okafor_client.ok("my_classes", json!({})).await;
    assert!(!theirs.as_array().unwrap().iter().any(|c| c["id"] == id));
    let (status, body) = admin
        .call(
            "open_session",
            json!({ "class_id": id, "late_after_minutes": 5 }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let all = admin.ok("my_classes", json!({})).await;
    let archived = all
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap();
    assert_eq!(
        (archived["name"].clone(), archived["archived"].clone()),
        (json!("Physics 11A"), json!(true))
    );
}
