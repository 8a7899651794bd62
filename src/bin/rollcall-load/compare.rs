//! `compare --lines FILE`: reads the `fanout` lines of one benchmark run and prints, per load
//! (watchers, idle sockets, rate), Rollcall's and the Socket.IO peer's figures as multiples of
//! the bare broadcast server's: one line each, so every run reports its own ratios.

use crate::args::Args;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub fn compare(args: &Args) -> Value {
    let path = args.text("lines", "fanout.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let lines: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    json!({ "scenario": "fanout-compare", "loads": ratios(&lines) })
}

/// Per load, each target's p99 and delivered msgs/s, and the p99 as a multiple of bare's.
fn ratios(lines: &[Value]) -> Vec<Value> {
    let mut loads: BTreeMap<(u64, u64, u64), BTreeMap<String, &Value>> = BTreeMap::new();
    for line in lines.iter().filter(|l| l["scenario"] == "fanout") {
        let key = (
            line["watchers"].as_u64().unwrap_or(0),
            line["idle"].as_u64().unwrap_or(0),
            line["rate_per_s"].as_f64().unwrap_or(0.0) as u64,
        );
        let target = line["target"].as_str().unwrap_or("?").to_string();
        loads.entry(key).or_default().insert(target, line);
    }
    loads
        .into_iter()
        .map(|((watchers, idle, rate), targets)| {
            let p99 = |line: &Value| line["latency"]["p99_ms"].as_f64();
            let bare_p99 = targets.get("bare").and_then(|l| p99(l));
            let mut row = json!({ "watchers": watchers, "idle": idle, "rate_per_s": rate });
            for (name, line) in &targets {
                row[name] = json!({
                    "p99_ms": p99(line),
                    "msgs_per_s": line["delivered_msgs_per_s"],
                    "frames_lost": line["frames_lost"],
                    "p99_vs_bare": match (p99(line), bare_p99) {
                        (Some(a), Some(b)) if b > 0.0 => json!((a / b * 100.0).round() / 100.0),
                        _ => Value::Null,
                    },
                });
            }
            row
        })
        .collect()
}
