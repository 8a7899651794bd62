//! `seed`: a teacher, `--students` students in one "Load class", the first `--lecture` (500) of
//! them also in a "Lecture class" (a lecture-sized dashboard), and a long-lived bearer token for
//! each, written to `--tokens` for the other scenarios. Uses DATABASE_URL directly.

use crate::accounts::Account;
use crate::args::Args;
use rollcall::domain::{Role, Username};
use rollcall::server::auth::hash_password;
use rollcall::server::crypto::{random_token, token_hash};
use rollcall::server::store::Store;
use serde_json::{json, Value};

pub async fn seed(args: &Args) -> Value {
    let students: usize = args.get("students", 10_000);
    let lecture: usize = args.get("lecture", 500);
    let path = args.tokens_path();
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
        lines.push(Account::line(role, id, &token));
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
        .create_class("Load class", &[teacher], &ids)
        .await
        .unwrap();
    store
        .create_class("Lecture class", &[teacher], &ids[..lecture.min(ids.len())])
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
    json!({ "scenario": "seed", "students": students, "lecture": lecture.min(students), "tokens": path, "database": url })
}
