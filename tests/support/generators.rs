//! Generators of hostile input, shared by the decoder property tests (tests/decoders.rs) and the
//! fuzzing of the running server (tests/api/fuzz.rs): any JSON, JSON that looks almost right
//! (the field names and values the protocol and the server functions use), and text that is
//! almost a channel, a join code or a query string.

// Each test binary uses a different part of this file.
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Value};

/// Field names the wire formats use, so generated objects often get past the first check.
pub const KNOWN_FIELDS: &[&str] = &[
    "type",
    "channel",
    "since",
    "epoch",
    "seq",
    "nonce",
    "code",
    "username",
    "password",
    "bearer",
    "class_id",
    "late_after_minutes",
    "session_id",
    "student_id",
    "status",
    "wait",
];

/// Strings that mean something somewhere: message types, channels, statuses, codes.
pub const KNOWN_WORDS: &[&str] = &[
    "subscribe",
    "unsubscribe",
    "pong",
    "ping",
    "school",
    "session:1",
    "session:-1",
    "session:9223372036854775807",
    "session:9223372036854775808",
    "user:1",
    "user:",
    ":",
    "present",
    "late",
    "excused",
    "absent",
    "K7QM2X",
    "k7q-m2x",
    "ABCDEF",
    "admin",
    "rivera",
    "student1",
    "",
    " ",
    "\u{0}",
    "\u{202e}",
    "é",
];

/// Numbers at and past the edges of the integer types the decoders use.
pub fn edge_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::from(0)),
        Just(Value::from(-1)),
        Just(Value::from(1)),
        Just(Value::from(240)),
        Just(Value::from(241)),
        Just(Value::from(u32::MAX)),
        Just(Value::from(u32::MAX as u64 + 1)),
        Just(Value::from(i64::MAX)),
        Just(Value::from(i64::MIN)),
        Just(Value::from(u64::MAX)),
        Just(Value::from(1.5)),
        Just(Value::from(-0.0)),
        Just(Value::from(1e300)),
    ]
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(KNOWN_WORDS).prop_map(str::to_string),
        any::<String>(),
        "[a-z:0-9 -]{0,12}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(KNOWN_FIELDS).prop_map(str::to_string),
        1 => any::<String>(),
    ]
}

/// Any JSON value, at most 3 levels deep, biased towards the names and values in use.
pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        edge_number(),
        word().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// A JSON object with a random subset of `fields`, each holding a random value (`fixed` are
/// sometimes given a value that is right, so later checks run too).
pub fn object_of(fields: Vec<String>, fixed: Vec<(String, Value)>) -> impl Strategy<Value = Value> {
    let n = fields.len();
    (
        prop::collection::vec(
            prop_oneof![
                2 => json_value().prop_map(Some),
                1 => edge_number().prop_map(Some),
                1 => Just(None),
            ],
            n,
        ),
        prop::collection::vec(any::<bool>(), fixed.len()),
        prop::option::of((key(), json_value())),
    )
        .prop_map(move |(values, use_fixed, extra)| {
            let mut object = Map::new();
            for (field, value) in fields.iter().zip(values) {
                if let Some(value) = value {
                    object.insert(field.clone(), value);
                }
            }
            for ((field, value), use_it) in fixed.iter().zip(use_fixed) {
                if use_it {
                    object.insert(field.clone(), value.clone());
                }
            }
            if let Some((field, value)) = extra {
                object.insert(field, value);
            }
            Value::Object(object)
        })
}

/// Text that is often almost JSON: valid JSON cut short or with a byte changed, or noise.
pub fn broken_json() -> impl Strategy<Value = String> {
    prop_oneof![
        (json_value(), any::<prop::sample::Index>()).prop_map(|(value, cut)| {
            let text = value.to_string();
            let at = cut.index(text.len() + 1);
            text.get(..at).unwrap_or(&text).to_string()
        }),
        (json_value(), any::<prop::sample::Index>(), any::<char>()).prop_map(|(value, at, c)| {
            let mut chars: Vec<char> = value.to_string().chars().collect();
            let at = at.index(chars.len() + 1);
            chars.insert(at, c);
            chars.into_iter().collect()
        }),
        any::<String>(),
        Just(String::new()),
        Just("{".repeat(200)),
    ]
}

/// A query string of random `key=value` pairs around the ones `/api/updates` reads.
pub fn query_string() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        word(),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("18446744073709551616".to_string()),
        Just("-0".to_string()),
        Just("1e3".to_string()),
    ];
    let pair = (
        prop_oneof![
            3 => prop::sample::select(&["channel", "since", "epoch", "wait"][..])
                .prop_map(str::to_string),
            1 => any::<String>(),
        ],
        value,
    );
    let pairs = prop::collection::vec(pair, 0..5).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(key, value)| format!("{}={}", percent_encode(&key), percent_encode(&value)))
            .collect::<Vec<_>>()
            .join("&")
    });
    prop_oneof![
        6 => pairs,
        1 => prop::sample::select(&["%", "%zz", "channel=%", "&&=&", "channel", "=school"][..])
            .prop_map(str::to_string),
    ]
}

/// Percent-encodes everything but unreserved characters.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Draws `count` values from `strategy` with a seed derived from `label`, for tests that send
/// them somewhere asynchronous instead of checking them in a `proptest!` block. The same label
/// gives the same values on every run, so a failure can be replayed.
pub fn samples<S: Strategy>(strategy: S, count: usize, label: &str) -> Vec<S::Value> {
    let mut seed = [0u8; 32];
    for (i, byte) in label.bytes().enumerate() {
        seed[i % 32] = seed[i % 32].wrapping_mul(31).wrapping_add(byte);
    }
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    (0..count)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .expect("strategy produces values")
                .current()
        })
        .collect()
}
