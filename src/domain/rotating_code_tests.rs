use super::*;

const P: u32 = 15;
const PERIOD_MS: i64 = 15_000;

#[test]
fn windows_cut_time_at_exact_multiples_of_the_period() {
    assert_eq!(window_at(0, P), 0);
    assert_eq!(window_at(PERIOD_MS - 1, P), 0);
    assert_eq!(window_at(PERIOD_MS, P), 1);
    // Before the epoch (a clock set wrong) windows still count down evenly.
    assert_eq!(window_at(-1, P), -1);
    assert_eq!(window_at(-PERIOD_MS, P), -1);
    assert_eq!(window_at(-PERIOD_MS - 1, P), -2);
    assert_eq!(window_bounds(3, P), (45_000, 60_000));
    let rotation = rotation_at(46_000, P);
    assert_eq!((rotation.window, rotation.changes_in_ms), (3, 14_000));
    assert_eq!(rotation_at(45_000, P).changes_in_ms, PERIOD_MS);
}

#[test]
fn a_code_lives_its_window_and_one_more() {
    let w = 100;
    let (start, end) = window_bounds(w, P);
    assert_eq!(age_of(w, start, P), CodeAge::Valid);
    assert_eq!(age_of(w, end - 1, P), CodeAge::Valid);
    // The grace window: the walk from the screen to the phone.
    assert_eq!(age_of(w, end, P), CodeAge::Valid);
    assert_eq!(age_of(w, end + PERIOD_MS - 1, P), CodeAge::Valid);
    // The first millisecond after the grace: expired.
    assert_eq!(age_of(w, end + PERIOD_MS, P), CodeAge::Expired);
    assert_eq!(age_of(w, end + 100 * PERIOD_MS, P), CodeAge::Expired);
}

#[test]
fn the_next_code_counts_only_within_the_clock_skew() {
    let w = 100;
    let (next_start, _) = window_bounds(w + 1, P);
    assert_eq!(age_of(w + 1, next_start - CLOCK_SKEW_MS, P), CodeAge::Valid);
    assert_eq!(
        age_of(w + 1, next_start - CLOCK_SKEW_MS - 1, P),
        CodeAge::Future
    );
    assert_eq!(age_of(w + 2, next_start - 1, P), CodeAge::Future);
}

#[test]
fn typed_codes_are_looked_for_back_ten_minutes_and_one_ahead() {
    let now = 1_000 * PERIOD_MS + 5;
    let windows: Vec<i64> = candidate_windows(now, P).collect();
    assert_eq!(windows.first(), Some(&1_001));
    assert_eq!(windows[1], 1_000);
    assert_eq!(windows.len() as i64, RECOGNISED_FOR_MS / PERIOD_MS + 2);
    // A long period still looks back past the grace.
    assert!(candidate_windows(now, MAX_PERIOD_SECONDS).count() >= 3);
}

#[test]
fn an_offline_screen_counts_windows_on_from_the_servers_last_word() {
    let last = Rotation {
        period_seconds: P,
        window: 100,
        changes_in_ms: 4_000,
    };
    assert_eq!(rotation_after(last, 0), last);
    assert_eq!(rotation_after(last, 3_999).window, 100);
    assert_eq!(rotation_after(last, 3_999).changes_in_ms, 1);
    let next = rotation_after(last, 4_000);
    assert_eq!((next.window, next.changes_in_ms), (101, PERIOD_MS));
    let later = rotation_after(last, 4_000 + 2 * PERIOD_MS + 500);
    assert_eq!((later.window, later.changes_in_ms), (103, PERIOD_MS - 500));
    // A clock that went backwards changes nothing.
    assert_eq!(rotation_after(last, -50), last);
    // The windows match the server's: counted from a rotation taken at `now`, the rotation
    // `d` later is the one taken at `now + d`.
    let now = 1_700_000_000_123;
    for d in [0, 1, 14_999, 15_000, 61_234] {
        assert_eq!(
            rotation_after(rotation_at(now, P), d),
            rotation_at(now + d, P),
            "{d}"
        );
    }
}

#[cfg(feature = "ssr")]
mod derivation {
    use super::*;
    use crate::domain::JoinCode;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn each_window_session_and_secret_has_its_own_code() {
        let code = code_for(SECRET, 7, P, 1_000);
        assert_eq!(code, code_for(SECRET, 7, P, 1_000), "deterministic");
        assert!(JoinCode::parse(code.as_str()).is_ok());
        assert_ne!(code, code_for(SECRET, 7, P, 1_001));
        assert_ne!(code, code_for(SECRET, 8, P, 1_000));
        assert_ne!(code, code_for(SECRET, 7, 30, 1_000));
        assert_ne!(code, code_for(b"another secret", 7, P, 1_000));
        // Over a day of windows codes hardly ever repeat.
        let codes: std::collections::HashSet<String> = (0..5_760)
            .map(|w| code_for(SECRET, 7, P, w).to_string())
            .collect();
        assert!(codes.len() >= 5_759, "{}", codes.len());
    }

    #[test]
    fn a_typed_code_is_recognised_with_its_age() {
        let now = 2_000 * PERIOD_MS + 3_000;
        let current = code_for(SECRET, 7, P, 2_000);
        assert_eq!(
            recognise(SECRET, 7, P, &current, now),
            Some((2_000, CodeAge::Valid))
        );
        let previous = code_for(SECRET, 7, P, 1_999);
        assert_eq!(
            recognise(SECRET, 7, P, &previous, now),
            Some((1_999, CodeAge::Valid))
        );
        let old = code_for(SECRET, 7, P, 1_990);
        assert_eq!(
            recognise(SECRET, 7, P, &old, now),
            Some((1_990, CodeAge::Expired))
        );
        let ancient = code_for(SECRET, 7, P, 1_000);
        assert_eq!(recognise(SECRET, 7, P, &ancient, now), None);
        // Another session's current code is not this session's.
        let other = code_for(SECRET, 8, P, 2_000);
        assert_eq!(recognise(SECRET, 7, P, &other, now), None);
        assert!(is_code_of(SECRET, 7, P, 2_000, &current));
        assert!(!is_code_of(SECRET, 7, P, 2_001, &current));
    }
}
