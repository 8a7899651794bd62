//! The server side of the plain HTML forms (`api::plain_forms`): each handler reads the
//! url-encoded body, runs the same server function the hydrated page calls (in the same
//! reactive context, so it sees the app state, the request and its cookies), and answers
//! `303 See Other` back to the page, except the check-in form, which is answered with the page
//! itself (one round trip less for a phone on a slow link).

use super::auth::login;
use super::plain_forms::{failure_key, LOGIN_FORM_PATH};
use super::student::check_in;
use super::teacher::mark_attendance;
use crate::domain::redirect::safe_next_path;
use crate::domain::{AttendanceStatus, JoinCode, SessionId};
use crate::server::AppState;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use leptos::prelude::{provide_context, Owner};
use leptos::reactive::computed::ScopedFuture;
use leptos_axum::ResponseOptions;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::future::Future;

#[derive(Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /login`: to the safe `next` path or the user's start page; back to the sign-in page
/// with the kind of failure (never the password) on failure.
pub async fn sign_in_with_form(State(state): State<AppState>, request: Request) -> Response {
    let (parts, form) = read_form::<LoginForm>(&state, request).await;
    let (signed_in, options) =
        run_in_context(&state, parts, login(form.username, form.password, false)).await;
    let location = match &signed_in {
        Ok(answer) => safe_next_path(&form.next).unwrap_or_else(|| answer.home.clone()),
        Err(error) => {
            let mut query = vec![("error", failure_key(error).to_string())];
            if let Some(next) = safe_next_path(&form.next) {
                query.push(("next", next));
            }
            with_query(LOGIN_FORM_PATH, &query)
        }
    };
    see_other(&location, &options)
}

#[derive(Deserialize, Default)]
pub struct CheckInForm {
    #[serde(default)]
    code: String,
    /// The QR link's session and window, carried as hidden fields.
    s: Option<String>,
    w: Option<String>,
}

/// `POST /checkin`: answered with the check-in page at `?done=<status|held|already>` or
/// `?error=<key>` (a code that parses stays in the address so the student can retry it), which
/// `render_page` renders; signed out, a `303` to sign-in.
pub async fn check_in_with_form<F>(
    state: AppState,
    request: Request,
    render_page: impl FnOnce(Request) -> F,
) -> Response
where
    F: Future<Output = Response>,
{
    let (parts, form) = read_form::<CheckInForm>(&state, request).await;
    let number = |v: &Option<String>| v.as_deref().and_then(|v| v.trim().parse::<i64>().ok());
    let (session, window) = (number(&form.s), number(&form.w));
    let (answer, options) = run_in_context(
        &state,
        parts.clone(),
        check_in(form.code.clone(), session, window),
    )
    .await;
    let (address, status) = match answer {
        Ok(receipt) => {
            let done = if receipt.held.is_some() {
                "held".to_string()
            } else if receipt.already_marked {
                "already".to_string()
            } else {
                receipt.status.as_str().to_string()
            };
            (with_query("/checkin", &[("done", done)]), StatusCode::OK)
        }
        Err(error) => {
            let page = match JoinCode::parse(&form.code) {
                Ok(code) => format!("/checkin/{}", code.as_str()),
                Err(_) => "/checkin".to_string(),
            };
            // Signed out (or the sign-in ended): sign in, then come back to this code.
            if error.kind == crate::error::ErrorKind::Unauthenticated {
                return see_other(&with_query(LOGIN_FORM_PATH, &[("next", page)]), &options);
            }
            let status = error.kind.http_status();
            let address = with_query(&page, &[("error", failure_key(&error).to_string())]);
            (address, status)
        }
    };
    let Some(page_request) = page_request(&parts, &address) else {
        return see_other(&address, &options);
    };
    let mut response = render_page(page_request).await;
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    copy_cookies(&options, response.headers_mut());
    response
}

/// The address a form was answered for, in the page request's extensions: the page's head then
/// puts it in the address bar (`answered_address_script`).
#[derive(Clone)]
pub struct AnsweredAddress(String);

/// A `GET` of `address` as this browser (its cookies, language and nonce) would send it.
fn page_request(parts: &Parts, address: &str) -> Option<Request> {
    let mut request = Request::new(axum::body::Body::empty());
    *request.uri_mut() = address.parse().ok()?;
    *request.version_mut() = parts.version;
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            request.headers_mut().append(name, value.clone());
        }
    }
    *request.extensions_mut() = parts.extensions.clone();
    request
        .extensions_mut()
        .insert(AnsweredAddress(address.to_string()));
    Some(request)
}

/// For a page rendered as a form's answer: a script that shows the answer's own address, so the
/// page hydrates for the address it was rendered at and a reload reads the answer again
/// instead of sending the form again. The address is built here from known keys and a parsed
/// code; anything that could end the script is refused all the same.
pub fn answered_address_script() -> Option<String> {
    let parts = leptos::prelude::use_context::<Parts>()?;
    let AnsweredAddress(address) = parts.extensions.get::<AnsweredAddress>()?;
    if address.contains(['<', '>', '\\', '"']) {
        return None;
    }
    Some(format!("history.replaceState(null,\"\",\"{address}\");"))
}

#[derive(Deserialize, Default)]
pub struct MarkForm {
    #[serde(default)]
    student_id: String,
    #[serde(default)]
    status: String,
}

/// `POST /teacher/sessions/<id>/mark`: back to the dashboard at the student's row, with
/// `?error=<key>` if the mark was refused.
pub async fn mark_with_form(
    State(state): State<AppState>,
    Path(session_id): Path<SessionId>,
    request: Request,
) -> Response {
    let (parts, form) = read_form::<MarkForm>(&state, request).await;
    let page = format!("/teacher/sessions/{session_id}");
    let (Ok(student_id), Some(status)) = (
        form.student_id.trim().parse::<i64>(),
        AttendanceStatus::parse(form.status.trim()),
    ) else {
        return see_other(
            &with_query(&page, &[("error", "bad_request".to_string())]),
            &ResponseOptions::default(),
        );
    };
    let (marked, options) = run_in_context(
        &state,
        parts,
        mark_attendance(session_id, student_id, status),
    )
    .await;
    let location = match marked {
        Ok(_) => format!("{page}#student-{student_id}"),
        Err(error) => with_query(&page, &[("error", failure_key(&error).to_string())]),
    };
    see_other(&location, &options)
}

/// The request's parts and its form (an unreadable body reads as an empty form, which the
/// server function then refuses with its own message).
async fn read_form<T: DeserializeOwned + Default>(
    state: &AppState,
    request: Request,
) -> (Parts, T) {
    let (parts, body) = request.into_parts();
    let form = Form::<T>::from_request(Request::from_parts(parts.clone(), body), state)
        .await
        .map(|Form(form)| form)
        .unwrap_or_default();
    (parts, form)
}

/// Runs a server function as `/api/<name>` would: with the app state, the request and the
/// response options (where it sets cookies) in its reactive context.
async fn run_in_context<T>(
    state: &AppState,
    parts: Parts,
    call: impl Future<Output = T>,
) -> (T, ResponseOptions) {
    let options = ResponseOptions::default();
    let owner = Owner::new();
    let answer = owner
        .with(|| {
            provide_context(state.clone());
            provide_context(parts);
            provide_context(options.clone());
            ScopedFuture::new(call)
        })
        .await;
    drop(owner);
    (answer, options)
}

fn with_query(path: &str, pairs: &[(&str, String)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        query.append_pair(key, value);
    }
    format!("{path}?{}", query.finish())
}

/// `303 See Other` to `location`, with the cookies the server function set.
fn see_other(location: &str, options: &ResponseOptions) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, location);
    }
    copy_cookies(options, headers);
    response
}

fn copy_cookies(options: &ResponseOptions, headers: &mut axum::http::HeaderMap) {
    for cookie in options
        .0
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .headers
        .get_all(header::SET_COOKIE)
    {
        headers.append(header::SET_COOKIE, cookie.clone());
    }
}
