//! A student's attendance: `/attendance` for the student themselves, `/reports/students/:id`
//! for staff (a teacher sees only the classes they teach). Totals and streaks, a calendar
//! heat-map, the rate per class, and every session.

use super::report_common::*;
use crate::api::reports::{student_report, StudentReportView, STUDENT_CSV_PATH};
use crate::components::charts::CalendarHeatMap;
use crate::components::error_notice::ErrorNotice;
use crate::domain::report::percent_label;
use leptos::prelude::*;

/// The student's own page (`/attendance`).
#[component]
pub fn MyAttendancePage() -> impl IntoView {
    view! { <StudentReportPage own=true/> }
}

/// A student's page for staff (`/reports/students/:id`).
#[component]
pub fn StudentReportStaffPage() -> impl IntoView {
    view! { <StudentReportPage own=false/> }
}

#[component]
fn StudentReportPage(own: bool) -> impl IntoView {
    let id = super::id_param();
    let query = query();
    let report = Resource::new(
        move || ((!own).then(|| id.get()), query.get()),
        |(id, q)| student_report(id, range_of(&q), basis_of(&q)),
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading attendance…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(report) => view! { <StudentReportBody report own/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn StudentReportBody(report: StudentReportView, own: bool) -> impl IntoView {
    let mut pairs = vec![
        ("from", report.first_day.clone()),
        ("to", report.last_day.clone()),
        ("basis", report.basis.as_str().to_string()),
    ];
    if !own {
        pairs.push(("student_id", report.student_id.to_string()));
    }
    let csv = with_query(STUDENT_CSV_PATH, &pairs);
    let t = report.totals;
    let title = if own {
        "My attendance".to_string()
    } else {
        report.name.clone()
    };
    let classes = report
        .classes
        .iter()
        .map(|c| {
            let k = c.totals.counts;
            view! {
                <tr>
                    <th scope="row">{c.class_name.clone()}</th>
                    <td class="num">{k.present}</td>
                    <td class="num">{k.late}</td>
                    <td class="num">{k.excused}</td>
                    <td class="num">{k.absent}</td>
                    <td class="num rate">{percent_label(c.totals.rate)}</td>
                </tr>
            }
        })
        .collect_view();
    let history = report
        .history
        .iter()
        .map(|line| {
            let (class, words) = match (line.status, line.held, line.started) {
                (Some(status), _, _) => (
                    format!("pill {}", status.as_str()),
                    status.label().to_string(),
                ),
                (None, true, _) => ("pill".into(), "Not marked".into()),
                (None, false, true) => ("pill missed".into(), "Not held".into()),
                (None, false, false) => ("pill upcoming".into(), "Upcoming".into()),
            };
            view! {
                <li class="session-line">
                    <span class="when">{line.day.clone()} " " {line.clock.clone()}</span>
                    <span>{line.class_name.clone()}</span>
                    <span class=class>{words}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="page-head">
            <h1>{title}</h1>
            <p class="muted">
                {report.username.clone()} " · " {report.first_day.clone()} " to " {report.last_day.clone()}
                {report.limited_to_own_classes.then_some(" · only the classes you teach")}
            </p>
        </div>
        <RangeForm first_day=report.first_day.clone() last_day=report.last_day.clone() basis=report.basis/>
        <ReportActions csv_href=csv/>
        <section class="card summary-card">
            <div class="big-rate" data-testid="student-rate">{percent_label(t.rate)}</div>
            <div>
                <p class="small">{report.basis.explanation()}</p>
                <p class="small muted" data-testid="student-totals">
                    {t.counts.present} " present · " {t.counts.late} " late · " {t.counts.excused} " excused · "
                    {t.counts.absent} " absent"
                </p>
                <p class="small" data-testid="streaks">
                    "Absences in a row: " <strong>{t.current_absence_streak}</strong> " now, "
                    <strong>{t.longest_absence_streak}</strong> " at most"
                </p>
                {own.then(|| view! { <p class="small"><a href="/excuses">"Explain an absence"</a></p> })}
            </div>
        </section>
        <section class="card"><CalendarHeatMap days=report.calendar.clone()/></section>
        <section class="card">
            <h2>"By class"</h2>
            <div class="table-scroll">
                <table class="figures">
                    <thead><tr><th>"Class"</th><th>"P"</th><th>"L"</th><th>"E"</th><th>"A"</th><th>"Rate"</th></tr></thead>
                    <tbody>{classes}</tbody>
                </table>
            </div>
        </section>
        <section class="card">
            <h2>"Every session"</h2>
            <ul class="session-list" data-testid="history">{history}</ul>
        </section>
    }
}
