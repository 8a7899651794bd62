//! Reports: a class's register, a student's history, the school's figures. Each is a server
//! function for its page and the same numbers as CSV (`report_csv`). Who sees what: a class's
//! teachers and admins its register; a student their own history, a teacher the history of their
//! students in the classes they teach, admins everyone's; the school report is for admins.

use crate::domain::report::{
    ChronicRule, DayStanding, GroupFigures, RateBasis, ReportSession, StudentTotals,
};
use crate::domain::{AttendanceCounts, AttendanceStatus, ClassId, UserId};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// Where each report's CSV is served (`api::report_csv`); the pages link to them.
pub const CLASS_CSV_PATH: &str = "/api/reports/class.csv";
pub const STUDENT_CSV_PATH: &str = "/api/reports/student.csv";
pub const SCHOOL_CSV_PATH: &str = "/api/reports/school.csv";
/// A session's check-in audit (`?session=<id>`).
pub const CHECK_INS_CSV_PATH: &str = "/api/reports/check-ins.csv";

/// A report's dates, inclusive, `YYYY-MM-DD` on the school's clock. Left out: the last day is
/// today and the first is the earliest session in scope (at most a year back).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportRange {
    pub first_day: Option<String>,
    pub last_day: Option<String>,
}

/// A session as a column of a register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisterColumn {
    pub session: ReportSession,
    /// "09-01 09:00": the column's heading.
    pub label: String,
    pub counts: AttendanceCounts,
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisterRow {
    pub student_id: UserId,
    pub name: String,
    pub username: String,
    /// One per column: the student's mark, `None` when there is none.
    pub cells: Vec<Option<AttendanceStatus>>,
    pub totals: StudentTotals,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassReportView {
    pub class_id: ClassId,
    pub class_name: String,
    pub teacher_name: String,
    pub first_day: String,
    pub last_day: String,
    pub basis: RateBasis,
    pub columns: Vec<RegisterColumn>,
    pub rows: Vec<RegisterRow>,
    /// All marks of the range, and the rate over them on the chosen basis.
    pub totals: AttendanceCounts,
    pub rate: Option<f64>,
    pub sessions_held: u32,
    pub sessions_not_held: u32,
    /// Sessions in the range still to come.
    pub sessions_upcoming: u32,
}

/// One of a student's sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryLine {
    pub day: String,
    pub clock: String,
    pub class_name: String,
    pub held: bool,
    pub started: bool,
    pub status: Option<AttendanceStatus>,
}

/// A day of a student's calendar heat-map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarDay {
    pub day: String,
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    pub sessions: u32,
    pub standing: Option<DayStanding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassTotals {
    pub class_id: ClassId,
    pub class_name: String,
    pub totals: StudentTotals,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudentReportView {
    pub student_id: UserId,
    pub name: String,
    pub username: String,
    pub first_day: String,
    pub last_day: String,
    pub basis: RateBasis,
    /// Over every class shown.
    pub totals: StudentTotals,
    pub classes: Vec<ClassTotals>,
    /// Newest first.
    pub history: Vec<HistoryLine>,
    /// Every day of the range, oldest first.
    pub calendar: Vec<CalendarDay>,
    /// True when a teacher sees only the classes they teach.
    pub limited_to_own_classes: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassFigures {
    pub class_id: ClassId,
    pub class_name: String,
    pub archived: bool,
    pub figures: GroupFigures,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChronicLine {
    pub student_id: UserId,
    pub name: String,
    pub username: String,
    pub totals: StudentTotals,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchoolReportView {
    pub first_day: String,
    pub last_day: String,
    pub rule: ChronicRule,
    pub overall: GroupFigures,
    pub by_class: Vec<ClassFigures>,
    pub by_day: Vec<GroupFigures>,
    /// Keyed "08" … "17": the hour sessions start, on the school's clock.
    pub by_hour: Vec<GroupFigures>,
    /// Below the rule's rate or absent that many times in a row; lowest rate first.
    pub chronic: Vec<ChronicLine>,
    /// Classes with sessions whose time passed without attendance being taken; most first.
    pub untaken: Vec<ClassFigures>,
}

/// A class's register over the range: one row per student, one column per session, totals
/// and the attendance rate on the chosen basis (the class's teachers and admins).
#[server(endpoint = "class_report", input = Json)]
pub async fn class_report(
    class_id: ClassId,
    range: ReportRange,
    basis: Option<RateBasis>,
) -> Result<ClassReportView, AppError> {
    let user = crate::api::teacher::ssr::staff().await?;
    crate::api::report_views::class_report(
        &crate::server::state(),
        &user,
        class_id,
        &range,
        basis.unwrap_or_default(),
    )
    .await
}

/// A student's attendance across their classes: totals, streaks, history and calendar. A
/// student sees their own (`student_id` left out or their own id); a teacher sees a student of
/// their classes, limited to those classes; admins see anyone.
#[server(endpoint = "student_report", input = Json)]
pub async fn student_report(
    student_id: Option<UserId>,
    range: ReportRange,
    basis: Option<RateBasis>,
) -> Result<StudentReportView, AppError> {
    let user = crate::server::auth::current_user().await?;
    crate::api::report_views::student_report(
        &crate::server::state(),
        &user,
        student_id,
        &range,
        basis.unwrap_or_default(),
    )
    .await
}

/// The school's figures over the range (admins): rate by class, by day and by hour, the
/// chronic-absence list by `rule` (default: below 90% or 3 absences in a row), and classes
/// whose sessions were never taken.
#[server(endpoint = "school_report", input = Json)]
pub async fn school_report(
    range: ReportRange,
    rule: Option<ChronicRule>,
) -> Result<SchoolReportView, AppError> {
    use crate::domain::Role;
    let user =
        crate::server::auth::require_role(&[Role::Admin], "The school report is for admins.")
            .await?;
    crate::api::report_views::school_report(
        &crate::server::state(),
        &user,
        &range,
        rule.unwrap_or_default(),
    )
    .await
}
