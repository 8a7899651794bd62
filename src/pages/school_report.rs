//! `/admin/reports`: the school over a date range, for admins. The rate by day (chart) and by
//! hour (chart), by class, the chronic-absence list (threshold and run length adjustable), and
//! classes whose sessions were never taken; each table also as CSV.

use super::report_common::*;
use crate::api::reports::{school_report, ClassFigures, SchoolReportView, SCHOOL_CSV_PATH};
use crate::components::charts::{RateByHour, RateOverTime};
use crate::components::error_notice::ErrorNotice;
use crate::domain::report::{percent_label, ChronicRule};
use leptos::prelude::*;

fn rule_of(query: &leptos_router::params::ParamsMap) -> Option<ChronicRule> {
    let default = ChronicRule::default();
    let below = query.get("below").and_then(|b| b.parse::<f64>().ok());
    let in_a_row = query.get("in_a_row").and_then(|n| n.parse::<u32>().ok());
    (below.is_some() || in_a_row.is_some()).then(|| ChronicRule {
        below_rate: below.map_or(default.below_rate, |b| b / 100.0),
        absences_in_a_row: in_a_row.unwrap_or(default.absences_in_a_row),
    })
}

#[component]
pub fn SchoolReportPage() -> impl IntoView {
    let query = query();
    let report = Resource::new(
        move || query.get(),
        |q| school_report(range_of(&q), rule_of(&q)),
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading the school's figures…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(report) => view! { <SchoolReportBody report/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SchoolReportBody(report: SchoolReportView) -> impl IntoView {
    let below = format!("{:.0}", report.rule.below_rate * 100.0);
    let in_a_row = report.rule.absences_in_a_row.to_string();
    let csv = |table: &str| {
        with_query(
            SCHOOL_CSV_PATH,
            &[
                ("table", table.to_string()),
                ("from", report.first_day.clone()),
                ("to", report.last_day.clone()),
                ("below", below.clone()),
                ("in_a_row", in_a_row.clone()),
            ],
        )
    };
    let [csv_days, csv_hours, csv_classes, csv_chronic, csv_untaken] =
        ["days", "hours", "classes", "chronic", "untaken"].map(csv);
    let (below_field, in_a_row_field) = (below.clone(), in_a_row.clone());
    let days: Vec<(String, Option<f64>)> = report
        .by_day
        .iter()
        .filter(|d| d.sessions_held > 0)
        .map(|d| (d.key[5..].to_string(), d.rate))
        .collect();
    let o = &report.overall;
    let chronic = report
        .chronic
        .iter()
        .map(|line| {
            let t = line.totals;
            view! {
                <tr data-testid=format!("chronic-{}", line.username)>
                    <th scope="row"><a href=format!("/reports/students/{}", line.student_id)>{line.name.clone()}</a></th>
                    <td class="num">{t.counts.absent}</td>
                    <td class="num">{t.counts.excused}</td>
                    <td class="num rate">{percent_label(t.rate)}</td>
                    <td class="num">{t.current_absence_streak}</td>
                    <td class="num">{t.longest_absence_streak}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="page-head">
            <h1>"School report"</h1>
            <p class="muted">{report.first_day.clone()} " to " {report.last_day.clone()}</p>
        </div>
        <RangeForm first_day=report.first_day.clone() last_day=report.last_day.clone()>
            <label>"Chronic below " <input class="narrow" type="number" name="below" min="0" max="100" value=below_field/> "%"</label>
            <label>"or " <input class="narrow" type="number" name="in_a_row" min="0" max="1000" value=in_a_row_field/> " absences in a row"</label>
        </RangeForm>
        <section class="card summary-card">
            <div class="big-rate" data-testid="school-rate">{percent_label(o.rate)}</div>
            <div>
                <p class="small">"Rate = present or late ÷ marked students in sessions held, excused left out."</p>
                <p class="small muted">
                    {o.sessions_held} " sessions held · " {o.sessions_not_held} " never taken · "
                    {o.counts.present} " present · " {o.counts.late} " late · " {o.counts.excused} " excused · " {o.counts.absent} " absent"
                </p>
            </div>
        </section>
        <section class="card">
            <h2>"By day"</h2>
            {(!days.is_empty()).then(|| view! { <RateOverTime points=days title="Attendance rate per school day"/> })}
            <a class="small-link no-print" href=csv_days.clone()>"Days as CSV"</a>
        </section>
        <section class="card">
            <h2>"By hour"</h2>
            <RateByHour hours=report.by_hour.iter().filter(|h| h.sessions_held > 0).cloned().collect()/>
            <a class="small-link no-print" href=csv_hours.clone()>"Hours as CSV"</a>
        </section>
        <section class="card">
            <h2>"By class"</h2>
            <ClassTable classes=report.by_class.clone() testid="by-class"/>
            <a class="small-link no-print" href=csv_classes.clone()>"Classes as CSV"</a>
        </section>
        <section class="card">
            <h2>"Chronic absence"</h2>
            <p class="small muted">
                "Students below " {below.clone()} "% or absent " {in_a_row.clone()} " or more times in a row up to now."
            </p>
            {if report.chronic.is_empty() {
                view! { <p class="muted">"Nobody."</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table class="figures" data-testid="chronic">
                            <thead><tr><th>"Student"</th><th>"Absent"</th><th>"Excused"</th><th>"Rate"</th><th>"In a row now"</th><th>"Most in a row"</th></tr></thead>
                            <tbody>{chronic}</tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <a class="small-link no-print" href=csv_chronic.clone()>"Chronic absence as CSV"</a>
        </section>
        <section class="card">
            <h2>"Attendance never taken"</h2>
            {if report.untaken.is_empty() {
                view! { <p class="muted">"Every session that has started was taken."</p> }.into_any()
            } else {
                view! { <ClassTable classes=report.untaken.clone() testid="untaken"/> }.into_any()
            }}
            <a class="small-link no-print" href=csv_untaken.clone()>"As CSV"</a>
        </section>
    }
}

#[component]
fn ClassTable(classes: Vec<ClassFigures>, testid: &'static str) -> impl IntoView {
    let rows = classes
        .into_iter()
        .map(|c| {
            let g = c.figures;
            let width = format!("{:.1}", g.rate.unwrap_or(0.0) * 100.0);
            view! {
                <tr>
                    <th scope="row">
                        <a href=format!("/teacher/classes/{}/report", c.class_id)>{c.class_name}</a>
                        {c.archived.then(|| view! { <span class="pill closed">"Archived"</span> })}
                    </th>
                    <td class="num">{g.sessions_held}</td>
                    <td class="num">{g.sessions_not_held}</td>
                    <td class="num rate">{percent_label(g.rate)}</td>
                    <td class="bar-cell">
                        <svg viewBox="0 0 100 8" preserveAspectRatio="none" class="rate-bar" aria-hidden="true">
                            <rect class="bar-track" x="0" y="0" width="100" height="8"></rect>
                            <rect class="bar-fill" x="0" y="0" width=width height="8"></rect>
                        </svg>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table class="figures" data-testid=testid>
                <thead><tr><th>"Class"</th><th>"Held"</th><th>"Not held"</th><th>"Rate"</th><th class="wide-only"></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
