//! The join code a session shows now, ready for a screen: the code, the link its QR code opens
//! and the QR code itself. The dashboard's snapshot, the WebSocket's code frames and the
//! polling answer all build it here.

use super::store::SessionCode;
pub use crate::domain::check_in_link::{check_in_url, qr_svg};
use crate::domain::rotating_code::{code_for, rotation_at};
use crate::protocol::CodeShown;

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
