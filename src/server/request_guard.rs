//! Requests from other sites: a state-changing request that a browser might send on its own
//! (the session cookie rides along) must come from a page of this site, and must carry the
//! content type its endpoint reads. Together this refuses cross-site and same-site forgery
//! (`<form>` posts, `no-cors` fetches with `text/plain`) and sign-in forgery. Clients that
//! authenticate with `Authorization: Bearer` are not browsers riding on a cookie and pass.

use super::auth::{bearer_token, session_cookie_value};
use super::AppState;
use crate::error::{AppError, ErrorKind};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The CSV import routes (`api::import`): the only ones whose body is a file.
pub const CSV_UPLOAD_PREFIX: &str = "/api/admin/import/";

/// Refuses state-changing requests from other sites or with the wrong content type.
pub async fn refuse_foreign_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if let Err(refusal) = check(
        &state.config.public_url,
        state.config.secure_cookies,
        request.method(),
        path,
        request.headers(),
    ) {
        return refusal.into_response();
    }
    next.run(request).await
}

/// The rule itself, apart from the middleware plumbing.
pub fn check(
    public_url: &str,
    secure_cookies: bool,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Result<(), AppError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        || bearer_token(headers).is_some()
    {
        return Ok(());
    }
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let from_another_site = || {
        AppError::forbidden(
            "This request came from another site, so it was refused. Open Rollcall itself and try again.",
        )
    };
    let origin = text(header::ORIGIN);
    if let Some(origin) = origin {
        if !is_site_origin(public_url, origin, text(header::HOST)) {
            return Err(from_another_site());
        }
    }
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(site) = fetch_site {
        if !matches!(site, "same-origin" | "none") {
            return Err(from_another_site());
        }
    }
    // Every browser sends Origin on a POST; a cookie without it is not a page of this site.
    if origin.is_none()
        && fetch_site.is_none()
        && session_cookie_value(headers, secure_cookies).is_some()
    {
        return Err(from_another_site());
    }
    let expected = if crate::api::plain_forms::is_plain_form_path(path) {
        "application/x-www-form-urlencoded"
    } else if path.starts_with(CSV_UPLOAD_PREFIX) {
        // Not a CORS-safelisted type either: another site's page cannot send it without a
        // preflight, which this server never grants.
        "text/csv"
    } else if path.starts_with("/api/") {
        "application/json"
    } else {
        return Ok(());
    };
    let media_type = text(header::CONTENT_TYPE)
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    if media_type.is_some_and(|t| t.eq_ignore_ascii_case(expected)) {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorKind::UnsupportedMediaType,
            format!("This address only accepts a {expected} body (Content-Type: {expected})."),
        ))
    }
}

/// Whether `origin` (an `Origin` header) is this site: the configured public URL's origin, or
/// the host the request was addressed to (exact host and port, http or https). Also used by
/// the WebSocket upgrade.
pub fn is_site_origin(public_url: &str, origin: &str, host: Option<&str>) -> bool {
    let public_origin = url::Url::parse(public_url)
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_default();
    if origin == public_origin || origin == public_url {
        return true;
    }
    match (origin.split_once("://"), host) {
        (Some((scheme, origin_host)), Some(host)) => {
            matches!(scheme, "http" | "https") && origin_host == host
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: &str = "https://school.example";

    fn request(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "school.example".parse().unwrap());
        for (name, value) in pairs {
            headers.append(
                header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        headers
    }

    fn post(path: &str, pairs: &[(&str, &str)]) -> Result<(), ErrorKind> {
        check(SITE, true, &Method::POST, path, &request(pairs)).map_err(|e| e.kind)
    }

    const COOKIE: (&str, &str) = ("cookie", "__Host-rollcall_session=t");
    const JSON: (&str, &str) = ("content-type", "application/json");

    #[test]
    fn pages_of_this_site_pass() {
        assert_eq!(
            post("/api/mark_attendance", &[COOKIE, JSON, ("origin", SITE)]),
            Ok(())
        );
        let fetch = ("sec-fetch-site", "same-origin");
        assert_eq!(post("/api/mark_attendance", &[COOKIE, JSON, fetch]), Ok(()));
        let charset = ("content-type", "Application/JSON; charset=utf-8");
        assert_eq!(
            post("/api/check_in", &[COOKIE, charset, ("origin", SITE)]),
            Ok(())
        );
        let form = ("content-type", "application/x-www-form-urlencoded");
        assert_eq!(post("/login", &[form, ("origin", SITE)]), Ok(()));
        // Reading is never refused.
        let get = check(
            SITE,
            true,
            &Method::GET,
            "/api/updates",
            &request(&[COOKIE]),
        );
        assert!(get.is_ok());
    }

    #[test]
    fn other_sites_are_refused() {
        let forbidden = Err(ErrorKind::Forbidden);
        for origin in [
            "https://evil.example",
            "https://lms.school.example",
            "https://school.example:8443",
            "http://school.example.evil.example",
            "null",
        ] {
            let headers = [COOKIE, JSON, ("origin", origin)];
            assert_eq!(post("/api/close_session", &headers), forbidden, "{origin}");
        }
        for site in ["same-site", "cross-site"] {
            let headers = [COOKIE, JSON, ("sec-fetch-site", site)];
            assert_eq!(post("/api/close_session", &headers), forbidden, "{site}");
        }
        // A cookie and no word of where the request comes from.
        assert_eq!(post("/api/close_session", &[COOKIE, JSON]), forbidden);
        // Sign-in forgery: a cross-site form posting to the sign-in, no cookie needed.
        let form = ("content-type", "application/x-www-form-urlencoded");
        let cross = [form, ("origin", "https://evil.example")];
        assert_eq!(post("/login", &cross), forbidden);
        assert_eq!(
            post("/api/login", &[JSON, ("origin", "https://evil.example")]),
            forbidden
        );
    }

    #[test]
    fn server_functions_take_only_json() {
        let unsupported = Err(ErrorKind::UnsupportedMediaType);
        let origin = ("origin", SITE);
        for content_type in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ] {
            let headers = [COOKIE, origin, ("content-type", content_type)];
            assert_eq!(
                post("/api/close_session", &headers),
                unsupported,
                "{content_type}"
            );
        }
        assert_eq!(post("/api/close_session", &[COOKIE, origin]), unsupported);
        let plain = [origin, ("content-type", "text/plain")];
        assert_eq!(post("/login", &plain), unsupported);
    }

    #[test]
    fn bearer_clients_and_cookieless_scripts_pass() {
        let bearer = ("authorization", "Bearer abc");
        assert_eq!(post("/api/close_session", &[bearer, JSON]), Ok(()));
        assert_eq!(post("/api/login", &[JSON]), Ok(()));
    }

    #[test]
    fn site_origin_is_the_public_url_or_the_requested_host() {
        assert!(is_site_origin(
            "https://school.example",
            "https://school.example",
            None
        ));
        assert!(is_site_origin(
            "https://school.example:443",
            "https://school.example",
            None
        ));
        assert!(is_site_origin(
            "http://x",
            "http://127.0.0.1:3000",
            Some("127.0.0.1:3000")
        ));
        assert!(!is_site_origin(
            "http://x",
            "ftp://127.0.0.1:3000",
            Some("127.0.0.1:3000")
        ));
        assert!(!is_site_origin(
            "http://x",
            "http://127.0.0.1:3001",
            Some("127.0.0.1:3000")
        ));
        assert!(!is_site_origin("http://x", "null", Some("127.0.0.1:3000")));
    }
}
