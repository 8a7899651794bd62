//! Timetables and holidays, and keeping a class's upcoming sessions in step with them: every
//! change re-plans the upcoming scheduled sessions in the same transaction (adding what is
//! missing, removing what no longer falls on a meeting). Sessions already opened or closed are
//! history and never touched.

use super::Store;
use crate::domain::timetable::{
    parse_day_range, weekdays_from_bits, DayRange, Holiday, HolidayInput, Meeting, MeetingInput,
    MeetingRule,
};
use crate::domain::zone::SchoolZone;
use crate::domain::ClassId;
use crate::error::{AppError, AppResult};
use sqlx::AnyConnection;
use std::collections::HashSet;

type MeetingRow = (i64, i64, i64, String, String, String, String, i64);

const MEETING_COLUMNS: &str =
    "id, class_id, weekdays, starts_at, ends_at, first_day, last_day, late_after_minutes";

fn meeting_from(row: MeetingRow) -> Meeting {
    let (id, class_id, weekdays, starts_at, ends_at, first_day, last_day, late) = row;
    Meeting {
        id,
        class_id,
        input: MeetingInput {
            weekdays: weekdays_from_bits(weekdays.clamp(0, 127) as u8),
            starts_at,
            ends_at,
            first_day,
            last_day,
            late_after_minutes: late.clamp(0, 240) as u32,
        },
    }
}

/// `HH:MM`, or `HH:MM:SS` when the seconds matter.
fn time_text(time: jiff::civil::Time) -> String {
    if time.second() == 0 {
        format!("{:02}:{:02}", time.hour(), time.minute())
    } else {
        format!(
            "{:02}:{:02}:{:02}",
            time.hour(),
            time.minute(),
            time.second()
        )
    }
}

impl Store {
    pub async fn meetings_of(&self, class_id: ClassId) -> AppResult<Vec<Meeting>> {
        let rows: Vec<MeetingRow> = sqlx::query_as(&format!(
            "SELECT {MEETING_COLUMNS} FROM class_meetings WHERE class_id = $1 \
             ORDER BY first_day, starts_at, id"
        ))
        .bind(class_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(meeting_from).collect())
    }

    pub async fn meeting_class(&self, meeting_id: i64) -> AppResult<Option<ClassId>> {
        Ok(
            sqlx::query_scalar("SELECT class_id FROM class_meetings WHERE id = $1")
                .bind(meeting_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Adds a weekly meeting and schedules its sessions. Returns it as stored.
    pub async fn add_meeting(
        &self,
        class_id: ClassId,
        rule: &MeetingRule,
        zone: &SchoolZone,
        now_ms: i64,
    ) -> AppResult<Meeting> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let row: MeetingRow = sqlx::query_as(&format!(
            "INSERT INTO class_meetings \
             (class_id, weekdays, starts_at, ends_at, first_day, last_day, late_after_minutes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {MEETING_COLUMNS}"
        ))
        .bind(class_id)
        .bind(i64::from(rule.weekdays))
        .bind(time_text(rule.starts_at))
        .bind(time_text(rule.ends_at))
        .bind(rule.first_day.to_string())
        .bind(rule.last_day.to_string())
        .bind(i64::from(rule.late_after_minutes))
        .fetch_one(&mut *tx)
        .await?;
        reschedule(&mut tx, Some(class_id), zone, now_ms).await?;
        tx.commit().await?;
        Ok(meeting_from(row))
    }

    /// Removes a meeting and its upcoming sessions (held ones stay, as unscheduled history).
    /// Returns the class it belonged to, or `None` if there was no such meeting.
    pub async fn remove_meeting(&self, meeting_id: i64) -> AppResult<Option<ClassId>> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let class_id: Option<i64> =
            sqlx::query_scalar("SELECT class_id FROM class_meetings WHERE id = $1")
                .bind(meeting_id)
                .fetch_optional(&mut *tx)
                .await?;
        if class_id.is_some() {
            sqlx::query(
                "DELETE FROM class_sessions WHERE meeting_id = $1 AND is_open = 0 \
                 AND closed_at_ms IS NULL",
            )
            .bind(meeting_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE class_sessions SET meeting_id = NULL WHERE meeting_id = $1")
                .bind(meeting_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM class_meetings WHERE id = $1")
                .bind(meeting_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(class_id)
    }

    pub async fn holidays(&self) -> AppResult<Vec<Holiday>> {
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT id, name, first_day, last_day FROM holidays ORDER BY first_day, id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, first_day, last_day)| Holiday {
                id,
                input: HolidayInput {
                    name,
                    first_day,
                    last_day,
                },
            })
            .collect())
    }

    /// Adds a holiday and removes the upcoming sessions that fell on it.
    pub async fn add_holiday(
        &self,
        name: &str,
        days: DayRange,
        zone: &SchoolZone,
        now_ms: i64,
    ) -> AppResult<Holiday> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO holidays (name, first_day, last_day) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(name)
        .bind(days.first.to_string())
        .bind(days.last.to_string())
        .fetch_one(&mut *tx)
        .await?;
        reschedule(&mut tx, None, zone, now_ms).await?;
        tx.commit().await?;
        Ok(Holiday {
            id,
            input: HolidayInput {
                name: name.to_string(),
                first_day: days.first.to_string(),
                last_day: days.last.to_string(),
            },
        })
    }

    /// Removes a holiday and schedules the sessions it had suspended. False if there was none.
    pub async fn remove_holiday(&self, id: i64, zone: &SchoolZone, now_ms: i64) -> AppResult<bool> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let removed = sqlx::query("DELETE FROM holidays WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        reschedule(&mut tx, None, zone, now_ms).await?;
        tx.commit().await?;
        Ok(removed > 0)
    }

    /// Re-plans the upcoming sessions of one class (or all), e.g. after archiving or restoring.
    pub async fn reschedule(
        &self,
        class_id: Option<ClassId>,
        zone: &SchoolZone,
        now_ms: i64,
    ) -> AppResult<()> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        reschedule(&mut tx, class_id, zone, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Makes the upcoming scheduled sessions of the class (or of every class) exactly what its
/// meetings and the holidays say, from `now_ms` on. Archived classes have none.
async fn reschedule(
    conn: &mut AnyConnection,
    class_id: Option<ClassId>,
    zone: &SchoolZone,
    now_ms: i64,
) -> AppResult<()> {
    let holidays: Vec<(String, String)> =
        sqlx::query_as("SELECT first_day, last_day FROM holidays")
            .fetch_all(&mut *conn)
            .await?;
    let holidays: Vec<DayRange> = holidays
        .iter()
        .filter_map(|(first, last)| parse_day_range(first, last).ok())
        .collect();
    let meetings: Vec<MeetingWithArchived> = sqlx::query_as(
        "SELECT m.id, m.class_id, m.weekdays, m.starts_at, m.ends_at, m.first_day, m.last_day, \
         m.late_after_minutes, c.archived FROM class_meetings m \
         JOIN classes c ON c.id = m.class_id WHERE $1 = 0 OR m.class_id = $1",
    )
    .bind(class_id.unwrap_or(0))
    .fetch_all(&mut *conn)
    .await?;
    let meetings = meetings.into_iter().map(MeetingWithArchived::split);
    for (row, archived) in meetings {
        let meeting = meeting_from(row);
        let rule = MeetingRule::parse(&meeting.input).map_err(|error| {
            tracing::error!(meeting = meeting.id, %error, "stored meeting no longer parses");
            AppError::internal()
        })?;
        let planned = if archived != 0 {
            Vec::new()
        } else {
            rule.sessions(&holidays, zone, now_ms)
        };
        let existing: Vec<i64> = sqlx::query_scalar(
            "SELECT starts_at_ms FROM class_sessions WHERE meeting_id = $1 AND is_open = 0 \
             AND closed_at_ms IS NULL",
        )
        .bind(meeting.id)
        .fetch_all(&mut *conn)
        .await?;
        let wanted: HashSet<i64> = planned.iter().map(|p| p.starts_at_ms).collect();
        for stale in existing.iter().filter(|s| !wanted.contains(s)) {
            sqlx::query(
                "DELETE FROM class_sessions WHERE meeting_id = $1 AND starts_at_ms = $2 \
                 AND is_open = 0 AND closed_at_ms IS NULL",
            )
            .bind(meeting.id)
            .bind(stale)
            .execute(&mut *conn)
            .await?;
        }
        for session in planned {
            sqlx::query(
                "INSERT INTO class_sessions (class_id, meeting_id, starts_at_ms, ends_at_ms, \
                 late_after_minutes, is_open) VALUES ($1, $2, $3, $4, $5, 0) \
                 ON CONFLICT (meeting_id, starts_at_ms) DO NOTHING",
            )
            .bind(meeting.class_id)
            .bind(meeting.id)
            .bind(session.starts_at_ms)
            .bind(session.ends_at_ms)
            .bind(i64::from(session.late_after_minutes))
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct MeetingWithArchived {
    id: i64,
    class_id: i64,
    weekdays: i64,
    starts_at: String,
    ends_at: String,
    first_day: String,
    last_day: String,
    late_after_minutes: i64,
    archived: i64,
}

impl MeetingWithArchived {
    fn split(self) -> (MeetingRow, i64) {
        (
            (
                self.id,
                self.class_id,
                self.weekdays,
                self.starts_at,
                self.ends_at,
                self.first_day,
                self.last_day,
                self.late_after_minutes,
            ),
            self.archived,
        )
    }
}
