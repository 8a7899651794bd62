//! Figures: latency percentiles and the server's resident memory.

use serde_json::{json, Value};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Rounded to two decimals, as every printed figure in seconds or milliseconds is.
pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

pub fn latency_summary(mut samples: Vec<f64>) -> Value {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    json!({
        "p50_ms": round2(percentile(&samples, 50.0)),
        "p95_ms": round2(percentile(&samples, 95.0)),
        "p99_ms": round2(percentile(&samples, 99.0)),
        "max_ms": round2(samples.last().copied().unwrap_or(f64::NAN)),
    })
}

/// Resident memory of process `pid` in MiB (one decimal), from `/proc/<pid>/status`.
pub fn rss_mb(pid: Option<u32>) -> Option<f64> {
    proc_status_mb(pid, "VmRSS:")
}

/// The most resident memory process `pid` has had since it started (VmHWM), in MiB.
pub fn peak_rss_mb(pid: Option<u32>) -> Option<f64> {
    proc_status_mb(pid, "VmHWM:")
}

fn proc_status_mb(pid: Option<u32>, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}
