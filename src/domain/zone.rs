//! The school's time zone (an IANA name such as `Europe/Berlin`) and what depends on it: local
//! dates, clock times and the instant a timetable's wall-clock time falls on, daylight saving
//! included (jiff and the tz database do the calendar work). Server only; pages get labels or
//! the offset in force for what they show.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::Timestamp;

#[derive(Debug, Clone)]
pub struct SchoolZone {
    name: String,
    zone: TimeZone,
}

impl SchoolZone {
    pub fn parse(name: &str) -> Result<SchoolZone, String> {
        let name = name.trim();
        let zone = TimeZone::get(name).map_err(|_| {
            format!("'{name}' is not a time zone name; use an IANA name such as Europe/Berlin.")
        })?;
        Ok(SchoolZone {
            name: name.to_string(),
            zone,
        })
    }

    pub fn utc() -> SchoolZone {
        SchoolZone {
            name: "UTC".into(),
            zone: TimeZone::UTC,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The zone's offset from UTC at that moment, in minutes (daylight saving included).
    pub fn offset_minutes_at(&self, at_ms: i64) -> i32 {
        self.zone.to_offset(timestamp(at_ms)).seconds() / 60
    }

    /// `HH:MM` local time.
    pub fn clock_label(&self, at_ms: i64) -> String {
        let t = self.local(at_ms);
        format!("{:02}:{:02}", t.hour(), t.minute())
    }

    /// `YYYY-MM-DD` local date.
    pub fn date_label(&self, at_ms: i64) -> String {
        self.date_of(at_ms).to_string()
    }

    pub fn date_of(&self, at_ms: i64) -> Date {
        self.local(at_ms).date()
    }

    /// The first moment of the local day containing `at_ms` (not always 00:00: some zones skip
    /// midnight when daylight saving starts).
    pub fn day_start(&self, at_ms: i64) -> i64 {
        self.start_of(self.date_of(at_ms))
    }

    /// The first moment of a local date.
    pub fn start_of(&self, date: Date) -> i64 {
        date.to_zoned(self.zone.clone())
            .and_then(|zoned| zoned.start_of_day())
            .map_or(0, |zoned| zoned.timestamp().as_millisecond())
    }

    /// The instants a range of local days covers: from the first moment of its first day up to
    /// (not including) the first moment of the day after its last.
    pub fn instants_of(&self, days: crate::domain::timetable::DayRange) -> (i64, i64) {
        let until = days
            .last
            .tomorrow()
            .map_or(i64::MAX, |day| self.start_of(day));
        (self.start_of(days.first), until)
    }

    /// The instant a local date and wall-clock time name. A time skipped by daylight saving
    /// (02:30 when clocks jump 02:00 → 03:00) counts as the moment after the jump; a time that
    /// happens twice (when clocks go back) counts as its first occurrence.
    pub fn instant(&self, date: Date, time: Time) -> i64 {
        let local = DateTime::from_parts(date, time);
        self.zone
            .to_ambiguous_timestamp(local)
            .compatible()
            .map_or(0, |ts| ts.as_millisecond())
    }

    /// `YYYY-MM-DD` and the hour (0–23) of a moment, from one conversion (reports label
    /// thousands of sessions).
    pub fn day_and_hour(&self, at_ms: i64) -> (String, u8) {
        let local = self.local(at_ms);
        (local.date().to_string(), local.hour().clamp(0, 23) as u8)
    }

    fn local(&self, at_ms: i64) -> DateTime {
        self.zone.to_datetime(timestamp(at_ms))
    }
}

fn timestamp(at_ms: i64) -> Timestamp {
    Timestamp::from_millisecond(at_ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    fn berlin() -> SchoolZone {
        SchoolZone::parse("Europe/Berlin").unwrap()
    }

    #[test]
    fn names_are_checked() {
        assert!(SchoolZone::parse("Europe/Berlin").is_ok());
        assert!(SchoolZone::parse("America/New_York").is_ok());
        let error = SchoolZone::parse("Mars/Olympus").unwrap_err();
        assert!(error.contains("IANA"), "{error}");
        assert!(SchoolZone::parse("").is_err());
    }

    #[test]
    fn the_same_wall_clock_time_moves_in_utc_across_daylight_saving() {
        let zone = berlin();
        // Summer time ends on Sunday 2026-10-25: 09:00 is 07:00Z before, 08:00Z after.
        let friday = zone.instant(date(2026, 10, 23), time(9, 0, 0, 0));
        let monday = zone.instant(date(2026, 10, 26), time(9, 0, 0, 0));
        assert_eq!(
            Timestamp::from_millisecond(friday).unwrap().to_string(),
            "2026-10-23T07:00:00Z"
        );
        assert_eq!(
            Timestamp::from_millisecond(monday).unwrap().to_string(),
            "2026-10-26T08:00:00Z"
        );
        assert_eq!(zone.clock_label(friday), "09:00");
        assert_eq!(zone.clock_label(monday), "09:00");
        assert_eq!(zone.offset_minutes_at(friday), 120);
        assert_eq!(zone.offset_minutes_at(monday), 60);
        // Three calendar days apart, but 73 hours.
        assert_eq!(monday - friday, 73 * 3_600_000);
    }

    #[test]
    fn skipped_and_repeated_times_have_one_answer() {
        let zone = berlin();
        // 2026-03-29 02:30 does not exist in Berlin; it counts as 03:30 summer time.
        let skipped = zone.instant(date(2026, 3, 29), time(2, 30, 0, 0));
        assert_eq!(zone.clock_label(skipped), "03:30");
        // 2026-10-25 02:30 happens twice; the first one (summer time, 00:30Z) is taken.
        let twice = zone.instant(date(2026, 10, 25), time(2, 30, 0, 0));
        assert_eq!(
            Timestamp::from_millisecond(twice).unwrap().to_string(),
            "2026-10-25T00:30:00Z"
        );
    }

    #[test]
    fn days_start_at_local_midnight() {
        let zone = berlin();
        let noon = zone.instant(date(2026, 10, 25), time(12, 0, 0, 0));
        let start = zone.day_start(noon);
        assert_eq!(zone.clock_label(start), "00:00");
        assert_eq!(zone.date_label(start), "2026-10-25");
        // The day summer time ends has 25 hours.
        let next = zone.start_of(date(2026, 10, 26));
        assert_eq!(next - start, 25 * 3_600_000);
        // Near midnight UTC the local date is already the next day.
        let late = zone.instant(date(2026, 11, 22), time(23, 30, 0, 0));
        assert_eq!(zone.date_label(late), "2026-11-22");
        assert_eq!(SchoolZone::utc().date_label(late), "2026-11-22");
        let early = zone.instant(date(2026, 11, 23), time(0, 30, 0, 0));
        assert_eq!(zone.date_label(early), "2026-11-23");
        assert_eq!(SchoolZone::utc().date_label(early), "2026-11-22");
    }
}
