//! The tokens file written by `seed`: one account a line, `role id token`.

use crate::args::Args;

/// One line of the tokens file: role, user id, bearer token.
#[derive(Clone)]
pub struct Account {
    pub role: String,
    pub id: i64,
    pub token: String,
}

impl Account {
    /// The line `seed` writes for this account.
    pub fn line(role: &str, id: i64, token: &str) -> String {
        format!("{role} {id} {token}")
    }
}

fn read_tokens(path: &str) -> Vec<Account> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {path}: {e} (run `rollcall-load seed` first)"))
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            Some(Account {
                role: parts.next()?.to_string(),
                id: parts.next()?.parse().ok()?,
                token: parts.next()?.to_string(),
            })
        })
        .collect()
}

/// The teacher and the students of the tokens file named by `--tokens`.
pub fn load(args: &Args) -> (Account, Vec<Account>) {
    let accounts = read_tokens(&args.tokens_path());
    let teacher = accounts
        .iter()
        .find(|a| a.role == "teacher")
        .expect("a teacher token")
        .clone();
    let students = accounts
        .iter()
        .filter(|a| a.role == "student")
        .cloned()
        .collect();
    (teacher, students)
}
