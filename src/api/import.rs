//! CSV import of people and enrolments (admins only), in two steps: `POST
//! /api/admin/import/preview` shows what every row would do and every error with its line, and
//! writes nothing; `POST /api/admin/import/apply?digest=…` writes that previewed plan in one
//! transaction, or nothing if the school changed since. Both take the file itself as the body
//! (`Content-Type: text/csv`), so a file in the wrong encoding is caught, not silently decoded.
//! The format is in `domain::import` and docs/api.md.

use crate::domain::import::{LineError, RowPlan};
use serde::{Deserialize, Serialize};

/// Where the import routes live (they take CSV, not JSON, and larger bodies).
pub const PATH_PREFIX: &str = "/api/admin/import/";
pub const PREVIEW_PATH: &str = "/api/admin/import/preview";
pub const APPLY_PATH: &str = "/api/admin/import/apply";
pub const TEMPLATE_PATH: &str = "/api/admin/import/template.csv";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportPreview {
    /// True when there are no errors: the plan may be applied.
    pub ok: bool,
    pub errors: Vec<LineError>,
    pub rows: Vec<RowPlan>,
    pub create: u32,
    pub update: u32,
    pub unchanged: u32,
    /// Send back to apply exactly this plan.
    pub digest: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneTimePassword {
    pub username: String,
    pub display_name: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportResult {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub memberships_added: u32,
    /// The generated first passwords of new accounts without one in the file: shown once.
    pub one_time_passwords: Vec<OneTimePassword>,
}

#[cfg(feature = "ssr")]
pub use handlers::*;

#[cfg(feature = "ssr")]
mod handlers {
    use super::*;
    use crate::domain::import::{plan, plan_text, read_rows, RowAction, TEMPLATE};
    use crate::domain::{CurrentUser, Role};
    use crate::error::{AppError, AppResult};
    use crate::server::{auth, crypto, now_ms, AppState};
    use axum::body::Bytes;
    use axum::extract::{Query, State};
    use axum::http::{header, HeaderMap};
    use axum::response::{IntoResponse, Response};
    use axum::Json;
    use std::collections::HashMap;

    /// The largest file accepted (about 50,000 rows of typical width).
    pub const MAX_IMPORT_BYTES: usize = 5 * 1024 * 1024;

    async fn admin(state: &AppState, headers: &HeaderMap) -> AppResult<CurrentUser> {
        let user = auth::authenticate(state, headers).await?;
        if user.role != Role::Admin {
            return Err(AppError::forbidden("Importing people is for admins."));
        }
        Ok(user)
    }

    fn digest(text: &str) -> String {
        crypto::token_hash(text)
    }

    pub async fn preview(
        State(state): State<AppState>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        respond(preview_of(&state, &headers, &body).await)
    }

    async fn preview_of(
        state: &AppState,
        headers: &HeaderMap,
        body: &[u8],
    ) -> AppResult<ImportPreview> {
        let admin = admin(state, headers).await?;
        let refused = |errors| ImportPreview {
            ok: false,
            errors,
            rows: Vec::new(),
            create: 0,
            update: 0,
            unchanged: 0,
            digest: String::new(),
        };
        let rows = match read_rows(body) {
            Ok(rows) => rows,
            Err(errors) => return Ok(refused(errors)),
        };
        let school = state.store.import_school().await?;
        let plans = match plan(rows, &school, &admin.username) {
            Ok(plans) => plans,
            Err(errors) => return Ok(refused(errors)),
        };
        let count = |action: RowAction| plans.iter().filter(|p| p.action == action).count() as u32;
        Ok(ImportPreview {
            ok: true,
            errors: Vec::new(),
            create: count(RowAction::Create),
            update: count(RowAction::Update),
            unchanged: count(RowAction::Unchanged),
            digest: digest(&plan_text(&plans)),
            rows: plans,
        })
    }

    #[derive(Deserialize)]
    pub struct ApplyQuery {
        digest: String,
    }

    pub async fn apply(
        State(state): State<AppState>,
        headers: HeaderMap,
        Query(query): Query<ApplyQuery>,
        body: Bytes,
    ) -> Response {
        respond(apply_of(&state, &headers, &query.digest, &body).await)
    }

    async fn apply_of(
        state: &AppState,
        headers: &HeaderMap,
        expected: &str,
        body: &[u8],
    ) -> AppResult<ImportResult> {
        let admin = admin(state, headers).await?;
        let invalid = || {
            AppError::bad_request(
                "This file has errors; preview it to see them. Nothing was written.",
            )
        };
        let rows = read_rows(body).map_err(|_| invalid())?;
        let school = state.store.import_school().await?;
        let plans = plan(rows.clone(), &school, &admin.username).map_err(|_| invalid())?;
        // Passwords are hashed before the transaction (hashing is slow; the lock is not held
        // meanwhile). The transaction plans again and must reach the same plan.
        let mut hashes = HashMap::new();
        let mut one_time_passwords = Vec::new();
        for row in plans.iter().filter(|p| p.action == RowAction::Create) {
            let hash = match &row.password {
                Some(password) => auth::hash_password_gated(password.clone()).await?,
                None => {
                    let password = crypto::one_time_password();
                    let hash = auth::hash_generated_password(&password);
                    one_time_passwords.push(OneTimePassword {
                        username: row.username.clone(),
                        display_name: row.display_name.clone(),
                        password,
                    });
                    hash
                }
            };
            hashes.insert(row.username.clone(), hash);
        }
        let applied = state
            .store
            .apply_import(rows, &admin.username, expected, digest, &hashes, now_ms())
            .await?;
        Ok(ImportResult {
            created: applied.created,
            updated: applied.updated,
            unchanged: applied.unchanged,
            memberships_added: applied.memberships_added,
            one_time_passwords,
        })
    }

    /// The template: the header and two example rows.
    pub async fn template() -> Response {
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"rollcall-import-template.csv\"",
                ),
            ],
            TEMPLATE,
        )
            .into_response()
    }

    fn respond<T: Serialize>(result: AppResult<T>) -> Response {
        match result {
            Ok(value) => Json(value).into_response(),
            Err(error) => error.into_response(),
        }
    }
}
