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
            let span = (days.last - days.first).get_days();
            if span >= MAX_TERM_DAYS {
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
mod tests {
    use super::*;
    use crate::domain::zone::SchoolZone;
    use jiff::civil::date;

    fn input(days: &[Weekday], from: &str, to: &str, first: &str, last: &str) -> MeetingInput {
        MeetingInput {
            weekdays: days.to_vec(),
            starts_at: from.into(),
            ends_at: to.into(),
            first_day: first.into(),
            last_day: last.into(),
            late_after_minutes: 5,
        }
    }

    fn berlin() -> SchoolZone {
        SchoolZone::parse("Europe/Berlin").unwrap()
    }

    fn utc_label(ms: i64) -> String {
        jiff::Timestamp::from_millisecond(ms).unwrap().to_string()
    }

    #[test]
    fn weekday_bits_round_trip() {
        let days = [Weekday::Monday, Weekday::Wednesday, Weekday::Sunday];
        assert_eq!(weekday_bits(&days), 0b100_0101);
        assert_eq!(weekdays_from_bits(0b100_0101), days.to_vec());
    }

    #[test]
    fn a_term_of_mondays_and_wednesdays_across_the_autumn_clock_change() {
        let rule = MeetingRule::parse(&input(
            &[Weekday::Monday, Weekday::Wednesday],
            "09:00",
            "09:45",
            "2026-10-19",
            "2026-10-28",
        ))
        .unwrap();
        let sessions = rule.sessions(&[], &berlin(), 0);
        let starts: Vec<String> = sessions.iter().map(|s| utc_label(s.starts_at_ms)).collect();
        // Mon 19, Wed 21 in summer time (UTC+2); Mon 26, Wed 28 in winter time (UTC+1).
        assert_eq!(
            starts,
            [
                "2026-10-19T07:00:00Z",
                "2026-10-21T07:00:00Z",
                "2026-10-26T08:00:00Z",
                "2026-10-28T08:00:00Z"
            ]
        );
        for s in &sessions {
            assert_eq!(s.ends_at_ms - s.starts_at_ms, 45 * 60_000);
            assert_eq!(berlin().clock_label(s.starts_at_ms), "09:00");
        }
    }

    #[test]
    fn spring_forward_keeps_the_wall_clock_and_skipped_times_move_on() {
        // Sunday 2026-03-29: clocks jump 02:00 → 03:00 in Berlin.
        let rule = MeetingRule::parse(&input(
            &[Weekday::Saturday, Weekday::Sunday],
            "02:30",
            "04:00",
            "2026-03-28",
            "2026-03-29",
        ))
        .unwrap();
        let sessions = rule.sessions(&[], &berlin(), 0);
        assert_eq!(sessions.len(), 2);
        assert_eq!(utc_label(sessions[0].starts_at_ms), "2026-03-28T01:30:00Z");
        // 02:30 does not exist on the 29th: it starts at 03:30 summer time, ends at 04:00.
        assert_eq!(berlin().clock_label(sessions[1].starts_at_ms), "03:30");
        assert_eq!(
            sessions[1].ends_at_ms - sessions[1].starts_at_ms,
            30 * 60_000
        );
    }

    #[test]
    fn holidays_and_the_past_are_skipped() {
        let rule = MeetingRule::parse(&input(
            &Weekday::ALL[..5],
            "08:00",
            "08:50",
            "2026-12-14",
            "2027-01-08",
        ))
        .unwrap();
        let zone = berlin();
        let winter = parse_day_range("2026-12-21", "2027-01-03").unwrap();
        let all = rule.sessions(&[winter], &zone, 0);
        // Two weeks of school (14–18 Dec, 4–8 Jan), the holiday between them.
        assert_eq!(all.len(), 10);
        assert!(all
            .iter()
            .all(|s| !winter.contains(zone.date_of(s.starts_at_ms))));
        // A meeting already over is not scheduled; one in progress is.
        let during_first = zone.instant(date(2026, 12, 14), jiff::civil::time(8, 30, 0, 0));
        let later = rule.sessions(&[winter], &zone, during_first);
        assert_eq!(later.len(), 10);
        let after_first = zone.instant(date(2026, 12, 14), jiff::civil::time(9, 0, 0, 0));
        assert_eq!(rule.sessions(&[winter], &zone, after_first).len(), 9);
    }

    #[test]
    fn bad_meetings_are_refused_with_a_reason() {
        let ok = input(
            &[Weekday::Monday],
            "09:00",
            "10:00",
            "2026-09-01",
            "2027-07-15",
        );
        assert!(MeetingRule::parse(&ok).is_ok());
        let cases = [
            (
                MeetingInput {
                    weekdays: vec![],
                    ..ok.clone()
                },
                "weekday",
            ),
            (
                MeetingInput {
                    ends_at: "09:00".into(),
                    ..ok.clone()
                },
                "after the start",
            ),
            (
                MeetingInput {
                    starts_at: "9".into(),
                    ..ok.clone()
                },
                "08:45",
            ),
            (
                MeetingInput {
                    starts_at: "25:00".into(),
                    ..ok.clone()
                },
                "08:45",
            ),
            (
                MeetingInput {
                    first_day: "2026-13-01".into(),
                    ..ok.clone()
                },
                "first day",
            ),
            (
                MeetingInput {
                    last_day: "2026-08-01".into(),
                    ..ok.clone()
                },
                "before the first",
            ),
            (
                MeetingInput {
                    last_day: "2028-01-01".into(),
                    ..ok.clone()
                },
                "at most",
            ),
            (
                MeetingInput {
                    late_after_minutes: 500,
                    ..ok.clone()
                },
                "late threshold",
            ),
        ];
        for (bad, expected) in cases {
            let error = MeetingRule::parse(&bad).unwrap_err();
            assert!(error.contains(expected), "{error} (wanted {expected})");
        }
    }
}
