//! Every report as CSV: `GET /api/reports/class.csv`, `student.csv`, `school.csv` (one table
//! each, `table=`) and `check-ins.csv` (a session's check-in audit), with the same query as the report's page (`from`, `to`, `basis`, …) and the
//! same sign-in and rules. UTF-8 with a byte-order mark and CRLF lines so Excel opens it as
//! UTF-8; sent in chunks as it is written; a cell that starts like a formula is prefixed with
//! `'` so a spreadsheet shows it instead of running it. Columns are in docs/api.md.

use super::report_views;
use super::reports::{RegisterRow, ReportRange};
use crate::domain::report::{percent_label, ChronicRule, GroupFigures, RateBasis};
use crate::domain::{AttendanceCounts, ClassId, CurrentUser, UserId};
use crate::error::{AppError, AppResult};
use crate::server::{auth, AppState};
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// The route of every report's CSV (`reports::CLASS_CSV_PATH` and its siblings match it).
pub const CSV_ROUTE: &str = "/api/reports/{file}";

/// Rows per chunk of the response body.
const CHUNK_ROWS: usize = 200;

#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    class_id: Option<ClassId>,
    student_id: Option<UserId>,
    from: Option<String>,
    to: Option<String>,
    basis: Option<String>,
    table: Option<String>,
    /// Chronic absence: below this rate, in percent.
    below: Option<f64>,
    /// Chronic absence: this many absences in a row.
    in_a_row: Option<u32>,
    /// The check-in audit's session.
    session: Option<crate::domain::SessionId>,
}

impl ReportQuery {
    fn range(&self) -> ReportRange {
        ReportRange {
            first_day: self.from.clone(),
            last_day: self.to.clone(),
        }
    }

    fn basis(&self) -> AppResult<RateBasis> {
        match self.basis.as_deref() {
            None | Some("") => Ok(RateBasis::default()),
            Some(text) => RateBasis::parse(text)
                .ok_or_else(|| AppError::bad_request("basis must be 'held' or 'scheduled'.")),
        }
    }

    pub fn chronic_rule(&self) -> ChronicRule {
        let default = ChronicRule::default();
        ChronicRule {
            below_rate: self.below.map_or(default.below_rate, |p| p / 100.0),
            absences_in_a_row: self.in_a_row.unwrap_or(default.absences_in_a_row),
        }
    }
}

/// Keeps a spreadsheet from reading a cell as a formula.
pub fn safe_cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

fn counts_cells(c: &AttendanceCounts) -> Vec<String> {
    [c.present, c.late, c.excused, c.absent]
        .iter()
        .map(u32::to_string)
        .collect()
}

/// The response: the rows written as CSV in chunks, as a download named `filename`.
fn csv_response(filename: &str, header_row: Vec<String>, rows: Vec<Vec<String>>) -> Response {
    let mut chunks = Vec::with_capacity(rows.len() / CHUNK_ROWS + 2);
    let write = |records: &[Vec<String>], bom: bool| -> Bytes {
        let mut out = if bom {
            "\u{feff}".as_bytes().to_vec()
        } else {
            Vec::new()
        };
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        for record in records {
            let cells: Vec<String> = record.iter().map(|c| safe_cell(c)).collect();
            let _ = writer.write_record(&cells);
        }
        drop(writer);
        Bytes::from(out)
    };
    chunks.push(write(&[header_row], true));
    for part in rows.chunks(CHUNK_ROWS) {
        chunks.push(write(part, false));
    }
    let stream = futures::stream::iter(chunks.into_iter().map(Ok::<_, std::convert::Infallible>));
    let name: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// A report as a CSV file: its name, header line and rows.
pub(super) struct Table {
    pub filename: String,
    pub header_row: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// `GET /api/reports/{class,student,school}.csv`: the signed-in caller's report as CSV, with
/// the same rules about who may see it as the report's page.
pub async fn report_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Response {
    let table = async {
        let user = auth::authenticate(&state, &headers).await?;
        match file.as_str() {
            "class.csv" => class_table(&state, &user, &query).await,
            "student.csv" => student_table(&state, &user, &query).await,
            "school.csv" => school_table(&state, &user, &query).await,
            "check-ins.csv" => {
                super::audit_csv::check_ins_table(&state, &user, query.session).await
            }
            _ => Err(AppError::not_found("There is no such report.")),
        }
    };
    match table.await {
        Ok(table) => csv_response(&table.filename, table.header_row, table.rows),
        Err(error) => error.into_response(),
    }
}

/// Columns of a student's totals: present … absent, not marked, rate.
fn register_row(row: &RegisterRow, cells: Vec<String>) -> Vec<String> {
    let mut record = vec![row.name.clone(), row.username.clone()];
    record.extend(cells);
    record.extend(counts_cells(&row.totals.counts));
    record.push(percent_label(row.totals.rate));
    record
}

async fn class_table(
    state: &AppState,
    user: &CurrentUser,
    query: &ReportQuery,
) -> AppResult<Table> {
    let class_id = query
        .class_id
        .ok_or_else(|| AppError::bad_request("Say which class: class_id=…"))?;
    let report =
        report_views::class_report(state, user, class_id, &query.range(), query.basis()?).await?;
    let mut header_row = vec!["Student".to_string(), "Username".to_string()];
    header_row.extend(report.columns.iter().map(|c| {
        let held = if c.session.held { "" } else { " (not held)" };
        format!("{} {}{held}", c.session.day, &c.label[6..])
    }));
    header_row.extend(["Present", "Late", "Excused", "Absent", "Rate"].map(String::from));
    let mut rows: Vec<Vec<String>> = report
        .rows
        .iter()
        .map(|row| {
            let cells = row
                .cells
                .iter()
                .map(|c| c.map_or(String::new(), |s| s.as_str().to_string()))
                .collect();
            register_row(row, cells)
        })
        .collect();
    let mut all = vec!["All students".to_string(), String::new()];
    all.extend(report.columns.iter().map(|c| percent_label(c.rate)));
    all.extend(counts_cells(&report.totals));
    all.push(percent_label(report.rate));
    rows.push(all);
    let filename = format!(
        "attendance-{}-{}-to-{}.csv",
        report.class_name, report.first_day, report.last_day
    );
    Ok(Table {
        filename,
        header_row,
        rows,
    })
}

async fn student_table(
    state: &AppState,
    user: &CurrentUser,
    query: &ReportQuery,
) -> AppResult<Table> {
    let report = report_views::student_report(
        state,
        user,
        query.student_id,
        &query.range(),
        query.basis()?,
    )
    .await?;
    let header_row = ["Date", "Time", "Class", "Status"]
        .map(String::from)
        .to_vec();
    let rows = report
        .history
        .iter()
        .map(|line| {
            let status = match (line.status, line.held, line.started) {
                (Some(status), _, _) => status.as_str(),
                (None, true, _) => "",
                (None, false, true) => "not held",
                (None, false, false) => "upcoming",
            };
            vec![
                line.day.clone(),
                line.clock.clone(),
                line.class_name.clone(),
                status.to_string(),
            ]
        })
        .collect();
    let filename = format!(
        "attendance-{}-{}-to-{}.csv",
        report.username, report.first_day, report.last_day
    );
    Ok(Table {
        filename,
        header_row,
        rows,
    })
}

fn figures_row(first: Vec<String>, g: &GroupFigures) -> Vec<String> {
    let mut record = first;
    record.push(g.sessions_held.to_string());
    record.push(g.sessions_not_held.to_string());
    record.extend(counts_cells(&g.counts));
    record.push(percent_label(g.rate));
    record
}

const FIGURE_COLUMNS: [&str; 7] = [
    "Sessions held",
    "Sessions not held",
    "Present",
    "Late",
    "Excused",
    "Absent",
    "Rate",
];

async fn school_table(
    state: &AppState,
    user: &CurrentUser,
    query: &ReportQuery,
) -> AppResult<Table> {
    if user.role != crate::domain::Role::Admin {
        return Err(AppError::forbidden("The school report is for admins."));
    }
    let table = query.table.clone().unwrap_or_else(|| "classes".into());
    let report =
        report_views::school_report(state, user, &query.range(), query.chronic_rule()).await?;
    let with = |first: &[&str], rest: &[&str]| -> Vec<String> {
        first.iter().chain(rest).map(|c| c.to_string()).collect()
    };
    let (header_row, rows) = match table.as_str() {
        "classes" | "untaken" => {
            let list = if table == "classes" {
                &report.by_class
            } else {
                &report.untaken
            };
            let rows = list
                .iter()
                .map(|c| {
                    let archived = if c.archived { "yes" } else { "" };
                    figures_row(vec![c.class_name.clone(), archived.into()], &c.figures)
                })
                .collect();
            (with(&["Class", "Archived"], &FIGURE_COLUMNS), rows)
        }
        "days" | "hours" => {
            let list = if table == "days" {
                &report.by_day
            } else {
                &report.by_hour
            };
            let first = if table == "days" { "Date" } else { "Hour" };
            let rows = list
                .iter()
                .map(|g| figures_row(vec![g.key.clone()], g))
                .collect();
            (with(&[first], &FIGURE_COLUMNS), rows)
        }
        "chronic" => {
            let rows = report
                .chronic
                .iter()
                .map(|line| {
                    let t = &line.totals;
                    let mut record = vec![line.name.clone(), line.username.clone()];
                    record.extend(counts_cells(&t.counts));
                    record.push(percent_label(t.rate));
                    record.push(t.longest_absence_streak.to_string());
                    record.push(t.current_absence_streak.to_string());
                    record
                })
                .collect();
            let columns = [
                "Student",
                "Username",
                "Present",
                "Late",
                "Excused",
                "Absent",
                "Rate",
                "Longest absence streak",
                "Current absence streak",
            ];
            (with(&columns, &[]), rows)
        }
        _ => {
            return Err(AppError::bad_request(
                "table must be one of classes, days, hours, chronic, untaken.",
            ))
        }
    };
    let filename = format!(
        "school-{table}-{}-to-{}.csv",
        report.first_day, report.last_day
    );
    Ok(Table {
        filename,
        header_row,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::safe_cell;

    #[test]
    fn formula_like_cells_are_defused() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("-1+2"), "'-1+2");
        assert_eq!(safe_cell("Ava Adams"), "Ava Adams");
        assert_eq!(safe_cell("–"), "–");
    }
}
