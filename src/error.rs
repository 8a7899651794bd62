//! The one error type: every failure a user can trigger, with a sentence they understand and the
//! HTTP status it maps to. Server functions return it; the browser shows `message`.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    TooManyRequests,
    PayloadTooLarge,
    /// The body is not in the format the endpoint reads (e.g. not JSON).
    UnsupportedMediaType,
    /// The server is at capacity for this kind of work right now; try again shortly.
    Busy,
    /// The browser could not reach the server at all.
    Network,
    Internal,
}

impl ErrorKind {
    /// The kind's name on the wire (as serde writes it), e.g. `too_many_requests`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::TooManyRequests => "too_many_requests",
            ErrorKind::PayloadTooLarge => "payload_too_large",
            ErrorKind::UnsupportedMediaType => "unsupported_media_type",
            ErrorKind::Busy => "busy",
            ErrorKind::Network => "network",
            ErrorKind::Internal => "internal",
        }
    }

    pub fn status_code(self) -> u16 {
        match self {
            ErrorKind::BadRequest => 400,
            ErrorKind::Unauthenticated => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::TooManyRequests => 429,
            ErrorKind::PayloadTooLarge => 413,
            ErrorKind::UnsupportedMediaType => 415,
            ErrorKind::Busy => 503,
            ErrorKind::Network => 503,
            ErrorKind::Internal => 500,
        }
    }

    /// The response status for this kind; every status in `status_code` is a valid one.
    #[cfg(feature = "ssr")]
    pub fn http_status(self) -> axum::http::StatusCode {
        axum::http::StatusCode::from_u16(self.status_code())
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        AppError {
            kind,
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }
    pub fn unauthenticated() -> Self {
        Self::new(ErrorKind::Unauthenticated, "Please sign in to continue.")
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }
    pub fn too_many_requests(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::TooManyRequests, message)
    }
    pub fn internal() -> Self {
        Self::new(
            ErrorKind::Internal,
            "Something went wrong on our side. Nothing was changed; please try again.",
        )
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(detail)
            | ServerFnErrorErr::Deserialization(detail)
            | ServerFnErrorErr::MissingArg(detail) => {
                AppError::bad_request(format!("The request could not be read: {detail}"))
            }
            ServerFnErrorErr::Request(_) => AppError::new(
                ErrorKind::Network,
                "Could not reach Rollcall. Check your connection and try again.",
            ),
            ServerFnErrorErr::UnsupportedRequestMethod(detail) => AppError::bad_request(detail),
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function failed");
                let _ = other;
                AppError::internal()
            }
        }
    }

    // Every error a server function returns passes through here on the server, so this is the
    // one place that turns the error kind into the response status.
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(self.kind.http_status());
        }
        serde_json::to_vec(self).map(Into::into).unwrap_or_default()
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "database error");
        AppError::internal()
    }
}

#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        (self.kind.http_status(), axum::Json(self)).into_response()
    }
}

impl From<crate::domain::CheckInRefusal> for AppError {
    fn from(refusal: crate::domain::CheckInRefusal) -> Self {
        use crate::domain::CheckInRefusal::*;
        let message = refusal.message();
        match refusal {
            WrongCode => AppError::not_found(message),
            SessionClosed => AppError::conflict(message),
            NotOnRoster | OutsideNetwork => AppError::forbidden(message),
            CodeExpired => AppError::conflict(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorKind;
    use ErrorKind::*;

    const EVERY_KIND: [ErrorKind; 11] = [
        BadRequest,
        Unauthenticated,
        Forbidden,
        NotFound,
        Conflict,
        TooManyRequests,
        PayloadTooLarge,
        UnsupportedMediaType,
        Busy,
        Network,
        Internal,
    ];

    #[test]
    fn a_kinds_name_is_the_one_serde_writes() {
        for kind in EVERY_KIND {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn every_kind_has_its_own_status_not_the_fallback() {
        for kind in EVERY_KIND {
            assert_eq!(kind.http_status().as_u16(), kind.status_code(), "{kind:?}");
        }
    }
}
