//! Rows as the `Any` driver reads them (booleans are 0/1 integers, enums are text), and their
//! conversion into domain types. Nothing outside the store sees these.

use crate::domain::{
    AttendanceStatus, CheckInRules, ClassSession, ClassSummary, CurrentUser, JoinCode, Mark,
    MarkSource, Role, RosterEntry, StudentSession,
};
use crate::protocol::{Channel, Event};
use sqlx::FromRow;
use std::collections::HashMap;

#[derive(Debug, Clone, FromRow)]
pub(super) struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub must_change_password: i64,
    /// When the sign-in this row was read through ends.
    pub expires_at_ms: i64,
}

impl UserRow {
    pub fn into_user(self) -> Option<CurrentUser> {
        Some(CurrentUser {
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            role: Role::parse(&self.role)?,
            must_change_password: self.must_change_password != 0,
        })
    }
}

#[derive(Debug, Clone, FromRow)]
pub(super) struct ClassRow {
    pub id: i64,
    pub name: String,
    pub archived: i64,
    pub student_count: i64,
    pub open_session_id: Option<i64>,
}

impl ClassRow {
    pub fn into_summary(self, teachers: &Teachers) -> ClassSummary {
        ClassSummary {
            id: self.id,
            name: self.name,
            teacher_name: teachers.names_of(self.id),
            archived: self.archived != 0,
            student_count: self.student_count.clamp(0, u32::MAX as i64) as u32,
            open_session_id: self.open_session_id,
        }
    }
}

/// Classes' teachers (id and name, by name), read once and looked up per class.
#[derive(Debug, Default)]
pub(super) struct Teachers(pub HashMap<i64, Vec<(i64, String)>>);

impl Teachers {
    pub fn ids_of(&self, class_id: i64) -> Vec<i64> {
        self.0
            .get(&class_id)
            .map(|list| list.iter().map(|(id, _)| *id).collect())
            .unwrap_or_default()
    }

    pub fn names_of(&self, class_id: i64) -> String {
        self.0
            .get(&class_id)
            .map(|list| {
                list.iter()
                    .map(|(_, name)| name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    }
}

/// The columns of a `SessionRow`, from `class_sessions s` joined to its class.
pub(super) const SESSION_COLUMNS: &str = "s.id, s.class_id, c.name AS class_name, s.starts_at_ms, \
     s.ends_at_ms, s.late_after_minutes, s.join_code, s.is_open, s.opened_at_ms, s.closed_at_ms, \
     s.meeting_id, COALESCE(s.check_in_rules, c.check_in_rules) AS check_in_rules FROM class_sessions s JOIN classes c ON c.id = s.class_id";

#[derive(Debug, Clone, FromRow)]
pub(super) struct SessionRow {
    pub id: i64,
    pub class_id: i64,
    pub class_name: String,
    pub starts_at_ms: i64,
    pub ends_at_ms: Option<i64>,
    pub late_after_minutes: i64,
    pub join_code: Option<String>,
    pub is_open: i64,
    pub opened_at_ms: Option<i64>,
    pub closed_at_ms: Option<i64>,
    pub meeting_id: Option<i64>,
    /// JSON; `NULL` on both the session and its class: the defaults.
    pub check_in_rules: Option<String>,
}

impl SessionRow {
    /// `None` only if the row holds a code this version cannot read (never written by it).
    pub fn into_session(self, teachers: &Teachers) -> Option<ClassSession> {
        let join_code = match self.join_code {
            Some(code) => Some(JoinCode::parse(&code).ok()?),
            None => None,
        };
        Some(ClassSession {
            id: self.id,
            teacher_ids: teachers.ids_of(self.class_id),
            teacher_name: teachers.names_of(self.class_id),
            class_id: self.class_id,
            class_name: self.class_name,
            starts_at_ms: self.starts_at_ms,
            ends_at_ms: self.ends_at_ms,
            late_after_minutes: self.late_after_minutes.clamp(0, u32::MAX as i64) as u32,
            join_code,
            is_open: self.is_open != 0,
            opened_at_ms: self.opened_at_ms,
            closed_at_ms: self.closed_at_ms,
            scheduled: self.meeting_id.is_some(),
            rules: rules_from_column(self.check_in_rules.as_deref()),
        })
    }
}

/// Rules as stored (JSON); unreadable or missing ones are the defaults (everything off).
pub(super) fn rules_from_column(column: Option<&str>) -> CheckInRules {
    column
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default()
}

pub(super) fn rules_column(rules: &CheckInRules) -> String {
    serde_json::to_string(rules).unwrap_or_else(|_| "{}".into())
}

#[derive(Debug, Clone, FromRow)]
pub(super) struct MarkRow {
    pub status: String,
    pub source: String,
    pub marked_at_ms: i64,
    pub version: i64,
}

impl MarkRow {
    pub fn into_mark(self) -> Option<Mark> {
        Some(Mark {
            status: AttendanceStatus::parse(&self.status)?,
            source: MarkSource::parse(&self.source)?,
            marked_at_ms: self.marked_at_ms,
            version: self.version,
        })
    }
}

#[derive(Debug, Clone, FromRow)]
pub(super) struct RosterRow {
    pub student_id: i64,
    pub display_name: String,
    pub username: String,
    pub status: Option<String>,
    pub source: Option<String>,
    pub marked_at_ms: Option<i64>,
    pub version: Option<i64>,
}

impl From<RosterRow> for RosterEntry {
    fn from(row: RosterRow) -> Self {
        let mark = match (row.status, row.source, row.marked_at_ms, row.version) {
            (Some(status), Some(source), Some(marked_at_ms), Some(version)) => MarkRow {
                status,
                source,
                marked_at_ms,
                version,
            }
            .into_mark(),
            _ => None,
        };
        RosterEntry {
            student_id: row.student_id,
            display_name: row.display_name,
            username: row.username,
            mark,
        }
    }
}

#[derive(Debug, Clone, FromRow)]
pub(super) struct StudentSessionRow {
    pub session_id: i64,
    pub class_name: String,
    pub starts_at_ms: i64,
    pub is_open: i64,
    pub status: Option<String>,
    pub source: Option<String>,
}

impl From<StudentSessionRow> for StudentSession {
    fn from(row: StudentSessionRow) -> Self {
        StudentSession {
            session_id: row.session_id,
            class_name: row.class_name,
            starts_at_ms: row.starts_at_ms,
            is_open: row.is_open != 0,
            status: row.status.as_deref().and_then(AttendanceStatus::parse),
            source: row.source.as_deref().and_then(MarkSource::parse),
        }
    }
}

#[derive(Debug, Clone, FromRow)]
pub(super) struct EventRow {
    pub channel: String,
    pub seq: i64,
    pub at_ms: i64,
    pub body: String,
}

impl EventRow {
    pub fn into_event(self) -> Option<Event> {
        Some(Event {
            channel: Channel::parse(&self.channel).ok()?,
            seq: self.seq,
            at_ms: self.at_ms,
            body: serde_json::from_str(&self.body).ok()?,
        })
    }
}
