//! CSV import over HTTP: a 5,000-row file is previewed, applied in one go and re-imported
//! without change; broken files are refused with line-numbered errors and write nothing; the
//! routes are for admins and for this site's pages only.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;

async fn post_csv(app: &TestApp, token: &str, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("content-type", "text/csv")
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

async fn preview(app: &TestApp, token: &str, csv: &[u8]) -> Value {
    let (status, body) = post_csv(app, token, "/api/admin/import/preview", csv.to_vec()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn apply(app: &TestApp, token: &str, csv: &[u8], digest: &str) -> (StatusCode, Value) {
    post_csv(
        app,
        token,
        &format!("/api/admin/import/apply?digest={digest}"),
        csv.to_vec(),
    )
    .await
}

fn big_file(rows: usize) -> Vec<u8> {
    let mut csv = String::from("username,display_name,role,classes\n");
    csv.push_str("import.teacher,Ms. Import,teacher,History 9C\n");
    for n in 1..rows {
        let class = if n % 2 == 0 {
            "Biology 9A"
        } else {
            "Biology 9A;History 9C"
        };
        csv.push_str(&format!("pupil{n},Pupil Number {n},student,{class}\n"));
    }
    csv.into_bytes()
}

#[tokio::test]
async fn five_thousand_rows_preview_apply_once_and_reimport_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.token("admin", "admin-demo").await;
    let csv = big_file(5000);
    let plan = preview(&app, &admin, &csv).await;
    assert_eq!(plan["ok"], true, "{}", plan["errors"]);
    assert_eq!(plan["create"], 5000);
    assert_eq!(plan["rows"][1]["changes"][0], "enrol in Biology 9A");
    let db = database(&app.server.state.config.database_url).await;
    let before = Fingerprint::read(&db).await;
    assert_eq!(
        before.rows,
        Fingerprint::read(&db).await.rows,
        "a preview writes nothing"
    );

    let (status, result) = apply(&app, &admin, &csv, plan["digest"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["created"], 5000);
    assert_eq!(result["memberships_added"], 1 + 4999 + 2500);
    let passwords = result["one_time_passwords"].as_array().unwrap();
    assert_eq!(passwords.len(), 5000);

    // A new person signs in with the one-time password and must choose their own.
    let first = passwords
        .iter()
        .find(|p| p["username"] == "pupil7")
        .unwrap();
    let client = app.anonymous();
    let signed_in = client
        .ok(
            "login",
            serde_json::json!({ "username": "pupil7", "password": first["password"] }),
        )
        .await;
    assert_eq!(signed_in["user"]["must_change_password"], true);
    let teacher = app
        .login("import.teacher", passwords[0]["password"].as_str().unwrap())
        .await;
    let (status, _) = teacher.call("my_classes", serde_json::json!({})).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "until they change the password"
    );

    // Again: nothing to do, nothing written.
    let after_first = Fingerprint::read(&db).await;
    let again = preview(&app, &admin, &csv).await;
    assert_eq!(
        (
            again["create"].clone(),
            again["update"].clone(),
            again["unchanged"].clone()
        ),
        (0.into(), 0.into(), 5000.into())
    );
    let (status, result) = apply(&app, &admin, &csv, again["digest"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(result["memberships_added"], 0);
    assert!(result["one_time_passwords"].as_array().unwrap().is_empty());
    assert_eq!(after_first.rows, Fingerprint::read(&db).await.rows);

    // An old preview of a school that changed since is refused.
    let (status, body) = apply(&app, &admin, &csv, plan["digest"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test]
async fn broken_files_are_refused_with_their_lines_and_write_nothing() {
    let app = spawn_app().await;
    let admin = app.token("admin", "admin-demo").await;
    let db = database(&app.server.state.config.database_url).await;
    let before = Fingerprint::read(&db).await;
    let mut latin1 =
        b"username,display_name,role,classes\nana,Ana,student,Biology 9A\nj,J".to_vec();
    latin1.extend([0xF6, b'r', b'g']);
    latin1.extend(b",student,\n");
    let cases: Vec<(&str, Vec<u8>, u64, &str)> = vec![
        ("bad encoding", latin1, 3, "UTF-8"),
        ("missing column", b"username,role\nana,student\n".to_vec(), 1, "display_name"),
        (
            "duplicate usernames",
            b"username,display_name,role\nana,Ana,student\nbo,Bo,student\nANA,Ana B,student\n".to_vec(),
            4,
            "line 2",
        ),
        (
            "unknown class",
            b"username,display_name,role,classes\nana,Ana,student,Biology 9A\nbo,Bo,student,biology 9a\n".to_vec(),
            3,
            "Did you mean 'Biology 9A'",
        ),
    ];
    for (what, csv, line, words) in cases {
        let plan = preview(&app, &admin, &csv).await;
        assert_eq!(plan["ok"], false, "{what}");
        let errors = plan["errors"].as_array().unwrap();
        assert_eq!(errors[0]["line"], line, "{what}: {errors:?}");
        assert!(
            errors[0]["message"].as_str().unwrap().contains(words),
            "{what}: {errors:?}"
        );
        // Applying it anyway (with any digest) writes nothing.
        let (status, _) = apply(&app, &admin, &csv, "0").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}");
    }
    assert_eq!(before.rows, Fingerprint::read(&db).await.rows);
}

#[tokio::test]
async fn guardian_cells_take_semicolons_or_commas_and_at_most_five() {
    let app = spawn_app().await;
    let admin = app.token("admin", "admin-demo").await;
    let csv = b"username,display_name,role,classes,guardian_emails\n\
        ana,Ana,student,Biology 9A,\"Mum@Example.org, dad@example.org;mum@example.org\"\n"
        .to_vec();
    let plan = preview(&app, &admin, &csv).await;
    assert_eq!(plan["ok"], true, "{}", plan["errors"]);
    let (status, result) = apply(&app, &admin, &csv, plan["digest"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    let admin_client = app.login("admin", "admin-demo").await;
    let guardians = admin_client
        .ok("guardians", serde_json::json!({ "username": "ana" }))
        .await;
    assert_eq!(
        guardians,
        serde_json::json!(["dad@example.org", "mum@example.org"]),
        "lower-cased, sorted, without the repeat"
    );

    let six = (1..=6)
        .map(|n| format!("g{n}@example.org"))
        .collect::<Vec<_>>()
        .join(";");
    let csv = format!(
        "username,display_name,role,guardian_emails\nbo,Bo,student,{six}\ncy,Cy,student,not-an-address\n"
    );
    let plan = preview(&app, &admin, csv.as_bytes()).await;
    assert_eq!(plan["ok"], false);
    let errors = plan["errors"].as_array().unwrap();
    assert_eq!(errors[0]["line"], 2, "{errors:?}");
    assert!(
        errors[0]["message"].as_str().unwrap().contains("at most 5"),
        "{errors:?}"
    );
    assert_eq!(errors[1]["line"], 3, "{errors:?}");
    assert!(
        errors[1]["message"]
            .as_str()
            .unwrap()
            .starts_with("Guardian e-mail"),
        "{errors:?}"
    );
}

#[tokio::test]
async fn only_admins_and_this_sites_pages_may_import() {
    let app = spawn_app().await;
    let teacher = app.token("rivera", "teacher-demo").await;
    let csv = b"username,display_name,role\nana,Ana,student\n".to_vec();
    let (status, _) = post_csv(&app, &teacher, "/api/admin/import/preview", csv.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let anonymous = reqwest::Client::new()
        .post(format!("{}/api/admin/import/preview", app.base))
        .header("content-type", "text/csv")
        .body(csv.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    // A signed-in admin's browser: the page's own request passes, another site's does not, and
    // JSON is not CSV.
    let admin = app.login("admin", "admin-demo").await;
    let send = |origin: &str, content_type: &str| {
        admin
            .http
            .post(format!("{}/api/admin/import/preview", app.base))
            .header("origin", origin)
            .header("content-type", content_type)
            .body(csv.clone())
            .send()
    };
    assert_eq!(
        send(&app.base, "text/csv").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        send("https://evil.example", "text/csv")
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&app.base, "application/json").await.unwrap().status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let template = reqwest::get(format!("{}/api/admin/import/template.csv", app.base))
        .await
        .unwrap();
    assert_eq!(template.status(), StatusCode::OK);
    assert!(template
        .text()
        .await
        .unwrap()
        .starts_with("username,display_name,role,classes,password"));
    // Too big: a readable 413.
    let (status, body) = post_csv(
        &app,
        &admin_token(&app).await,
        "/api/admin/import/preview",
        vec![b'a'; 6 * 1024 * 1024],
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
}

async fn admin_token(app: &TestApp) -> String {
    app.token("admin", "admin-demo").await
}
