//! The teacher's screen without a network (browser only): the rotating code of each window,
//! derived here with the browser's own HMAC (Web Crypto) from the session's key, the same way
//! the server derives it (`domain::rotating_code`). The window is counted on from the server's
//! last code, never read from this device's clock.

use crate::domain::rotating_code::code_message;
use crate::domain::JoinCode;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The code of `window`; `None` when the browser has no Web Crypto (insecure origin).
pub async fn derive(
    secret: &str,
    session_id: i64,
    period_seconds: u32,
    window: i64,
) -> Option<JoinCode> {
    let subtle = web_sys::window()?.crypto().ok()?.subtle();
    let algorithm = js_sys::Object::new();
    js_sys::Reflect::set(&algorithm, &"name".into(), &"HMAC".into()).ok()?;
    js_sys::Reflect::set(&algorithm, &"hash".into(), &"SHA-256".into()).ok()?;
    let key_data = js_sys::Uint8Array::from(secret.as_bytes());
    let usages = js_sys::Array::of1(&JsValue::from_str("sign"));
    let key = subtle
        .import_key_with_object("raw", &key_data, &algorithm, false, &usages)
        .ok()?;
    let key: web_sys::CryptoKey = JsFuture::from(key).await.ok()?.dyn_into().ok()?;
    let message = code_message(session_id, period_seconds, window);
    let signature = subtle
        .sign_with_str_and_u8_array("HMAC", &key, &message)
        .ok()?;
    let signature = JsFuture::from(signature).await.ok()?;
    let bytes: [u8; 32] = js_sys::Uint8Array::new(&signature)
        .to_vec()
        .try_into()
        .ok()?;
    Some(JoinCode::from_random(bytes))
}
