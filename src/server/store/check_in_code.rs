//! Which session a typed or scanned code names: a QR link's claim (checked against the
//! session's secret and window), a session's fixed code, or an open session's rotating code.

use super::rows::rules_from_column;
use crate::domain::rotating_code::{age_of, is_code_of, recognise, CodeAge};
use crate::domain::{JoinCode, SessionId};
use sqlx::AnyConnection;

/// What a QR link claims: the code is this session's code of this window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeLink {
    pub session_id: SessionId,
    pub window: i64,
}

/// The session a code names, and whether the code is still good.
pub(super) struct Named {
    pub session_id: SessionId,
    pub window: Option<i64>,
    pub expired: bool,
}

/// Finds the session a code belongs to: the QR link's claim, checked; else a session's fixed
/// code (the open one first; a closed one explains the refusal); else an open session's
/// rotating code, recent enough to be recognised.
pub(super) async fn session_named(
    conn: &mut AnyConnection,
    code: &JoinCode,
    link: Option<CodeLink>,
    now_ms: i64,
) -> sqlx::Result<Option<Named>> {
    if let Some(link) = link {
        let key = code_key(conn, link.session_id).await?;
        if let Some((secret, period)) = key {
            let secret = secret.as_bytes();
            if is_code_of(secret, link.session_id, period, link.window, code) {
                match age_of(link.window, now_ms, period) {
                    CodeAge::Future => {} // not a window this server has shown: a wrong code
                    age => {
                        return Ok(Some(Named {
                            session_id: link.session_id,
                            window: Some(link.window),
                            expired: age == CodeAge::Expired,
                        }))
                    }
                }
            }
        }
        // A link whose code does not check out may have been edited: read the code as typed.
    }
    let fixed: Option<(i64, Option<String>)> = sqlx::query_as(
        "SELECT s.id, COALESCE(s.check_in_rules, c.check_in_rules) FROM class_sessions s \
         JOIN classes c ON c.id = s.class_id WHERE s.join_code = $1 \
         ORDER BY s.is_open DESC, s.id DESC LIMIT 1",
    )
    .bind(code.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((session_id, rules)) = fixed {
        // A session that rotates its codes does not take its fixed one.
        if rules_from_column(rules.as_deref())
            .rotate_every_seconds
            .is_none()
        {
            return Ok(Some(Named {
                session_id,
                window: None,
                expired: false,
            }));
        }
    }
    let open: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT s.id, s.code_secret, COALESCE(s.check_in_rules, c.check_in_rules) \
         FROM class_sessions s JOIN classes c ON c.id = s.class_id \
         WHERE s.is_open = 1 AND s.code_secret IS NOT NULL ORDER BY s.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (session_id, secret, rules) in open {
        let Some(period) = rules_from_column(rules.as_deref()).rotate_every_seconds else {
            continue;
        };
        if let Some((window, age)) = recognise(secret.as_bytes(), session_id, period, code, now_ms)
        {
            if age != CodeAge::Future {
                return Ok(Some(Named {
                    session_id,
                    window: Some(window),
                    expired: age == CodeAge::Expired,
                }));
            }
        }
    }
    Ok(None)
}

/// The secret and period of a session's rotating code, when it has one.
pub(super) async fn code_key(
    conn: &mut AnyConnection,
    session_id: SessionId,
) -> sqlx::Result<Option<(String, u32)>> {
    let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT s.code_secret, COALESCE(s.check_in_rules, c.check_in_rules) \
         FROM class_sessions s JOIN classes c ON c.id = s.class_id WHERE s.id = $1",
    )
    .bind(session_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|(secret, rules)| {
        let period = rules_from_column(rules.as_deref()).rotate_every_seconds?;
        Some((secret?, period))
    }))
}
