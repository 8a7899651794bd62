//! Wall-clock labels from unix milliseconds, in the school's fixed UTC offset.

pub const MINUTE_MS: i64 = 60_000;
pub const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

/// `HH:MM` for a moment, in the given offset.
pub fn clock_label(at_ms: i64, utc_offset_minutes: i32) -> String {
    let local = at_ms + utc_offset_minutes as i64 * MINUTE_MS;
    let minutes_of_day = local.rem_euclid(DAY_MS) / MINUTE_MS;
    format!("{:02}:{:02}", minutes_of_day / 60, minutes_of_day % 60)
}

/// `YYYY-MM-DD` for a moment, in the given offset.
pub fn date_label(at_ms: i64, utc_offset_minutes: i32) -> String {
    let local = at_ms + utc_offset_minutes as i64 * MINUTE_MS;
    let (y, m, d) = civil_from_days(local.div_euclid(DAY_MS));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Start of the local day containing `at_ms`, as unix milliseconds.
pub fn local_day_start(at_ms: i64, utc_offset_minutes: i32) -> i64 {
    let offset = utc_offset_minutes as i64 * MINUTE_MS;
    (at_ms + offset).div_euclid(DAY_MS) * DAY_MS - offset
}

/// "just now", "5 min ago", "2 h ago", "3 days ago".
pub fn relative_label(at_ms: i64, now_ms: i64) -> String {
    let seconds = (now_ms - at_ms).max(0) / 1000;
    match seconds {
        0..=9 => "just now".into(),
        10..=59 => format!("{seconds} s ago"),
        60..=3599 => format!("{} min ago", seconds / 60),
        3600..=86_399 => format!("{} h ago", seconds / 3600),
        _ => format!("{} days ago", seconds / 86_400),
    }
}

// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-22T09:05:00Z
    const T: i64 = 1_795_338_300_000;

    #[test]
    fn labels_in_utc_and_offsets() {
        assert_eq!(clock_label(T, 0), "09:05");
        assert_eq!(date_label(T, 0), "2026-11-22");
        assert_eq!(clock_label(T, 60), "10:05");
        assert_eq!(clock_label(T, -600), "23:05");
        assert_eq!(date_label(T, -600), "2026-11-21");
        assert_eq!(date_label(0, 0), "1970-01-01");
    }

    #[test]
    fn day_start_respects_offset() {
        assert_eq!(date_label(local_day_start(T, 0), 0), "2026-11-22");
        assert_eq!(clock_label(local_day_start(T, 0), 0), "00:00");
        assert_eq!(clock_label(local_day_start(T, -600), -600), "00:00");
        assert!(local_day_start(T, -600) <= T);
    }

    #[test]
    fn relative_labels() {
        assert_eq!(relative_label(T, T + 3_000), "just now");
        assert_eq!(relative_label(T, T + 42_000), "42 s ago");
        assert_eq!(relative_label(T, T + 5 * MINUTE_MS), "5 min ago");
        assert_eq!(relative_label(T, T + 2 * 60 * MINUTE_MS), "2 h ago");
    }
}
