//! The command line: `rollcall [--demo]` serves; `rollcall admin …` manages accounts from a
//! shell (the first administrator, or one who is locked out) without the server running.

use super::auth::hash_password;
use super::connections::{EndReason, EndSignIns, EndTarget};
use super::store::Store;
use crate::domain::password::check_new_password;
use crate::domain::{Role, Username};

pub const USAGE: &str = "usage:
  rollcall [--demo]                                serve (--demo: seed the demo school)
  rollcall admin create <username> [--name \"Display Name\"]
                                                   create an administrator
  rollcall admin reset-password <username>         set a new password for any user
  rollcall rotate-vapid-keys                       new Web Push keys (every device must turn
                                                   push on again; restart every instance)
The admin commands read the new password from standard input (typed without echo on a
terminal, or one line from a pipe) and use DATABASE_URL like the server.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Serve {
        demo: bool,
    },
    CreateAdmin {
        username: String,
        display_name: Option<String>,
    },
    ResetPassword {
        username: String,
    },
    RotateVapidKeys,
}

/// Reads the arguments after the program name.
pub fn parse_args(args: &[String]) -> Result<Command, String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        [] => Ok(Command::Serve { demo: false }),
        ["--demo"] => Ok(Command::Serve { demo: true }),
        ["admin", "create", username, rest @ ..] => {
            let display_name = match rest {
                [] => None,
                ["--name", name] if !name.trim().is_empty() => Some(name.trim().to_string()),
                _ => return Err(format!("unexpected {rest:?}\n{USAGE}")),
            };
            Ok(Command::CreateAdmin {
                username: username.to_string(),
                display_name,
            })
        }
        ["admin", "reset-password", username] => Ok(Command::ResetPassword {
            username: username.to_string(),
        }),
        ["rotate-vapid-keys"] => Ok(Command::RotateVapidKeys),
        ["--help" | "-h" | "help"] => Err(USAGE.to_string()),
        _ => Err(format!("unknown command {words:?}\n{USAGE}")),
    }
}

/// `scheme://user:password@host…` → `scheme://user:***@host…`, so logs never hold the
/// database password. Anything else is returned unchanged.
pub fn redact_database_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((credentials, host)) = authority.rsplit_once('@') else {
        return url.to_string();
    };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
        None => url.to_string(),
    }
}

/// Replaces the database password wherever it appears in `text` (error messages may quote
/// the URL, whole or in parts).
pub fn redact_in(text: &str, database_url: &str) -> String {
    let redacted = text.replace(database_url, &redact_database_url(database_url));
    match password_of(database_url) {
        Some(password) if password.len() >= 3 => redacted.replace(password, "***"),
        _ => redacted,
    }
}

fn password_of(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let (credentials, _) = authority.rsplit_once('@')?;
    Some(credentials.split_once(':')?.1)
}

/// Creates an administrator with `password`; a taken username is an error with a sentence.
/// Replaces the VAPID key pair and forgets every push subscription (push services refuse
/// pushes signed with another key than the one a browser subscribed with).
pub async fn rotate_vapid_keys(store: &Store, now_ms: i64) -> Result<String, String> {
    use super::notify::vapid::{new_private_key, Vapid, VAPID_KEY_NAME};
    let failed = |e: crate::error::AppError| format!("cannot rotate the VAPID keys: {}", e.message);
    store
        .forget_server_key(VAPID_KEY_NAME)
        .await
        .map_err(failed)?;
    let removed = store.drop_all_push_subscriptions().await.map_err(failed)?;
    let private = store
        .server_key(VAPID_KEY_NAME, new_private_key, now_ms)
        .await
        .map_err(failed)?;
    let public = Vapid::from_private(&private, "mailto:rollcall@localhost")?.public_key;
    Ok(format!(
        "New VAPID public key: {public}\n{removed} device subscription(s) removed: people turn \
         push on again in their notification settings. Restart every instance so they sign with \
         the new key."
    ))
}

pub async fn create_admin(
    store: &Store,
    username: &str,
    display_name: Option<&str>,
    password: &str,
) -> Result<String, String> {
    let username = Username::parse(username)?;
    check_new_password(username.as_str(), password)?;
    let display_name = display_name.unwrap_or(username.as_str()).to_string();
    let hash = hash_password(password);
    store
        .create_user(
            &username,
            &display_name,
            Role::Admin,
            &hash,
            super::now_ms(),
        )
        .await
        .map_err(|error| error.message)?;
    Ok(format!(
        "Created the administrator {} ({display_name}). Sign in with the password you typed.",
        username.as_str()
    ))
}

/// Sets a user's password (no change is forced: the operator typed it for themselves) and ends
/// every sign-in of that user.
pub async fn reset_password(
    store: &Store,
    username: &str,
    password: &str,
) -> Result<String, String> {
    let username = Username::parse(username)?;
    check_new_password(username.as_str(), password)?;
    let user = store
        .credentials(&username)
        .await
        .map_err(|error| error.message)?
        .ok_or_else(|| format!("There is no user {}.", username.as_str()))?;
    let ending = EndSignIns {
        target: EndTarget::User {
            user_id: user.id,
            except: None,
        },
        reason: EndReason::PasswordChanged,
    };
    store
        .set_password(user.id, &hash_password(password), false, Some(&ending))
        .await
        .map_err(|error| error.message)?;
    Ok(format!(
        "New password set for {}; every sign-in of that account has ended.",
        username.as_str()
    ))
}

/// The new password from standard input: typed twice without echo on a terminal, or the first
/// line of a pipe.
pub fn read_new_password() -> Result<String, String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Type it again: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("The two passwords differ; nothing was changed.".into());
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn commands_are_read() {
        assert_eq!(parse_args(&[]), Ok(Command::Serve { demo: false }));
        assert_eq!(
            parse_args(&args(&["--demo"])),
            Ok(Command::Serve { demo: true })
        );
        assert_eq!(
            parse_args(&args(&["admin", "create", "head", "--name", "Dr. Head"])),
            Ok(Command::CreateAdmin {
                username: "head".into(),
                display_name: Some("Dr. Head".into())
            })
        );
        assert_eq!(
            parse_args(&args(&["admin", "reset-password", "head"])),
            Ok(Command::ResetPassword {
                username: "head".into()
            })
        );
        assert_eq!(
            parse_args(&args(&["rotate-vapid-keys"])),
            Ok(Command::RotateVapidKeys)
        );
        assert!(parse_args(&args(&["admin", "create"])).is_err());
        assert!(parse_args(&args(&["admin", "create", "x", "--name"])).is_err());
        assert!(parse_args(&args(&["--demo", "--demo"])).is_err());
    }

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact_database_url("postgres://app:s3cret@db.example:5432/rollcall?sslmode=require"),
            "postgres://app:***@db.example:5432/rollcall?sslmode=require"
        );
        // An @ in the password (percent-encoding is optional for some drivers).
        assert_eq!(
            redact_database_url("postgres://app:p@ss@db/rollcall"),
            "postgres://app:***@db/rollcall"
        );
        for unchanged in [
            "sqlite:rollcall.db",
            "postgres://app@db/rollcall",
            "postgres://db/rollcall",
        ] {
            assert_eq!(redact_database_url(unchanged), unchanged);
        }
        let url = "postgres://app:s3cret@db/rollcall";
        let error =
            format!("cannot open the database: connecting to {url}: password s3cret refused");
        let shown = redact_in(&error, url);
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("postgres://app:***@db/rollcall"), "{shown}");
    }
}
