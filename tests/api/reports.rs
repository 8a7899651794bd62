//! Reports over HTTP: a class's register and its CSV agree on every number; a student's report
//! and streaks; the school's figures with the chronic list and sessions never taken; CSVs are
//! Excel-friendly and defuse formulas; every report and CSV checks who is asking.

use crate::helpers::*;
use reqwest::StatusCode;
use rollcall::server::now_ms;
use serde_json::{json, Value};

/// GETs a CSV export; returns the status and the body.
pub(crate) async fn get_csv(
    client: &Client,
    path: &str,
    query: &[(&str, String)],
) -> (StatusCode, String, reqwest::header::HeaderMap) {
    let response = client
        .http
        .get(format!("{}{path}", client.base))
        .query(query)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, response.text().await.unwrap(), headers)
}

pub(crate) fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for Excel");
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

fn percent(rate: &Value) -> String {
    match rate.as_f64() {
        Some(rate) => format!("{:.0}%", (rate * 100.0).round()),
        None => "–".into(),
    }
}

/// Two sessions of Biology 9A today: in the first student1 is present and student2 late, the
/// rest absent; in the second student1 is present, the rest absent. Returns the class id.
async fn two_sessions(app: &TestApp) -> i64 {
    let teacher = app.teacher().await;
    let biology = teacher.class_id("Biology 9A").await;
    for round in 0..2 {
        let (session, code) = teacher.open_session("Biology 9A", 10).await;
        app.student(1)
            .await
            .ok("check_in", json!({ "code": code }))
            .await;
        if round == 0 {
            let student2 = app.user_id("student2").await;
            teacher
                .ok(
                    "mark_attendance",
                    json!({ "session_id": session, "student_id": student2, "status": "late" }),
                )
                .await;
        }
        teacher
            .ok("close_session", json!({ "session_id": session }))
            .await;
    }
    biology
}

#[tokio::test]
async fn a_class_register_and_its_csv_agree_on_every_number() {
    let app = spawn_app().await;
    let biology = two_sessions(&app).await;
    let teacher = app.teacher().await;
    let report = teacher
        .ok("class_report", json!({ "class_id": biology, "range": {} }))
        .await;
    assert_eq!(report["columns"].as_array().unwrap().len(), 2);
    assert_eq!(report["rows"].as_array().unwrap().len(), 12);
    assert_eq!(report["sessions_held"], 2);
    let totals = &report["totals"];
    assert_eq!(
        (totals["present"].clone(), totals["late"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(totals["absent"], 21);
    // 3 attended of 24 marks.
    assert_eq!(percent(&report["rate"]), "13%");
    let row = |username: &str| {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["username"] == username)
            .unwrap()
            .clone()
    };
    assert_eq!(percent(&row("student1")["totals"]["rate"]), "100%");
    assert_eq!(percent(&row("student2")["totals"]["rate"]), "50%");
    assert_eq!(row("student3")["totals"]["current_absence_streak"], 2);

    let (status, text, headers) = get_csv(
        &teacher,
        "/api/reports/class.csv",
        &[("class_id", biology.to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    // Sent as it is written, not as one body of known length.
    assert_eq!(headers.get("transfer-encoding").unwrap(), "chunked");
    assert!(headers.get("content-length").is_none());
    assert!(text.contains("\r\n"), "CRLF lines");
    let records = parse_csv(&text);
    assert_eq!(records.len(), 13, "12 students and the all-students line");
    for record in &records[..12] {
        let json_row = row(&record[1]);
        assert_eq!(record[0], json_row["name"]);
        for (cell, status) in record[2..4]
            .iter()
            .zip(json_row["cells"].as_array().unwrap())
        {
            assert_eq!(cell, status.as_str().unwrap_or(""));
        }
        let t = &json_row["totals"]["counts"];
        let numbers: Vec<String> = ["present", "late", "excused", "absent"]
            .iter()
            .map(|k| t[k].to_string())
            .collect();
        assert_eq!(record[4..8], numbers[..]);
        assert_eq!(record[8], percent(&json_row["totals"]["rate"]));
    }
    assert_eq!(records[12][0], "All students");
    assert_eq!(records[12][8], percent(&report["rate"]));

    // Scheduled basis: no session was skipped, so the same here; the page says which it is.
    let scheduled = teacher
        .ok(
            "class_report",
            json!({ "class_id": biology, "range": {}, "basis": "scheduled" }),
        )
        .await;
    assert_eq!(scheduled["basis"], "scheduled");
}

#[tokio::test]
async fn a_students_report_has_their_rate_streaks_and_calendar() {
    let app = spawn_app().await;
    two_sessions(&app).await;
    let day = app.server.state.config.time_zone.date_label(now_ms());
    let own = app
        .student(3)
        .await
        .ok("student_report", json!({ "range": {} }))
        .await;
    assert_eq!(own["username"], "student3");
    assert_eq!(own["totals"]["counts"]["absent"], 2);
    assert_eq!(own["totals"]["current_absence_streak"], 2);
    assert_eq!(percent(&own["totals"]["rate"]), "0%");
    let calendar = own["calendar"].as_array().unwrap();
    let today = calendar.iter().find(|d| d["day"] == day).unwrap();
    assert_eq!(today["standing"], "absent");
    assert_eq!(today["sessions"], 2);
    assert_eq!(own["history"].as_array().unwrap().len(), 2);

    // A teacher sees a student only in the classes they teach: student20 is in Chemistry 10B
    // (Ms. Rivera) and History 9C (Mr. Okafor).
    let student20 = app.user_id("student20").await;
    for (teacher, class) in [("rivera", "Chemistry 10B"), ("okafor", "History 9C")] {
        let seen = app
            .login(teacher, "teacher-demo")
            .await
            .ok(
                "student_report",
                json!({ "student_id": student20, "range": {} }),
            )
            .await;
        assert_eq!(seen["limited_to_own_classes"], true);
        let classes: Vec<&str> = seen["classes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["class_name"].as_str().unwrap())
            .collect();
        assert_eq!(classes, [class], "{teacher}");
    }
    let admin = app.login("admin", "admin-demo").await;
    let all = admin
        .ok(
            "student_report",
            json!({ "student_id": student20, "range": {} }),
        )
        .await;
    assert_eq!(all["classes"].as_array().unwrap().len(), 2);

    // Their CSV: one line per session.
    let (status, text, _) = get_csv(&app.student(3).await, "/api/reports/student.csv", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let records = parse_csv(&text);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0][3], "absent");
}

#[tokio::test]
async fn the_school_report_lists_chronic_absence_and_sessions_never_taken() {
    let app = spawn_app().await;
    two_sessions(&app).await;
    // A History session whose time passed without anyone opening it.
    let db = database(&app.server.state.config.database_url).await;
    let history_id: i64 = sqlx::query_scalar("SELECT id FROM classes WHERE name = 'History 9C'")
        .fetch_one(&db)
        .await
        .unwrap();
    let start = now_ms() - 60_000;
    sqlx::query(
        "INSERT INTO class_sessions (class_id, starts_at_ms, ends_at_ms, late_after_minutes, \
         is_open, closed_at_ms) VALUES ($1, $2, $3, 10, 0, $4)",
    )
    .bind(history_id)
    .bind(start)
    .bind(start + 1000)
    .bind(start + 1000)
    .execute(&db)
    .await
    .unwrap();

    let admin = app.login("admin", "admin-demo").await;
    let report = admin.ok("school_report", json!({ "range": {} })).await;
    assert_eq!(report["overall"]["sessions_held"], 2);
    assert_eq!(report["overall"]["sessions_not_held"], 1);
    let chronic: Vec<&str> = report["chronic"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["username"].as_str().unwrap())
        .collect();
    assert!(chronic.contains(&"student3"));
    assert!(!chronic.contains(&"student1"), "always present");
    assert_eq!(report["untaken"][0]["class_name"], "History 9C");
    assert!(!report["by_hour"].as_array().unwrap().is_empty());
    // A stricter rule: only two absences in a row at 0% or below.
    let strict = admin
        .ok(
            "school_report",
            json!({ "range": {}, "rule": { "below_rate": 0.0, "absences_in_a_row": 5 } }),
        )
        .await;
    assert_eq!(strict["chronic"].as_array().unwrap().len(), 0);

    for table in ["classes", "days", "hours", "chronic", "untaken"] {
        let (status, text, _) = get_csv(
            &admin,
            "/api/reports/school.csv",
            &[("table", table.into())],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{table}: {text}");
        assert!(
            !parse_csv(&text).is_empty() || table == "untaken",
            "{table}"
        );
    }
    let chronic_csv = parse_csv(
        &get_csv(
            &admin,
            "/api/reports/school.csv",
            &[("table", "chronic".into())],
        )
        .await
        .1,
    );
    assert_eq!(
        chronic_csv.len(),
        report["chronic"].as_array().unwrap().len()
    );
    let (status, _, _) = get_csv(
        &admin,
        "/api/reports/school.csv",
        &[("table", "secrets".into())],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn csv_cells_that_look_like_formulas_are_defused() {
    let app = spawn_app().await;
    let admin = app.login("admin", "admin-demo").await;
    let teacher = app.teacher().await;
    let biology = teacher.class_id("Biology 9A").await;
    let student1 = app.user_id("student1").await;
    admin
        .ok(
            "update_user",
            json!({ "user_id": student1, "display_name": "=HYPERLINK(\"http://evil\")", "role": "student" }),
        )
        .await;
    let (_, text, _) = get_csv(
        &teacher,
        "/api/reports/class.csv",
        &[("class_id", biology.to_string())],
    )
    .await;
    let records = parse_csv(&text);
    assert!(
        records
            .iter()
            .any(|r| r[0] == "'=HYPERLINK(\"http://evil\")"),
        "{records:?}"
    );
}

#[tokio::test]
async fn reports_and_their_csvs_check_who_is_asking() {
    let app = spawn_app().await;
    let teacher = app.teacher().await;
    let biology = teacher.class_id("Biology 9A").await;
    let student1 = app.user_id("student1").await;
    let (session, _) = teacher.open_session("Biology 9A", 10).await;
    let anonymous = app.anonymous();
    let callers = [
        ("anonymous", anonymous),
        ("student", app.student(1).await),
        ("other student", app.student(2).await),
        ("owner", teacher),
        ("other teacher", app.login("okafor", "teacher-demo").await),
        ("admin", app.login("admin", "admin-demo").await),
    ];
    use StatusCode as S;
    let (ok, unauth, forbidden) = (S::OK, S::UNAUTHORIZED, S::FORBIDDEN);
    type Case<'a> = (&'a str, Vec<(&'a str, String)>, [StatusCode; 6]);
    let cases: Vec<Case> = vec![
        (
            "/api/reports/class.csv",
            vec![("class_id", biology.to_string())],
            [unauth, forbidden, forbidden, ok, forbidden, ok],
        ),
        (
            "/api/reports/student.csv",
            vec![("student_id", student1.to_string())],
            [unauth, ok, forbidden, ok, forbidden, ok],
        ),
        (
            "/api/reports/school.csv",
            vec![],
            [unauth, forbidden, forbidden, forbidden, forbidden, ok],
        ),
        (
            "/api/reports/check-ins.csv",
            vec![("session", session.to_string())],
            [unauth, forbidden, forbidden, ok, forbidden, ok],
        ),
    ];
    let mut failures = Vec::new();
    for (path, query, expected) in &cases {
        for ((who, client), want) in callers.iter().zip(expected) {
            let (status, body, _) = get_csv(client, path, query).await;
            if status != *want {
                failures.push(format!(
                    "{path} as {who}: got {status}, want {want}: {body}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));

    // Ranges that make no sense are refused with a sentence.
    let owner = &callers[3].1;
    for range in [
        json!({ "first_day": "yesterday" }),
        json!({ "first_day": "2026-09-10", "last_day": "2026-09-01" }),
        json!({ "first_day": "2024-01-01", "last_day": "2026-01-01" }),
    ] {
        let (status, answer) = owner
            .call(
                "class_report",
                json!({ "class_id": biology, "range": range }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    }
}
