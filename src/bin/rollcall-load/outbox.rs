//! `outbox-sync`: the end of an outage. `--devices` students (1,000 by default) each kept one
//! check-in on their phone while the server could not be reached; the network comes back and
//! every phone uploads its outbox at once (`sync_outbox`). Figures: the time until every
//! check-in is applied, each upload's latency, and the server's CPU time over the run.

use crate::accounts;
use crate::args::Args;
use crate::client::Http;
use crate::stats::latency_summary;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

pub async fn outbox_sync(args: &Args) -> Value {
    let url = args.url();
    let devices: usize = args.get("devices", 1000);
    let pid: Option<u32> = args.optional("pid");
    let http = Arc::new(Http::new(&url));
    let (teacher, students) = accounts::load(args);
    assert!(
        students.len() >= devices,
        "seed at least {devices} students"
    );
    let (session, code) = http.open_load_session(&teacher.token).await;
    let cpu_before = cpu_seconds(pid);
    let started = Instant::now();
    let uploads = students
        .iter()
        .take(devices)
        .enumerate()
        .map(|(i, student)| {
            let (http, token, code) = (http.clone(), student.token.clone(), code.clone());
            tokio::spawn(async move {
                let entry = json!({
                    "seq": 1, "mutation_id": format!("outage-{i}"), "captured_at_ms": 0,
                    "change": { "kind": "check_in", "code": code },
                });
                let body = json!({ "device_id": format!("load-phone-{i:06}"), "entries": [entry] });
                let at = Instant::now();
                let answer = http.call(&token, "sync_outbox", body).await;
                let applied = answer
                    .as_ref()
                    .ok()
                    .and_then(|a| a[0]["answer"]["outcome"].as_str().map(str::to_string));
                (at.elapsed().as_secs_f64() * 1000.0, applied)
            })
        });
    let mut latencies = Vec::new();
    let mut applied = 0;
    let mut other = 0;
    for upload in uploads.collect::<Vec<_>>() {
        match upload.await {
            Ok((ms, Some(outcome))) if outcome == "applied" => {
                applied += 1;
                latencies.push(ms);
            }
            _ => other += 1,
        }
    }
    let all_applied_s = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid)
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    http.close_session(&teacher.token, session).await;
    json!({
        "scenario": "outbox-sync",
        "devices": devices,
        "applied": applied,
        "not_applied": other,
        "all_applied_s": (all_applied_s * 100.0).round() / 100.0,
        "server_cpu_s": cpu.map(|c| (c * 100.0).round() / 100.0),
        "upload_latency": latency_summary(latencies),
    })
}

/// User plus system CPU time of process `pid` so far, in seconds (`/proc/<pid>/stat`).
fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid?)).ok()?;
    // Fields after the command name (which may contain spaces) start at ") ".
    let fields: Vec<&str> = stat.rsplit_once(") ")?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}
