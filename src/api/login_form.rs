//! `POST /login`: sign-in as a plain HTML form, for a browser whose WebAssembly has not loaded
//! (yet). It runs the same `login` server function as the hydrated page, then answers with a
//! redirect: to the safe `next` path or the user's start page, or back to the sign-in page with
//! the kind of failure (never the password) in the address.

use super::auth::login;
use crate::domain::redirect::safe_next_path;
use crate::error::AppError;
use crate::server::AppState;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use leptos::prelude::{provide_context, Owner};
use leptos::reactive::computed::ScopedFuture;
use leptos_axum::ResponseOptions;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn sign_in_with_form(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let form = Form::<LoginForm>::from_request(Request::from_parts(parts.clone(), body), &state)
        .await
        .map(|Form(form)| form)
        .unwrap_or(LoginForm {
            username: String::new(),
            password: String::new(),
            next: String::new(),
        });
    let response_options = ResponseOptions::default();
    // The server function reads the app state, the request and the response options from its
    // reactive context, exactly as when it is called over /api/login.
    let owner = Owner::new();
    let signed_in = owner
        .with(|| {
            provide_context(state.clone());
            provide_context(parts);
            provide_context(response_options.clone());
            ScopedFuture::new(login(form.username, form.password, false))
        })
        .await;
    drop(owner);
    let location = match &signed_in {
        Ok(answer) => safe_next_path(&form.next).unwrap_or_else(|| answer.home.clone()),
        Err(error) => failed_sign_in_path(error, &form.next),
    };
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&location) {
        headers.insert(header::LOCATION, location);
    }
    for cookie in response_options
        .0
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .headers
        .get_all(header::SET_COOKIE)
    {
        headers.append(header::SET_COOKIE, cookie.clone());
    }
    response
}

/// `/login?error=<kind>&next=<next>`: the page shows the sentence for that kind of failure.
fn failed_sign_in_path(error: &AppError, next: &str) -> String {
    let kind = serde_json::to_value(error.kind)
        .ok()
        .and_then(|kind| kind.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("error", &kind);
    if let Some(next) = safe_next_path(next) {
        query.append_pair("next", &next);
    }
    format!("/login?{}", query.finish())
}
