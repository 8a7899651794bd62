//! `reports`: how long the reports take at a school's size. Fills a fresh database (its
//! DATABASE_URL, default `sqlite:rollcall-reports.db`) with a past term: `--students` students
//! (2,000), `--classes` classes (100) of 30, each meeting every weekday for `--weeks` weeks (18)
//! with a mark for every student (85% present, 5% late, 3% excused, 7% absent; one session in
//! fifty never taken). Then starts the real server on it in this process and times, over HTTP as
//! an admin, a class's register over the term (server function and the whole page), the school
//! report (server function and page) and one school CSV. Prints the median of `--runs` (5).

use crate::args::Args;
use rollcall::server::config::Config;
use rollcall::server::now_ms;
use serde_json::{json, Value};
use std::time::Instant;

const DAY_MS: i64 = 86_400_000;
const PASSWORD: &str = "report-bench-password";

pub async fn reports(args: &Args) -> Value {
    let students: i64 = args.get("students", 2000);
    let classes: i64 = args.get("classes", 100);
    let weeks: i64 = args.get("weeks", 18);
    let runs: usize = args.get("runs", 5);
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "sqlite:rollcall-reports.db?mode=rwc".into());
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let store = rollcall::server::store::Store::open(&url, tx)
        .await
        .expect("database");
    store.close().await;
    let started = Instant::now();
    let (sessions, marks) = fill(&url, students, classes, weeks).await;
    let fill_s = started.elapsed().as_secs_f64();

    let mut config = Config::defaults("127.0.0.1:0".parse().unwrap());
    config.database_url = url.clone();
    config.seed_demo = false;
    let options = leptos::config::LeptosOptions::builder()
        .output_name("rollcall")
        .site_root("target/site")
        .build();
    let server = rollcall::startup::start(config, options)
        .await
        .expect("server starts");
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{base}/api/login"))
        .json(&json!({ "username": "report.admin", "password": PASSWORD, "bearer": true }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().expect("admin signs in").to_string();
    let first = server
        .state
        .config
        .time_zone
        .date_label(now_ms() - weeks * 7 * DAY_MS);
    let last = server.state.config.time_zone.date_label(now_ms());
    let class_id: i64 = 1;
    let range = json!({ "first_day": first, "last_day": last });
    let query = format!("from={first}&to={last}");
    let timings = [
        (
            "class_report_fn",
            "/api/class_report".to_string(),
            Some(json!({ "class_id": class_id, "range": range })),
        ),
        (
            "class_report_page",
            format!("/teacher/classes/{class_id}/report?{query}"),
            None,
        ),
        (
            "school_report_fn",
            "/api/school_report".to_string(),
            Some(json!({ "range": range })),
        ),
        (
            "school_report_page",
            format!("/admin/reports?{query}"),
            None,
        ),
        (
            "school_chronic_csv",
            format!("/api/reports/school.csv?table=chronic&{query}"),
            None,
        ),
    ];
    let mut figures = serde_json::Map::new();
    // The database read alone, for the school report (without counting or HTTP).
    let (from_ms, until_ms) = (now_ms() - weeks * 7 * DAY_MS - DAY_MS, now_ms() + DAY_MS);
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let rows = server
            .state
            .store
            .school_register(from_ms, until_ms)
            .await
            .unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(!rows.marks.is_empty());
    }
    times.sort_by(f64::total_cmp);
    figures.insert(
        "school_register_read".into(),
        json!({ "median_ms": (times[times.len() / 2] * 10.0).round() / 10.0 }),
    );
    for (name, path, body) in timings {
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..runs {
            let request = match &body {
                Some(body) => http.post(format!("{base}{path}")).json(body),
                None => http.get(format!("{base}{path}")),
            };
            let started = Instant::now();
            let response = request.bearer_auth(&token).send().await.unwrap();
            let status = response.status();
            let text = response.bytes().await.unwrap();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            assert!(
                status.is_success(),
                "{name}: {status} {}",
                String::from_utf8_lossy(&text)
            );
            bytes = text.len();
        }
        times.sort_by(f64::total_cmp);
        figures.insert(
            name.into(),
            json!({ "median_ms": (times[times.len() / 2] * 10.0).round() / 10.0,
                    "max_ms": (times[times.len() - 1] * 10.0).round() / 10.0, "bytes": bytes }),
        );
    }
    server.shutdown().await;
    json!({
        "scenario": "reports",
        "students": students,
        "classes": classes,
        "sessions": sessions,
        "marks": marks,
        "fill_seconds": (fill_s * 10.0).round() / 10.0,
        "runs": runs,
        "timings": figures,
    })
}

/// The past term, written straight into the tables (the store's own paths would take minutes).
async fn fill(url: &str, students: i64, classes: i64, weeks: i64) -> (i64, i64) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.expect("database");
    let mut tx = pool.begin().await.unwrap();
    let now = now_ms();
    let hash = rollcall::server::auth::hash_password(PASSWORD);
    sqlx::query(
        "INSERT INTO users (username, display_name, role, password_hash, created_at_ms) \
         VALUES ('report.admin', 'Report Admin', 'admin', $1, $2)",
    )
    .bind(&hash)
    .bind(now)
    .execute(&mut *tx)
    .await
    .expect("an empty database (delete it to run again)");
    let mut rows = Vec::new();
    for n in 0..students {
        rows.push(format!(
            "('rs{n}', 'Report Student {n:04}', 'student', 'x', {now})"
        ));
    }
    insert(
        &mut tx,
        "users (username, display_name, role, password_hash, created_at_ms)",
        &rows,
    )
    .await;
    let first_student: i64 = sqlx::query_scalar("SELECT MIN(id) FROM users WHERE role = 'student'")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let rows: Vec<String> = (0..classes)
        .map(|c| format!("({}, 'Report class {c:03}')", c + 1))
        .collect();
    insert(&mut tx, "classes (id, name)", &rows).await;
    let roster = |class: i64| -> Vec<i64> {
        (0..30)
            .map(|k| first_student + (class * 20 + k) % students)
            .collect()
    };
    let mut rows = Vec::new();
    for class in 0..classes {
        rows.extend(
            roster(class)
                .iter()
                .map(|s| format!("({}, {s})", class + 1)),
        );
    }
    insert(&mut tx, "enrollments (class_id, student_id)", &rows).await;
    // Sessions on every weekday of the past `weeks` weeks, and their marks.
    let mut seed: u64 = 42;
    let mut random = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % 100
    };
    let start_day = (now / DAY_MS - weeks * 7) * DAY_MS;
    let (mut session_rows, mut mark_rows, mut id) = (Vec::new(), Vec::new(), 0i64);
    for day in 0..weeks * 7 {
        let midnight = start_day + day * DAY_MS;
        // 1970-01-01 was a Thursday: days 2 and 3 of each week are Saturday and Sunday.
        if matches!((midnight / DAY_MS).rem_euclid(7), 2 | 3) {
            continue;
        }
        for class in 0..classes {
            id += 1;
            let starts = midnight + (8 + class % 8) * 3_600_000;
            let held = random() >= 2;
            let opened = if held {
                starts.to_string()
            } else {
                "NULL".into()
            };
            session_rows.push(format!(
                "({id}, {}, {starts}, {}, 5, 0, {opened}, {})",
                class + 1,
                starts + 2_700_000,
                starts + 2_700_000
            ));
            if held {
                for student in roster(class) {
                    let status = match random() {
                        0..=84 => "present",
                        85..=89 => "late",
                        90..=92 => "excused",
                        _ => "absent",
                    };
                    mark_rows.push(format!(
                        "({id}, {student}, '{status}', 'teacher', {starts}, 1)"
                    ));
                }
            }
        }
    }
    insert(
        &mut tx,
        "class_sessions (id, class_id, starts_at_ms, ends_at_ms, late_after_minutes, is_open, opened_at_ms, closed_at_ms)",
        &session_rows,
    )
    .await;
    insert(
        &mut tx,
        "attendance (session_id, student_id, status, source, marked_at_ms, version)",
        &mark_rows,
    )
    .await;
    tx.commit().await.unwrap();
    pool.close().await;
    (session_rows.len() as i64, mark_rows.len() as i64)
}

async fn insert(tx: &mut sqlx::Transaction<'_, sqlx::Any>, into: &str, rows: &[String]) {
    for chunk in rows.chunks(500) {
        sqlx::query(&format!("INSERT INTO {into} VALUES {}", chunk.join(", ")))
            .execute(&mut **tx)
            .await
            .unwrap();
    }
}
