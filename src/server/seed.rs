//! The demo school seeded into an empty database, so a first run has something to show.

use super::auth::hash_password;
use super::store::Store;
use crate::domain::{Role, Username};
use crate::error::{AppResult, ErrorKind};

pub const ADMIN_PASSWORD: &str = "admin-demo";
pub const TEACHER_PASSWORD: &str = "teacher-demo";
pub const STUDENT_PASSWORD: &str = "student-demo";

const TEACHERS: [(&str, &str); 2] = [("rivera", "Ms. Rivera"), ("okafor", "Mr. Okafor")];
const CLASSES: [(&str, usize, std::ops::Range<usize>); 3] = [
    ("Biology 9A", 0, 0..12),
    ("Chemistry 10B", 0, 10..22),
    ("History 9C", 1, 18..30),
];
const FIRST: [&str; 30] = [
    "Ava", "Ben", "Chloe", "Daniel", "Emma", "Finn", "Grace", "Hugo", "Isla", "Jack", "Kira",
    "Leo", "Maya", "Noah", "Olivia", "Pablo", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera",
    "Will", "Xena", "Yusuf", "Zoe", "Amir", "Bea", "Cole", "Dina",
];
const LAST: [&str; 6] = ["Adams", "Brown", "Chen", "Diaz", "Evans", "Fischer"];

/// Student `n` (1-based) of the demo school: username `student<n>`.
pub fn demo_student(n: usize) -> (String, String) {
    (
        format!("student{n}"),
        format!(
            "{} {}",
            FIRST[(n - 1) % FIRST.len()],
            LAST[(n - 1) % LAST.len()]
        ),
    )
}

/// Seeds when the database has no users; returns whether it did.
pub async fn seed_demo_school(store: &Store, now_ms: i64) -> AppResult<bool> {
    if store.user_count().await? > 0 {
        return Ok(false);
    }
    let user = |name: &str| Username::parse(name).expect("demo usernames are valid");
    // Two instances starting together on an empty database both get here; the first to create
    // the admin seeds, the other finds the name taken and starts without seeding.
    match store
        .create_user(
            &user("admin"),
            "Principal Admin",
            Role::Admin,
            &hash_password(ADMIN_PASSWORD),
            now_ms,
        )
        .await
    {
        Err(error) if error.kind == ErrorKind::Conflict => return Ok(false),
        other => other?,
    };
    let mut teachers = Vec::new();
    for (username, name) in TEACHERS {
        teachers.push(
            store
                .create_user(
                    &user(username),
                    name,
                    Role::Teacher,
                    &hash_password(TEACHER_PASSWORD),
                    now_ms,
                )
                .await?,
        );
    }
    let mut students = Vec::new();
    for n in 1..=30 {
        let (username, name) = demo_student(n);
        students.push(
            store
                .create_user(
                    &user(&username),
                    &name,
                    Role::Student,
                    &hash_password(STUDENT_PASSWORD),
                    now_ms,
                )
                .await?,
        );
    }
    for (name, teacher, roster) in CLASSES {
        store
            .create_class(name, &[teachers[teacher]], &students[roster])
            .await?;
    }
    Ok(true)
}

/// The lines printed at start-up so a newcomer can sign in.
pub fn demo_logins() -> String {
    format!(
        "  admin    / {ADMIN_PASSWORD}      (admin)\n  \
           rivera   / {TEACHER_PASSWORD}    (teacher: Biology 9A, Chemistry 10B)\n  \
           okafor   / {TEACHER_PASSWORD}    (teacher: History 9C)\n  \
           student1 … student30 / {STUDENT_PASSWORD}  (students; student1 is in Biology 9A)"
    )
}
