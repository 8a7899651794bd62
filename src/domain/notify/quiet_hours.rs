//! Quiet hours: pushes made while they last are held until they end (the inbox still gets them
//! at once). Times are minutes after midnight in the school's time zone; the caller converts
//! with the school's zone (so daylight saving is the zone's business, not this file's).

use serde::{Deserialize, Serialize};

pub const MINUTES_PER_DAY: u32 = 24 * 60;

/// From `start` to `end` (minutes after midnight); `start > end` spans midnight (22:00–07:00).
/// `start == end` means no quiet hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub start: u32,
    pub end: u32,
}

impl QuietHours {
    /// Parses "22:00-07:00".
    pub fn parse(text: &str) -> Option<QuietHours> {
        let (start, end) = text.split_once('-')?;
        Some(QuietHours {
            start: minutes(start.trim())?,
            end: minutes(end.trim())?,
        })
    }

    pub fn contains(&self, minute: u32) -> bool {
        let minute = minute % MINUTES_PER_DAY;
        match self.start.cmp(&self.end) {
            std::cmp::Ordering::Equal => false,
            std::cmp::Ordering::Less => (self.start..self.end).contains(&minute),
            std::cmp::Ordering::Greater => minute >= self.start || minute < self.end,
        }
    }

    /// How many minutes a push made at `minute` waits: 0 outside quiet hours, otherwise until
    /// they end.
    pub fn wait_minutes(&self, minute: u32) -> u32 {
        let minute = minute % MINUTES_PER_DAY;
        if !self.contains(minute) {
            return 0;
        }
        (self.end + MINUTES_PER_DAY - minute) % MINUTES_PER_DAY
    }

    /// When a push made at `now_ms` may go, for a school `offset_minutes` ahead of UTC: now,
    /// or the minute quiet hours end.
    pub fn send_at_ms(&self, now_ms: i64, offset_minutes: i32) -> i64 {
        let local_minute = (now_ms + i64::from(offset_minutes) * 60_000).div_euclid(60_000);
        let wait = self.wait_minutes(local_minute.rem_euclid(i64::from(MINUTES_PER_DAY)) as u32);
        if wait == 0 {
            return now_ms;
        }
        (local_minute + i64::from(wait) - i64::from(offset_minutes)) * 60_000
    }

    /// "22:00-07:00", as `parse` reads it.
    pub fn label(&self) -> String {
        let at = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        format!("{}-{}", at(self.start), at(self.end))
    }
}

fn minutes(text: &str) -> Option<u32> {
    let (hours, mins) = text.split_once(':')?;
    let (hours, mins): (u32, u32) = (hours.parse().ok()?, mins.parse().ok()?);
    (hours < 24 && mins < 60).then_some(hours * 60 + mins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overnight_quiet_hours_hold_pushes_until_morning() {
        let night = QuietHours::parse("22:00-07:00").unwrap();
        assert_eq!(
            night,
            QuietHours {
                start: 1320,
                end: 420
            }
        );
        assert_eq!(night.wait_minutes(21 * 60 + 59), 0);
        assert_eq!(night.wait_minutes(22 * 60), 9 * 60);
        assert_eq!(night.wait_minutes(23 * 60 + 30), 7 * 60 + 30);
        assert_eq!(night.wait_minutes(0), 7 * 60);
        assert_eq!(night.wait_minutes(6 * 60 + 59), 1);
        assert_eq!(night.wait_minutes(7 * 60), 0);
    }

    #[test]
    fn daytime_and_empty_ranges() {
        let lunch = QuietHours::parse("12:00 - 13:30").unwrap();
        assert!(!lunch.contains(11 * 60 + 59));
        assert_eq!(lunch.wait_minutes(12 * 60 + 10), 80);
        assert_eq!(lunch.wait_minutes(13 * 60 + 30), 0);
        let none = QuietHours::parse("08:00-08:00").unwrap();
        assert!((0..MINUTES_PER_DAY).all(|m| none.wait_minutes(m) == 0));
    }

    #[test]
    fn a_push_waits_for_the_end_in_the_school_zone() {
        let night = QuietHours::parse("22:00-07:00").unwrap();
        assert_eq!(night.label(), "22:00-07:00");
        // 23:30 UTC in a school one hour ahead is 00:30 there: it goes at 07:00 local.
        let now = 23 * 3_600_000 + 30 * 60_000 + 12_345;
        let at = night.send_at_ms(now, 60);
        assert_eq!(at, (24 + 6) * 3_600_000);
        // Outside quiet hours: at once, to the millisecond.
        assert_eq!(night.send_at_ms(12 * 3_600_000 + 5, 60), 12 * 3_600_000 + 5);
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in [
            "",
            "22:00",
            "24:00-07:00",
            "22:60-07:00",
            "ab:cd-07:00",
            "22-07",
        ] {
            assert_eq!(QuietHours::parse(bad), None, "{bad}");
        }
    }
}
