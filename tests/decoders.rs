//! Property tests of every decoder an outsider can reach without the server running: join
//! codes, usernames, statuses, channels, WebSocket client frames, stream positions, server
//! function bodies and the session token in request headers. No input panics, and where there
//! is a printer, parsing what it prints gives the value back.

#[path = "support/generators.rs"]
mod generators;

use axum::http::{header, HeaderMap, HeaderValue};
use generators::{broken_json, json_value, object_of, KNOWN_FIELDS};
use proptest::prelude::*;
use rollcall::domain::join_code::{ALPHABET, LENGTH};
use rollcall::domain::{AttendanceStatus, JoinCode, MarkSource, Role, Username};
use rollcall::protocol::{Channel, ClientMessage, ServerMessage, StreamPosition};
use rollcall::server::auth::{token_from_headers, SESSION_COOKIE};
use serde_json::Value;

fn channel() -> impl Strategy<Value = Channel> {
    prop_oneof![
        any::<i64>().prop_map(Channel::Session),
        Just(Channel::School),
        any::<i64>().prop_map(Channel::User),
    ]
}

fn position() -> impl Strategy<Value = StreamPosition> {
    (any::<String>(), any::<i64>()).prop_map(|(epoch, seq)| StreamPosition { epoch, seq })
}

fn client_message() -> impl Strategy<Value = ClientMessage> {
    prop_oneof![
        (channel(), prop::option::of(position()))
            .prop_map(|(channel, since)| ClientMessage::Subscribe { channel, since }),
        channel().prop_map(|channel| ClientMessage::Unsubscribe { channel }),
        any::<u64>().prop_map(|nonce| ClientMessage::Pong { nonce }),
    ]
}

fn join_code() -> impl Strategy<Value = JoinCode> {
    prop::array::uniform32(any::<u8>()).prop_map(JoinCode::from_random)
}

/// A valid code as a person might type it: any case, with spaces and dashes in between.
fn typed(code: &str) -> impl Strategy<Value = String> {
    let chars: Vec<char> = code.chars().collect();
    prop::collection::vec(
        (
            any::<bool>(),
            prop::sample::select(&["", " ", "-", " - ", "\t"][..]),
        ),
        chars.len(),
    )
    .prop_map(move |decorations| {
        chars
            .iter()
            .zip(decorations)
            .map(|(c, (lower, gap))| {
                let c = if lower { c.to_ascii_lowercase() } else { *c };
                format!("{gap}{c}")
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn join_codes_never_panic_and_accept_only_the_alphabet(text in any::<String>()) {
        if let Ok(code) = JoinCode::parse(&text) {
            prop_assert_eq!(code.as_str().len(), LENGTH);
            prop_assert!(code.as_str().bytes().all(|b| ALPHABET.contains(&b)));
            prop_assert_eq!(JoinCode::parse(&code.to_string()), Ok(code));
        }
        let json = serde_json::to_string(&text).unwrap();
        let decoded = serde_json::from_str::<JoinCode>(&json);
        prop_assert_eq!(decoded.is_ok(), JoinCode::parse(&text).is_ok());
    }

    #[test]
    fn join_codes_survive_how_people_type_them(
        (code, text) in join_code().prop_flat_map(|code| {
            let text = typed(code.as_str());
            (Just(code), text)
        })
    ) {
        prop_assert_eq!(JoinCode::parse(&text), Ok(code.clone()));
        let json = serde_json::to_string(&code).unwrap();
        prop_assert_eq!(serde_json::from_str::<JoinCode>(&json).unwrap(), code);
    }

    #[test]
    fn usernames_never_panic_and_are_normal_once_parsed(text in any::<String>()) {
        if let Ok(name) = Username::parse(&text) {
            let normal = name.as_str();
            prop_assert!(!normal.is_empty() && normal.len() <= 64);
            prop_assert!(normal
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c)));
            prop_assert_eq!(Username::parse(normal), Ok(name.clone()));
        }
    }

    #[test]
    fn usernames_ignore_case_and_surrounding_space(
        name in "[A-Za-z0-9._-]{1,64}",
        pad in "[ \t]{0,3}",
    ) {
        let parsed = Username::parse(&format!("{pad}{name}{pad}")).unwrap();
        prop_assert_eq!(parsed.as_str(), name.to_ascii_lowercase());
    }

    #[test]
    fn roles_statuses_and_sources_parse_only_their_names(text in any::<String>()) {
        if let Some(role) = Role::parse(&text) {
            prop_assert_eq!(role.as_str(), text.as_str());
        }
        if let Some(status) = AttendanceStatus::parse(&text) {
            prop_assert_eq!(status.as_str(), text.as_str());
        }
        if let Some(source) = MarkSource::parse(&text) {
            prop_assert_eq!(source.as_str(), text.as_str());
        }
        let json = serde_json::to_string(&text).unwrap();
        let _ = serde_json::from_str::<AttendanceStatus>(&json);
        let _ = serde_json::from_str::<Role>(&json);
    }

    #[test]
    fn channels_never_panic_and_print_what_they_parse(text in any::<String>()) {
        match Channel::parse(&text) {
            Ok(channel) => prop_assert_eq!(Channel::parse(&channel.to_string()), Ok(channel)),
            Err(message) => prop_assert!(message.contains("Unknown channel")),
        }
    }

    #[test]
    fn channel_text_round_trips(channel in channel()) {
        prop_assert_eq!(Channel::parse(&channel.to_string()), Ok(channel));
        let json = serde_json::to_string(&channel).unwrap();
        prop_assert_eq!(serde_json::from_str::<Channel>(&json).unwrap(), channel);
    }

    #[test]
    fn client_frames_round_trip(message in client_message()) {
        let text = serde_json::to_string(&message).unwrap();
        prop_assert_eq!(serde_json::from_str::<ClientMessage>(&text).unwrap(), message);
    }

    #[test]
    fn client_frames_decode_any_text_without_panicking(text in broken_json()) {
        let _ = serde_json::from_str::<ClientMessage>(&text);
    }

    #[test]
    fn client_frames_decode_any_json_without_panicking(value in json_value()) {
        let _ = serde_json::from_value::<ClientMessage>(value.clone());
        let _ = serde_json::from_value::<StreamPosition>(value);
    }

    #[test]
    fn client_frames_that_look_almost_right_decode_or_are_refused(
        kind in prop::sample::select(&["subscribe", "unsubscribe", "pong", "ping"][..]),
        body in object_of(
            KNOWN_FIELDS.iter().map(|f| f.to_string()).collect(),
            vec![("channel".into(), Value::from("school")), ("nonce".into(), Value::from(1))],
        ),
    ) {
        let mut body = body;
        body["type"] = Value::from(kind);
        if let Ok(message) = serde_json::from_value::<ClientMessage>(body) {
            // Whatever decodes prints and decodes to itself.
            let text = serde_json::to_string(&message).unwrap();
            prop_assert_eq!(serde_json::from_str::<ClientMessage>(&text).unwrap(), message);
        }
    }

    #[test]
    fn server_frames_round_trip(
        channel in channel(),
        position in position(),
        recovered in any::<bool>(),
        replayed in any::<u32>(),
        message in any::<String>(),
    ) {
        let frames = [
            ServerMessage::Subscribed { channel, position, recovered, replayed },
            ServerMessage::Error {
                code: rollcall::protocol::ErrorCode::BadMessage,
                message,
                channel: Some(channel),
            },
        ];
        for frame in frames {
            let text = serde_json::to_string(&frame).unwrap();
            prop_assert_eq!(serde_json::from_str::<ServerMessage>(&text).unwrap(), frame);
        }
    }

    #[test]
    fn session_tokens_in_headers_never_panic(
        cookie in "[ -~]{0,80}",
        authorization in "[ -~]{0,80}",
    ) {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&cookie).unwrap());
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&authorization).unwrap());
        let _ = token_from_headers(&headers, false);
    }

    #[test]
    fn the_session_cookie_is_found_among_others(
        before in prop::collection::vec(("[a-z_]{1,8}", "[a-zA-Z0-9]{0,8}"), 0..4),
        after in prop::collection::vec(("[a-z_]{1,8}", "[a-zA-Z0-9]{0,8}"), 0..4),
        token in "[a-f0-9]{64}",
    ) {
        let others = |pairs: &Vec<(String, String)>| {
            pairs
                .iter()
                .filter(|(name, _)| name != SESSION_COOKIE)
                .map(|(name, value)| format!("{name}={value}; "))
                .collect::<String>()
        };
        let cookie = format!("{}{SESSION_COOKIE}={token}; {}", others(&before), others(&after));
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(cookie.trim()).unwrap());
        prop_assert_eq!(token_from_headers(&headers, false), Some(token));
    }
}

/// The argument structs the server functions decode their JSON bodies into.
mod server_function_bodies {
    use super::*;
    use rollcall::api::{admin, auth, student, teacher};
    use serde::de::DeserializeOwned;

    /// Decodes without panicking; whatever decodes encodes to JSON that decodes again.
    fn decodes_cleanly<T: DeserializeOwned + serde::Serialize>(value: &Value) {
        if let Ok(args) = serde_json::from_value::<T>(value.clone()) {
            let again = serde_json::to_value(&args).unwrap();
            serde_json::from_value::<T>(again).expect("re-encoded arguments decode");
        }
    }

    fn all(value: &Value) {
        decodes_cleanly::<auth::Login>(value);
        decodes_cleanly::<auth::Logout>(value);
        decodes_cleanly::<auth::Me>(value);
        decodes_cleanly::<student::CheckIn>(value);
        decodes_cleanly::<student::MyAttendance>(value);
        decodes_cleanly::<teacher::MyClasses>(value);
        decodes_cleanly::<teacher::OpenSession>(value);
        decodes_cleanly::<teacher::SessionDashboard>(value);
        decodes_cleanly::<teacher::MarkAttendance>(value);
        decodes_cleanly::<teacher::CloseSession>(value);
        decodes_cleanly::<admin::SchoolToday>(value);
    }

    proptest! {
        #[test]
        fn any_json_body(value in json_value()) {
            all(&value);
        }

        #[test]
        fn bodies_with_the_right_names_and_wrong_values(
            value in object_of(KNOWN_FIELDS.iter().map(|f| f.to_string()).collect(), vec![])
        ) {
            all(&value);
        }

        #[test]
        fn any_text_body(text in broken_json()) {
            if let Ok(value) = serde_json::from_str::<Value>(&text) {
                all(&value);
            }
        }
    }
}
