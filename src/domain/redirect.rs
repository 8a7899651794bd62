//! Where a sign-in may send the browser next: only a path on this site. Shared by the server
//! (the plain form sign-in's redirect) and the browser (after the server function answers).

use url::Url;

/// Stands in for the site's origin: only "same origin or not" matters, and the answer is a path.
const SITE: &str = "https://rollcall.invalid/";

/// The same-site path `next` leads to, or `None` when it would leave the site.
///
/// `next` is resolved the way the browser will resolve it (WHATWG URL rules: `\` counts as `/`,
/// tabs and newlines vanish, `//host` is another site), and the answer is the parsed path,
/// query and fragment, so what the browser follows is exactly what was checked.
pub fn safe_next_path(next: &str) -> Option<String> {
    let site = Url::parse(SITE).ok()?;
    let target = site.join(next).ok()?;
    if target.origin() != site.origin() {
        return None;
    }
    let mut path = target.path().to_string();
    // A path that itself starts with "//" (from "/.//host") would be read as another host.
    if !path.starts_with('/') || path.starts_with("//") {
        return None;
    }
    if let Some(query) = target.query() {
        path.push('?');
        path.push_str(query);
    }
    if let Some(fragment) = target.fragment() {
        path.push('#');
        path.push_str(fragment);
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::safe_next_path;

    #[test]
    fn ordinary_paths_are_kept() {
        assert_eq!(
            safe_next_path("/teacher/session/3?x=1").as_deref(),
            Some("/teacher/session/3?x=1")
        );
        assert_eq!(
            safe_next_path("/checkin/ABCDEF").as_deref(),
            Some("/checkin/ABCDEF")
        );
        assert_eq!(
            safe_next_path("/admin#today").as_deref(),
            Some("/admin#today")
        );
    }

    #[test]
    fn other_sites_are_refused() {
        for next in [
            "//evil.example",
            "https://evil.example",
            "http://evil.example/teacher",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/.//evil.example",
            "/..//evil.example",
            "javascript:alert(1)",
            "JavaScript:alert(document.cookie)",
            "data:text/html,<script>alert(1)</script>",
            "https://rollcall.invalid.evil.example/",
        ] {
            assert_eq!(safe_next_path(next), None, "{next:?} must be refused");
        }
    }

    #[test]
    fn percent_encoded_tricks_stay_on_the_site() {
        // As they arrive in the query string: the router decodes `%5C` and `%09` first.
        let decoded = |s: &str| s.replace("%5C", "\\").replace("%09", "\t");
        assert_eq!(safe_next_path(&decoded("/%5Cevil.example")), None);
        assert_eq!(safe_next_path(&decoded("/%09/evil.example")), None);
        // Left encoded, they are only odd paths on this site.
        assert_eq!(
            safe_next_path("/%5Cevil.example").as_deref(),
            Some("/%5Cevil.example")
        );
    }

    #[test]
    fn relative_paths_resolve_from_the_site_root() {
        assert_eq!(safe_next_path("teacher").as_deref(), Some("/teacher"));
        assert_eq!(safe_next_path("/a/../admin").as_deref(), Some("/admin"));
    }
}
