//! Builds the report views from the store's rows: resolves the date range on the school's
//! clock, checks who may see what, and counts with `domain::report`. The pages and the CSV
//! exports both call these, so they agree on every number.

use crate::api::reports::*;
use crate::domain::report::{
    day_standing, group_figures, student_totals, totals_by_student, ChronicRule, GroupFigures,
    MarkCell, RateBasis, ReportSession,
};
use crate::domain::timetable::{parse_day_range, MAX_TERM_DAYS};
use crate::domain::zone::SchoolZone;
use crate::domain::{AttendanceCounts, ClassId, CurrentUser, Role, SessionId, UserId};
use crate::error::{AppError, AppResult};
use crate::server::store::{RangeSession, RegisterRows};
use crate::server::{now_ms, AppState};
use jiff::civil::Date;
use jiff::ToSpan;
use std::collections::HashMap;

/// A resolved range: inclusive local dates and the instants `[from_ms, until_ms)` they span.
struct Range {
    first: Date,
    last: Date,
    from_ms: i64,
    until_ms: i64,
}

/// The range asked for; left-out ends default to today and to `earliest` (the first session in
/// scope), at most `MAX_TERM_DAYS` back.
fn resolve(zone: &SchoolZone, range: &ReportRange, earliest: Option<i64>) -> AppResult<Range> {
    let now = now_ms();
    let today = zone.date_of(now);
    let last = match range.last_day.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(text) => text.to_string(),
        None => today.to_string(),
    };
    let first = match range.first_day.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(text) => text.to_string(),
        None => {
            let last_date = last.parse::<Date>().unwrap_or(today);
            let floor = last_date
                .checked_sub((MAX_TERM_DAYS - 1).days())
                .unwrap_or(last_date);
            let earliest = earliest.map_or(last_date, |ms| zone.date_of(ms));
            earliest.clamp(floor, last_date).to_string()
        }
    };
    let days = parse_day_range(&first, &last).map_err(AppError::bad_request)?;
    if days.span_days() >= MAX_TERM_DAYS {
        return Err(AppError::bad_request(format!(
            "A report covers at most {MAX_TERM_DAYS} days; choose a shorter range."
        )));
    }
    let (from_ms, until_ms) = zone.instants_of(days);
    Ok(Range {
        first: days.first,
        last: days.last,
        from_ms,
        until_ms,
    })
}

fn report_session(zone: &SchoolZone, s: &RangeSession, now: i64) -> ReportSession {
    let (day, hour) = zone.day_and_hour(s.starts_at_ms);
    ReportSession {
        id: s.id,
        class_id: s.class_id,
        starts_at_ms: s.starts_at_ms,
        day,
        hour,
        held: s.held,
        started: s.starts_at_ms <= now,
    }
}

fn sessions_of(zone: &SchoolZone, rows: &RegisterRows) -> Vec<ReportSession> {
    let now = now_ms();
    rows.sessions
        .iter()
        .map(|s| report_session(zone, s, now))
        .collect()
}

fn marks_by_cell(
    marks: &[MarkCell],
) -> HashMap<(SessionId, UserId), crate::domain::AttendanceStatus> {
    marks
        .iter()
        .map(|m| ((m.session_id, m.student_id), m.status))
        .collect()
}

/// The class's register (its teachers and admins).
pub async fn class_report(
    state: &AppState,
    user: &CurrentUser,
    class_id: ClassId,
    range: &ReportRange,
    basis: RateBasis,
) -> AppResult<ClassReportView> {
    let store = &state.store;
    let not_found = || AppError::not_found("There is no such class.");
    let teachers = store
        .class_teachers(class_id)
        .await?
        .ok_or_else(not_found)?;
    crate::api::teacher::ssr::check_runs(user, &teachers)?;
    let (class_name, _) = store.class_name(class_id).await?.ok_or_else(not_found)?;
    let zone = &state.config.time_zone;
    let earliest = store.earliest_session_ms(Some(class_id), None).await?;
    let range = resolve(zone, range, earliest)?;
    let rows = store
        .class_register(class_id, range.from_ms, range.until_ms)
        .await?;
    let sessions = sessions_of(zone, &rows);
    let marks = marks_by_cell(&rows.marks);
    let columns = sessions
        .iter()
        .map(|session| {
            let counts = AttendanceCounts::from_statuses(
                rows.people
                    .iter()
                    .filter_map(|p| marks.get(&(session.id, p.id)).copied().map(Some)),
            );
            RegisterColumn {
                label: format!(
                    "{} {}",
                    &session.day[5..],
                    zone.clock_label(session.starts_at_ms)
                ),
                rate: crate::domain::report::session_rate(&counts),
                counts,
                session: session.clone(),
            }
        })
        .collect();
    let register_rows: Vec<RegisterRow> = rows
        .people
        .iter()
        .map(|person| {
            let cells: Vec<_> = sessions
                .iter()
                .map(|s| marks.get(&(s.id, person.id)).copied())
                .collect();
            RegisterRow {
                student_id: person.id,
                name: person.display_name.clone(),
                username: person.username.clone(),
                totals: student_totals(sessions.iter().zip(cells.iter().copied()), basis),
                cells,
            }
        })
        .collect();
    let mut totals = AttendanceCounts::default();
    let mut expected = 0;
    for row in &register_rows {
        totals.merge(row.totals.counts);
        expected += row.totals.expected;
    }
    Ok(ClassReportView {
        class_id,
        class_name,
        teacher_name: store.class_teacher_names(class_id).await?,
        first_day: range.first.to_string(),
        last_day: range.last.to_string(),
        basis,
        rate: crate::domain::report::rate(totals.present + totals.late, expected),
        totals,
        sessions_held: sessions.iter().filter(|s| s.held).count() as u32,
        sessions_not_held: sessions.iter().filter(|s| s.started && !s.held).count() as u32,
        sessions_upcoming: sessions.iter().filter(|s| !s.started && !s.held).count() as u32,
        columns,
        rows: register_rows,
    })
}

/// A student's report. Students: their own; teachers: a student of theirs, in their classes;
/// admins: any student.
pub async fn student_report(
    state: &AppState,
    user: &CurrentUser,
    student_id: Option<UserId>,
    range: &ReportRange,
    basis: RateBasis,
) -> AppResult<StudentReportView> {
    let store = &state.store;
    let student_id = student_id.unwrap_or(user.id);
    let (classes, limited) = match user.role {
        Role::Student if student_id == user.id => (None, false),
        Role::Student => {
            return Err(AppError::forbidden("You can only see your own attendance."));
        }
        Role::Teacher => {
            let own: Vec<ClassId> = store
                .classes_visible_to(user)
                .await?
                .into_iter()
                .map(|c| c.id)
                .collect();
            (Some(own), true)
        }
        Role::Admin => (None, false),
    };
    let student = store
        .user_listing(student_id)
        .await?
        .filter(|u| u.role == Role::Student.as_str())
        .ok_or_else(|| AppError::not_found("There is no such student."))?;
    let zone = &state.config.time_zone;
    let earliest = store.earliest_session_ms(None, Some(student_id)).await?;
    let range = resolve(zone, range, earliest)?;
    let rows = store
        .student_register(
            student_id,
            classes.as_deref(),
            range.from_ms,
            range.until_ms,
        )
        .await?;
    if limited && rows.classes.is_empty() {
        return Err(AppError::forbidden(
            "This student is not in one of your classes.",
        ));
    }
    let sessions = sessions_of(zone, &rows);
    let marks = marks_by_cell(&rows.marks);
    let mark_of = |s: &ReportSession| marks.get(&(s.id, student_id)).copied();
    let class_names: HashMap<ClassId, String> = rows
        .classes
        .iter()
        .map(|c| (c.id, c.name.clone()))
        .collect();
    let classes = rows
        .classes
        .iter()
        .map(|class| ClassTotals {
            class_id: class.id,
            class_name: class.name.clone(),
            totals: student_totals(
                sessions
                    .iter()
                    .filter(|s| s.class_id == class.id)
                    .map(|s| (s, mark_of(s))),
                basis,
            ),
        })
        .collect();
    let mut calendar = Vec::new();
    let mut day = range.first;
    while day <= range.last {
        let label = day.to_string();
        let of_day: Vec<&ReportSession> = sessions.iter().filter(|s| s.day == label).collect();
        calendar.push(CalendarDay {
            weekday: day.weekday().to_monday_zero_offset() as u8,
            sessions: of_day.len() as u32,
            standing: day_standing(of_day.iter().filter(|s| s.held).filter_map(|s| mark_of(s))),
            day: label,
        });
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    let history = sessions
        .iter()
        .rev()
        .map(|s| HistoryLine {
            day: s.day.clone(),
            clock: zone.clock_label(s.starts_at_ms),
            class_name: class_names.get(&s.class_id).cloned().unwrap_or_default(),
            held: s.held,
            started: s.started,
            status: mark_of(s),
        })
        .collect();
    Ok(StudentReportView {
        student_id,
        name: student.display_name,
        username: student.username,
        first_day: range.first.to_string(),
        last_day: range.last.to_string(),
        basis,
        totals: student_totals(sessions.iter().map(|s| (s, mark_of(s))), basis),
        classes,
        history,
        calendar,
        limited_to_own_classes: limited,
    })
}

/// The school's report (the caller is an admin).
pub async fn school_report(
    state: &AppState,
    _admin: &CurrentUser,
    range: &ReportRange,
    rule: ChronicRule,
) -> AppResult<SchoolReportView> {
    if !(0.0..=1.0).contains(&rule.below_rate) || rule.absences_in_a_row > 1000 {
        return Err(AppError::bad_request(
            "The chronic-absence rate must be between 0 and 100%, and the run of absences at most 1000.",
        ));
    }
    let store = &state.store;
    let zone = &state.config.time_zone;
    let earliest = store.earliest_session_ms(None, None).await?;
    let range = resolve(zone, range, earliest)?;
    let rows = store.school_register(range.from_ms, range.until_ms).await?;
    let sessions = sessions_of(zone, &rows);
    let overall = group_figures(&sessions, &rows.marks, |_| String::new())
        .pop()
        .unwrap_or_default();
    let per_class: HashMap<String, GroupFigures> =
        group_figures(&sessions, &rows.marks, |s| s.class_id.to_string())
            .into_iter()
            .map(|g| (g.key.clone(), g))
            .collect();
    let by_class: Vec<ClassFigures> = rows
        .classes
        .iter()
        .filter_map(|class| {
            let figures = per_class.get(&class.id.to_string()).cloned();
            // Archived classes only when they had sessions in the range.
            if class.archived && figures.is_none() {
                return None;
            }
            Some(ClassFigures {
                class_id: class.id,
                class_name: class.name.clone(),
                archived: class.archived,
                figures: figures.unwrap_or_else(|| GroupFigures {
                    key: class.id.to_string(),
                    ..GroupFigures::default()
                }),
            })
        })
        .collect();
    let mut untaken: Vec<ClassFigures> = by_class
        .iter()
        .filter(|c| c.figures.sessions_not_held > 0)
        .cloned()
        .collect();
    untaken.sort_by(|a, b| {
        b.figures
            .sessions_not_held
            .cmp(&a.figures.sessions_not_held)
            .then_with(|| a.class_name.cmp(&b.class_name))
    });
    let people: HashMap<UserId, (&str, &str)> = rows
        .people
        .iter()
        .map(|p| (p.id, (p.display_name.as_str(), p.username.as_str())))
        .collect();
    let mut chronic: Vec<ChronicLine> = totals_by_student(&sessions, &rows.marks)
        .into_iter()
        .filter(|(_, totals)| rule.matches(totals))
        .filter_map(|(student_id, totals)| {
            let (name, username) = people.get(&student_id)?;
            Some(ChronicLine {
                student_id,
                name: name.to_string(),
                username: username.to_string(),
                totals,
            })
        })
        .collect();
    chronic.sort_by(|a, b| {
        let rate = |l: &ChronicLine| l.totals.rate.unwrap_or(1.0);
        rate(a)
            .total_cmp(&rate(b))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(SchoolReportView {
        first_day: range.first.to_string(),
        last_day: range.last.to_string(),
        rule,
        overall,
        by_class,
        by_day: group_figures(&sessions, &rows.marks, |s| s.day.clone()),
        by_hour: group_figures(&sessions, &rows.marks, |s| format!("{:02}", s.hour)),
        chronic,
        untaken,
    })
}
