//! The link a join code's QR code opens, and the QR code itself: built by the server for every
//! screen, and by the teacher's screen itself while its network is down.

use super::rotating_code::link_query;

/// The page a phone opens from the QR code; a rotating code's link names its session and
/// window, which the code proves.
pub fn check_in_url(public_url: &str, code: &str, link: Option<(i64, i64)>) -> String {
    match link {
        Some((session_id, window)) => {
            format!(
                "{public_url}/checkin/{code}?{}",
                link_query(session_id, window)
            )
        }
        None => format!("{public_url}/checkin/{code}"),
    }
}

/// The QR code for `url`, as an SVG document.
#[cfg(any(feature = "ssr", feature = "hydrate"))]
pub fn qr_svg(url: &str) -> String {
    qrcode::QrCode::new(url.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color>()
                .min_dimensions(240, 240)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default()
}
