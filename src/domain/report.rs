//! Attendance over time: a class's register, a student's history and the school's figures,
//! computed from sessions and marks. Pure: the store loads the rows, these functions count, and
//! the page and its CSV export show the same numbers because both come from here.

use super::{AttendanceCounts, AttendanceStatus, ClassId, SessionId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// What an attendance rate is counted over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateBasis {
    /// Sessions that were held (opened) and in which the student was marked; excused ones are
    /// left out. A session the teacher never took does not count against anyone.
    #[default]
    Held,
    /// Every scheduled session that has started, held or not; excused ones are left out. A
    /// session never taken counts as missed.
    Scheduled,
}

impl RateBasis {
    pub fn parse(text: &str) -> Option<RateBasis> {
        match text {
            "held" => Some(RateBasis::Held),
            "scheduled" => Some(RateBasis::Scheduled),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RateBasis::Held => "held",
            RateBasis::Scheduled => "scheduled",
        }
    }

    /// How the page explains the rate, next to it.
    pub fn explanation(self) -> &'static str {
        match self {
            RateBasis::Held => {
                "Rate = present or late ÷ sessions held in which the student was marked, \
                 excused sessions left out. Sessions never taken do not count."
            }
            RateBasis::Scheduled => {
                "Rate = present or late ÷ every scheduled session that has started, held or \
                 not, excused sessions left out. A session never taken counts as missed."
            }
        }
    }
}

/// One session as a report sees it. `day` (`YYYY-MM-DD`) and `hour` (0–23) are on the school's
/// clock, worked out by the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportSession {
    pub id: SessionId,
    pub class_id: ClassId,
    pub starts_at_ms: i64,
    pub day: String,
    pub hour: u8,
    /// It opened at some point.
    pub held: bool,
    /// It has started (its scheduled start is in the past).
    pub started: bool,
}

/// A student's figures over a set of sessions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct StudentTotals {
    /// Marks by status over held sessions (`not_marked`: held sessions without a mark).
    pub counts: AttendanceCounts,
    /// Sessions that had started, held or not (the scheduled basis counts over these).
    pub started: u32,
    /// Sessions the rate counts over on its basis (its denominator).
    pub expected: u32,
    pub rate: Option<f64>,
    /// The most absences in a row (excused and unmarked sessions neither break nor extend it).
    pub longest_absence_streak: u32,
    /// Absences in a row up to the latest session.
    pub current_absence_streak: u32,
}

/// `attended ÷ expected`, `None` when nobody was expected.
pub fn rate(attended: u32, expected: u32) -> Option<f64> {
    (expected > 0).then(|| attended as f64 / expected as f64)
}

/// A rate as a whole percentage (half rounds up, as people do: 12.5% is 13%), "–" when
/// undefined.
pub fn percent_label(rate: Option<f64>) -> String {
    match rate {
        Some(rate) => format!("{:.0}%", (rate * 100.0).round()),
        None => "–".into(),
    }
}

/// Longest and current run of absences in `statuses`, oldest first. Present or late ends a
/// run; excused or no mark is skipped (it neither ends nor extends one).
pub fn absence_streaks(statuses: impl IntoIterator<Item = Option<AttendanceStatus>>) -> (u32, u32) {
    let (mut longest, mut current) = (0, 0);
    for status in statuses {
        match status {
            Some(AttendanceStatus::Absent) => {
                current += 1;
                longest = longest.max(current);
            }
            Some(AttendanceStatus::Present | AttendanceStatus::Late) => current = 0,
            Some(AttendanceStatus::Excused) | None => {}
        }
    }
    (longest, current)
}

/// A student's totals over `cells`: each session (oldest first) with the student's mark.
pub fn student_totals<'a>(
    cells: impl IntoIterator<Item = (&'a ReportSession, Option<AttendanceStatus>)>,
    basis: RateBasis,
) -> StudentTotals {
    let mut totals = StudentTotals::default();
    let mut streak_input = Vec::new();
    for (session, status) in cells {
        if session.started {
            totals.started += 1;
        }
        if session.held {
            totals.counts.add(status);
            streak_input.push(status);
        }
    }
    let c = totals.counts;
    let attended = c.present + c.late;
    totals.expected = match basis {
        RateBasis::Held => c.present + c.late + c.absent,
        RateBasis::Scheduled => totals.started.saturating_sub(c.excused),
    };
    totals.rate = rate(attended, totals.expected);
    (totals.longest_absence_streak, totals.current_absence_streak) = absence_streaks(streak_input);
    totals
}

/// A session's rate: who came among those marked and not excused.
pub fn session_rate(counts: &AttendanceCounts) -> Option<f64> {
    rate(
        counts.present + counts.late,
        counts.present + counts.late + counts.absent,
    )
}

/// Figures for one group of sessions (a class, a day, an hour of the day).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupFigures {
    pub key: String,
    pub sessions_held: u32,
    /// Started but never opened: attendance was never taken.
    pub sessions_not_held: u32,
    pub counts: AttendanceCounts,
    pub rate: Option<f64>,
}

/// One mark as the school report reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkCell {
    pub session_id: SessionId,
    pub student_id: UserId,
    pub status: AttendanceStatus,
}

/// Groups sessions by `key` and counts their marks; groups in key order. The key is worked out
/// once per session, not per mark (a school's term has hundreds of thousands of marks).
pub fn group_figures(
    sessions: &[ReportSession],
    marks: &[MarkCell],
    key: impl Fn(&ReportSession) -> String,
) -> Vec<GroupFigures> {
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut groups: Vec<GroupFigures> = Vec::new();
    let mut group_of_held: HashMap<SessionId, usize> = HashMap::with_capacity(sessions.len());
    for session in sessions.iter().filter(|s| s.started || s.held) {
        let key = key(session);
        let at = *index.entry(key.clone()).or_insert_with(|| {
            groups.push(GroupFigures {
                key,
                ..GroupFigures::default()
            });
            groups.len() - 1
        });
        match (session.started, session.held) {
            (true, true) => groups[at].sessions_held += 1,
            (true, false) => groups[at].sessions_not_held += 1,
            _ => {}
        }
        if session.held {
            group_of_held.insert(session.id, at);
        }
    }
    for mark in marks {
        if let Some(&at) = group_of_held.get(&mark.session_id) {
            groups[at].counts.add(Some(mark.status));
        }
    }
    index
        .into_values()
        .map(|at| {
            let mut group = std::mem::take(&mut groups[at]);
            group.rate = session_rate(&group.counts);
            group
        })
        .collect()
}

/// Each student's totals over the sessions of `marks` (a student's sessions are those they have
/// a mark in, oldest first), for the chronic-absence list.
pub fn totals_by_student(
    sessions: &[ReportSession],
    marks: &[MarkCell],
) -> BTreeMap<UserId, StudentTotals> {
    let by_id: HashMap<SessionId, &ReportSession> = sessions.iter().map(|s| (s.id, s)).collect();
    let mut per_student: HashMap<UserId, Vec<(&ReportSession, Option<AttendanceStatus>)>> =
        HashMap::new();
    for mark in marks {
        if let Some(session) = by_id.get(&mark.session_id) {
            per_student
                .entry(mark.student_id)
                .or_default()
                .push((session, Some(mark.status)));
        }
    }
    per_student
        .into_iter()
        .map(|(student, mut cells)| {
            cells.sort_by_key(|(session, _)| (session.starts_at_ms, session.id));
            (student, student_totals(cells, RateBasis::Held))
        })
        .collect()
}

/// When a student counts as chronically absent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChronicRule {
    /// Below this rate (0–1) over held sessions.
    pub below_rate: f64,
    /// Or this many absences in a row, up to now.
    pub absences_in_a_row: u32,
}

impl Default for ChronicRule {
    /// Below 90% (missing one session in ten, the usual definition of chronic absence) or three
    /// absences in a row.
    fn default() -> Self {
        ChronicRule {
            below_rate: 0.9,
            absences_in_a_row: 3,
        }
    }
}

impl ChronicRule {
    pub fn matches(&self, totals: &StudentTotals) -> bool {
        totals.rate.is_some_and(|rate| rate < self.below_rate)
            || (self.absences_in_a_row > 0
                && totals.current_absence_streak >= self.absences_in_a_row)
    }
}

/// How a day of a student's calendar is coloured: the worst of that day's marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayStanding {
    /// Every session of the day attended on time.
    Present,
    /// Attended, at least once late.
    Late,
    /// Excused from at least one session, absent from none.
    Excused,
    /// Absent from at least one session.
    Absent,
}

impl DayStanding {
    pub fn label(self) -> &'static str {
        match self {
            DayStanding::Present => "present",
            DayStanding::Late => "late",
            DayStanding::Excused => "excused",
            DayStanding::Absent => "absent",
        }
    }
}

/// The standing of a day from its marks, `None` when the day has none.
pub fn day_standing(statuses: impl IntoIterator<Item = AttendanceStatus>) -> Option<DayStanding> {
    statuses
        .into_iter()
        .map(|status| match status {
            AttendanceStatus::Present => DayStanding::Present,
            AttendanceStatus::Late => DayStanding::Late,
            AttendanceStatus::Excused => DayStanding::Excused,
            AttendanceStatus::Absent => DayStanding::Absent,
        })
        .max_by_key(|standing| match standing {
            DayStanding::Present => 0,
            DayStanding::Late => 1,
            DayStanding::Excused => 2,
            DayStanding::Absent => 3,
        })
}
