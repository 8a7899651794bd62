//! The join code a session shows now, ready for a screen: the code, the link its QR code opens
//! and the QR code itself. The dashboard's snapshot, the WebSocket's code frames and the
//! polling answer all build it here.

use super::store::SessionCode;
use crate::domain::rotating_code::{code_for, link_query, rotation_at};
use crate::protocol::CodeShown;

/// The page a phone opens from the QR code.
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

/// What the session's screens show at `now_ms`; `None` unless it is open.
pub fn code_shown(public_url: &str, session: &SessionCode, now_ms: i64) -> Option<CodeShown> {
    if !session.is_open {
        return None;
    }
    let (code, rotation) = match &session.rotating {
        Some((secret, period)) => {
            let rotation = rotation_at(now_ms, *period);
            let code = code_for(
                secret.as_bytes(),
                session.session_id,
                *period,
                rotation.window,
            );
            (code.to_string(), Some(rotation))
        }
        None => (session.join_code.as_ref()?.to_string(), None),
    };
    let link = rotation.map(|r| (session.session_id, r.window));
    let url = check_in_url(public_url, &code, link);
    Some(CodeShown {
        session_id: session.session_id,
        qr_svg: qr_svg(&url),
        check_in_url: url,
        code,
        rotation,
    })
}
