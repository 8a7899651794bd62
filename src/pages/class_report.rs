//! `/teacher/classes/:id/report`: a class's register over a date range (one row per student,
//! one column per session), its totals and rate, the rate over time as a chart, the CSV of the
//! same numbers and a print layout. For the class's teachers and admins.

use super::report_common::*;
use crate::api::reports::{class_report, ClassReportView};
use crate::components::charts::RateOverTime;
use crate::components::error_notice::ErrorNotice;
use crate::domain::report::percent_label;
use leptos::prelude::*;

#[component]
pub fn ClassReportPage() -> impl IntoView {
    let class_id = super::id_param();
    let query = query();
    let report = Resource::new(
        move || (class_id.get(), query.get()),
        |(id, q)| class_report(id, range_of(&q), basis_of(&q)),
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading the register…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(report) => view! { <ClassReportBody report/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ClassReportBody(report: ClassReportView) -> impl IntoView {
    let csv = with_query(
        crate::api::reports::CLASS_CSV_PATH,
        &[
            ("class_id", report.class_id.to_string()),
            ("from", report.first_day.clone()),
            ("to", report.last_day.clone()),
            ("basis", report.basis.as_str().to_string()),
        ],
    );
    let points: Vec<(String, Option<f64>)> = report
        .columns
        .iter()
        .filter(|c| c.session.held)
        .map(|c| (c.label[..5].to_string(), c.rate))
        .collect();
    let t = report.totals;
    let class_page = format!("/teacher/classes/{}", report.class_id);
    view! {
        <div class="page-head">
            <h1>"Register · " {report.class_name.clone()}</h1>
            <p class="muted">
                {report.teacher_name.clone()} " · " {report.first_day.clone()} " to " {report.last_day.clone()}
                " · " <a href=class_page class="no-print">"Sessions and timetable"</a>
            </p>
        </div>
        <RangeForm first_day=report.first_day.clone() last_day=report.last_day.clone() basis=report.basis/>
        <ReportActions csv_href=csv/>
        <section class="card summary-card">
            <div class="big-rate" data-testid="class-rate">{percent_label(report.rate)}</div>
            <div>
                <p class="small" data-testid="rate-basis">{report.basis.explanation()}</p>
                <p class="small muted" data-testid="class-totals">
                    {t.present} " present · " {t.late} " late · " {t.excused} " excused · " {t.absent} " absent · "
                    {report.sessions_held} " sessions held, " {report.sessions_not_held} " not held, "
                    {report.sessions_upcoming} " still to come"
                </p>
            </div>
        </section>
        {(!points.is_empty()).then(|| view! {
            <section class="card"><RateOverTime points title="Attendance rate per session held"/></section>
        })}
        <section class="card register-card">
            <h2>"Register"</h2>
            {if report.columns.is_empty() {
                view! { <p class="muted">"No sessions in this range."</p> }.into_any()
            } else {
                view! { <RegisterTable report/> }.into_any()
            }}
        </section>
    }
}

#[component]
fn RegisterTable(report: ClassReportView) -> impl IntoView {
    let heads = report
        .columns
        .iter()
        .map(|c| {
            let (day, clock) = c.label.split_once(' ').unwrap_or((&c.label, ""));
            view! { <th class="session-head" title=c.session.day.clone()>{day.to_string()}<br/>{clock.to_string()}</th> }
        })
        .collect_view();
    let columns = report.columns.clone();
    let rows = report
        .rows
        .into_iter()
        .map(|row| {
            let cells = row
                .cells
                .iter()
                .zip(&columns)
                .map(|(status, c)| status_cell(*status, c.session.held, c.session.started))
                .collect_view();
            let t = row.totals;
            view! {
                <tr data-testid=format!("register-{}", row.username)>
                    <th class="student" scope="row">
                        <a href=format!("/reports/students/{}", row.student_id)>{row.name}</a>
                    </th>
                    {cells}
                    <td class="num">{t.counts.present}</td>
                    <td class="num">{t.counts.late}</td>
                    <td class="num">{t.counts.excused}</td>
                    <td class="num">{t.counts.absent}</td>
                    <td class="num rate" data-testid="row-rate">{percent_label(t.rate)}</td>
                </tr>
            }
        })
        .collect_view();
    let footer = columns
        .iter()
        .map(|c| view! { <td class="num small">{percent_label(c.rate)}</td> })
        .collect_view();
    let t = report.totals;
    view! {
        <div class="table-scroll">
            <table class="register" data-testid="register">
                <thead>
                    <tr>
                        <th>"Student"</th>
                        {heads}
                        <th title="present">"P"</th>
                        <th title="late">"L"</th>
                        <th title="excused">"E"</th>
                        <th title="absent">"A"</th>
                        <th>"Rate"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
                <tfoot>
                    <tr>
                        <th scope="row">"All students"</th>
                        {footer}
                        <td class="num">{t.present}</td>
                        <td class="num">{t.late}</td>
                        <td class="num">{t.excused}</td>
                        <td class="num">{t.absent}</td>
                        <td class="num rate">{percent_label(report.rate)}</td>
                    </tr>
                </tfoot>
            </table>
        </div>
        <p class="small muted legend-row">
            "P present · L late · E excused · A absent · · not marked · – not held"
        </p>
    }
}
