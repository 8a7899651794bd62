//! What the report pages share: the date-range form (a plain GET form, so it works before the
//! page is interactive and the address can be bookmarked), reading it back from the query, the
//! CSV link with the same query, and a print button.

use crate::api::reports::ReportRange;
use crate::domain::report::RateBasis;
use crate::domain::AttendanceStatus;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

/// The report's range from `?from=…&to=…`.
pub fn range_of(query: &ParamsMap) -> ReportRange {
    ReportRange {
        first_day: query.get("from").filter(|d| !d.is_empty()),
        last_day: query.get("to").filter(|d| !d.is_empty()),
    }
}

pub fn basis_of(query: &ParamsMap) -> Option<RateBasis> {
    query.get("basis").and_then(|b| RateBasis::parse(&b))
}

/// The page's query as a memo (re-read on navigation).
pub fn query() -> Memo<ParamsMap> {
    let query = use_query_map();
    Memo::new(move |_| query.get())
}

/// `path?` plus the given pairs, URL-encoded.
pub fn with_query(path: &str, pairs: &[(&str, String)]) -> String {
    let mut url = url::Url::parse("http://x/").expect("a fixed base URL parses");
    url.set_path(path);
    {
        let mut q = url.query_pairs_mut();
        for (key, value) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
            q.append_pair(key, value);
        }
    }
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

/// The date range (and, where `basis` is given, the rate basis) as a GET form.
#[component]
pub fn RangeForm(
    first_day: String,
    last_day: String,
    #[prop(optional)] basis: Option<RateBasis>,
    /// Further fields of this report's form (hidden ids, thresholds).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    view! {
        <form method="get" class="inline-form range-form no-print" data-testid="range-form">
            <label>"From " <input type="date" name="from" value=first_day/></label>
            <label>"to " <input type="date" name="to" value=last_day/></label>
            {basis.map(|basis| {
                view! {
                    <label>
                        "Rate over "
                        <select name="basis">
                            <option value="held" selected=basis == RateBasis::Held>"sessions held"</option>
                            <option value="scheduled" selected=basis == RateBasis::Scheduled>"all scheduled"</option>
                        </select>
                    </label>
                }
            })}
            {children.map(|c| c())}
            <button type="submit" class="button small primary">"Show"</button>
        </form>
    }
}

/// Download link and print button for a report.
#[component]
pub fn ReportActions(csv_href: String) -> impl IntoView {
    view! {
        <div class="inline-form no-print">
            <a class="button small" href=csv_href data-testid="csv-link" download="">"Download CSV"</a>
            <button class="button small ghost" on:click=|_| { let _ = window().print(); }>"Print"</button>
        </div>
    }
}

/// A register cell: a letter, coloured, with the status in words for screen readers and tips.
pub fn status_cell(status: Option<AttendanceStatus>, held: bool, started: bool) -> impl IntoView {
    let (class, letter, words) = match status {
        Some(AttendanceStatus::Present) => ("cell present", "P", "present"),
        Some(AttendanceStatus::Late) => ("cell late", "L", "late"),
        Some(AttendanceStatus::Excused) => ("cell excused", "E", "excused"),
        Some(AttendanceStatus::Absent) => ("cell absent", "A", "absent"),
        None if held => ("cell unmarked", "·", "not marked"),
        None if started => ("cell not-held", "–", "not held"),
        None => ("cell upcoming", "", "still to come"),
    };
    view! { <td class=class title=words data-status=words>{letter}</td> }
}
