//! Timetables: a class meets on some weekdays from a start to an end time, every week of a term,
//! except on school holidays. The wire types are shared with the browser; turning a meeting
//! into the sessions it schedules (server only) is pure, so it is tested here across daylight
//! saving changes.

use serde::{Deserialize, Serialize};

/// A day of the week, Monday first (ISO 8601).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    /// 0 for Monday … 6 for Sunday.
    pub fn index(self) -> u8 {
        Weekday::ALL.iter().position(|d| *d == self).unwrap_or(0) as u8
    }

    pub fn short_label(self) -> &'static str {
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][self.index() as usize]
    }
}

/// Weekdays as stored: bit 0 = Monday … bit 6 = Sunday.
pub fn weekday_bits(days: &[Weekday]) -> u8 {
    days.iter().fold(0, |bits, day| bits | 1 << day.index())
}

pub fn weekdays_from_bits(bits: u8) -> Vec<Weekday> {
    Weekday::ALL
        .into_iter()
        .filter(|day| bits & (1 << day.index()) != 0)
        .collect()
}

/// A class's weekly meeting as a person enters it: times `HH:MM` (or `HH:MM:SS`) on the
/// school's clock, dates `YYYY-MM-DD`, both ends included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingInput {
    pub weekdays: Vec<Weekday>,
    pub starts_at: String,
    pub ends_at: String,
    pub first_day: String,
    pub last_day: String,
    pub late_after_minutes: u32,
}

/// A stored meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub id: i64,
    pub class_id: i64,
    #[serde(flatten)]
    pub input: MeetingInput,
}

/// A school holiday (both days included): nothing is scheduled on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HolidayInput {
    pub name: String,
    pub first_day: String,
    pub last_day: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holiday {
    pub id: i64,
    #[serde(flatten)]
    pub input: HolidayInput,
}

/// The longest term a meeting may span: a school year and a bit.
pub const MAX_TERM_DAYS: i32 = 400;

#[cfg(feature = "ssr")]
pub use plan::*;

#[cfg(feature = "ssr")]
mod plan {
    use super::*;
    use crate::domain::zone::SchoolZone;
    use jiff::civil::{Date, Time};

    /// A meeting checked and parsed: what scheduling works from.
    #[derive(Debug, Clone, PartialEq)]
    pub struct MeetingRule {
        pub weekdays: u8,
        pub starts_at: Time,
        pub ends_at: Time,
        pub first_day: Date,
        pub last_day: Date,
        pub late_after_minutes: u32,
    }

    /// A holiday as inclusive dates.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct DayRange {
        pub first: Date,
        pub last: Date,
    }

    impl DayRange {
        pub fn contains(&self, day: Date) -> bool {
            self.first <= day && day <= self.last
        }

        /// Days from the first to the last (0 for a single day).
        pub fn span_days(&self) -> i32 {
            (self.last - self.first).get_days()
        }
    }

    /// One session a meeting schedules.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct PlannedSession {
        pub starts_at_ms: i64,
        pub ends_at_ms: i64,
        pub late_after_minutes: u32,
    }

    pub fn parse_day(text: &str, what: &str) -> Result<Date, String> {
        text.trim()
            .parse::<Date>()
            .map_err(|_| format!("The {what} must be a date like 2026-09-01."))
    }

    pub fn parse_time(text: &str, what: &str) -> Result<Time, String> {
        let text = text.trim();
        let valid = matches!(text.len(), 5 | 8) && text.as_bytes()[2] == b':';
        valid
            .then(|| text.parse::<Time>().ok())
            .flatten()
            .ok_or_else(|| format!("The {what} must be a time like 08:45."))
    }

    pub fn parse_day_range(first: &str, last: &str) -> Result<DayRange, String> {
        let first = parse_day(first, "first day")?;
        let last = parse_day(last, "last day")?;
        if last < first {
            return Err("The last day must not be before the first day.".into());
        }
        Ok(DayRange { first, last })
    }

    impl MeetingRule {
        pub fn parse(input: &MeetingInput) -> Result<MeetingRule, String> {
            if input.weekdays.is_empty() {
                return Err("Choose at least one weekday.".into());
            }
            let starts_at = parse_time(&input.starts_at, "start time")?;
            let ends_at = parse_time(&input.ends_at, "end time")?;
            if ends_at <= starts_at {
                return Err("The end time must be after the start time.".into());
            }
            let days = parse_day_range(&input.first_day, &input.last_day)?;
            if days.span_days() >= MAX_TERM_DAYS {
                return Err(format!(
                    "A term can be at most {MAX_TERM_DAYS} days long; split it into terms."
                ));
            }
            if input.late_after_minutes > 240 {
                return Err("The late threshold must be between 0 and 240 minutes.".into());
            }
            Ok(MeetingRule {
                weekdays: weekday_bits(&input.weekdays),
                starts_at,
                ends_at,
                first_day: days.first,
                last_day: days.last,
                late_after_minutes: input.late_after_minutes,
            })
        }

        /// The sessions this meeting schedules that end after `after_ms`: one per matching
        /// weekday of the term that is not a holiday, each from its local start to its local end
        /// on that day's clock (so 09:00 stays 09:00 across a daylight-saving change).
        pub fn sessions(
            &self,
            holidays: &[DayRange],
            zone: &SchoolZone,
            after_ms: i64,
        ) -> Vec<PlannedSession> {
            let mut planned = Vec::new();
            let mut day = self.first_day;
            while day <= self.last_day {
                let weekday_bit = 1 << (day.weekday().to_monday_zero_offset() as u8);
                if self.weekdays & weekday_bit != 0 && !holidays.iter().any(|h| h.contains(day)) {
                    let session = PlannedSession {
                        starts_at_ms: zone.instant(day, self.starts_at),
                        ends_at_ms: zone.instant(day, self.ends_at),
                        late_after_minutes: self.late_after_minutes,
                    };
                    if session.ends_at_ms > after_ms && session.ends_at_ms > session.starts_at_ms {
                        planned.push(session);
                    }
                }
                match day.tomorrow() {
                    Ok(next) => day = next,
                    Err(_) => break,
                }
            }
            planned
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
#[path = "timetable_tests.rs"]
mod tests;
