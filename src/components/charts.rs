//! Small SVG charts drawn on the server (they need no script, print as vectors and cost the
//! browser bundle only these few functions): attendance rate over time, a student's calendar
//! heat-map, and rate by hour of the day. Colours come from classes in style/main.css (the
//! Content-Security-Policy allows no inline styles).

use crate::api::reports::CalendarDay;
use crate::domain::report::{percent_label, GroupFigures};
use leptos::prelude::*;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 60.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 8.0;

fn y_of(rate: f64) -> f64 {
    TOP + (1.0 - rate.clamp(0.0, 1.0)) * (HEIGHT - TOP - BOTTOM)
}

/// The 0/50/100% grid lines and labels both charts share.
fn rate_grid() -> impl IntoView {
    [1.0, 0.5, 0.0]
        .into_iter()
        .map(|rate| {
            let y = format!("{:.1}", y_of(rate));
            view! {
                <line class="grid" x1=LEFT x2=WIDTH y1=y.clone() y2=y.clone()></line>
                <text class="axis" x=LEFT - 6.0 y=y text-anchor="end" dy="4">
                    {format!("{:.0}%", rate * 100.0)}
                </text>
            }
        })
        .collect_view()
}

/// Attendance rate over time: one point per label (a session or a day), joined where defined.
#[component]
pub fn RateOverTime(
    /// Oldest first: the point's label and its rate (`None`: nobody was expected).
    points: Vec<(String, Option<f64>)>,
    #[prop(into)] title: String,
) -> impl IntoView {
    let n = points.len().max(1) as f64;
    let step = (WIDTH - LEFT - 12.0) / n;
    let x_of = move |i: usize| LEFT + 6.0 + step * (i as f64 + 0.5);
    let mut path = String::new();
    let mut pen_down = false;
    for (i, (_, rate)) in points.iter().enumerate() {
        match rate {
            Some(rate) => {
                let cmd = if pen_down { 'L' } else { 'M' };
                path.push_str(&format!("{cmd}{:.1} {:.1} ", x_of(i), y_of(*rate)));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    // At most about eight labels along the bottom.
    let every = points.len().div_ceil(8).max(1);
    let labels = points
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, (label, _))| {
            view! {
                <text class="axis" x=format!("{:.1}", x_of(i)) y=HEIGHT - 6.0 text-anchor="middle">
                    {label.clone()}
                </text>
            }
        })
        .collect_view();
    let dots = points
        .iter()
        .enumerate()
        .filter_map(|(i, (label, rate))| {
            let rate = (*rate)?;
            Some(view! {
                <circle class="dot" cx=format!("{:.1}", x_of(i)) cy=format!("{:.1}", y_of(rate)) r="3">
                    <title>{format!("{label}: {}", percent_label(Some(rate)))}</title>
                </circle>
            })
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                role="img"
                aria-label=title.clone()
                data-testid="rate-chart"
            >
                {rate_grid()}
                <path class="rate-line" d=path></path>
                {dots}
                {labels}
            </svg>
            <figcaption class="muted small">{title}</figcaption>
        </figure>
    }
}

/// Rate by hour of the day: one bar per hour sessions started in, its height the rate.
#[component]
pub fn RateByHour(hours: Vec<GroupFigures>) -> impl IntoView {
    let n = hours.len().max(1) as f64;
    let slot = ((WIDTH - LEFT - 12.0) / n).min(60.0);
    let bars = hours
        .into_iter()
        .enumerate()
        .map(|(i, hour)| {
            let x = LEFT + 6.0 + slot * i as f64;
            let rate = hour.rate.unwrap_or(0.0);
            let top = y_of(rate);
            let tip = format!(
                "{}:00 · {} sessions · {}",
                hour.key,
                hour.sessions_held,
                percent_label(hour.rate)
            );
            view! {
                <g>
                    <rect
                        class="bar-fill"
                        x=format!("{:.1}", x + slot * 0.15)
                        width=format!("{:.1}", slot * 0.7)
                        y=format!("{top:.1}")
                        height=format!("{:.1}", (HEIGHT - BOTTOM - top).max(0.0))
                    >
                        <title>{tip}</title>
                    </rect>
                    <text class="axis" x=format!("{:.1}", x + slot / 2.0) y=HEIGHT - 6.0 text-anchor="middle">
                        {format!("{}h", hour.key)}
                    </text>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label="Attendance rate by hour of the day" data-testid="hour-chart">
                {rate_grid()}
                {bars}
            </svg>
            <figcaption class="muted small">"Attendance rate by the hour sessions start"</figcaption>
        </figure>
    }
}

/// A student's days as a calendar: a column per week (Monday on top), each day coloured by its
/// worst mark.
#[component]
pub fn CalendarHeatMap(days: Vec<CalendarDay>) -> impl IntoView {
    const CELL: f64 = 14.0;
    const GAP: f64 = 3.0;
    const LABEL: f64 = 28.0;
    let lead = days.first().map_or(0, |d| d.weekday as usize);
    let weeks = (lead + days.len()).div_ceil(7).max(1);
    // Room for the first month's label even when the range is a few days.
    let width = (LABEL + weeks as f64 * (CELL + GAP)).max(90.0);
    let height = 16.0 + 7.0 * (CELL + GAP);
    let mut months = Vec::new();
    let cells = days
        .into_iter()
        .enumerate()
        .map(|(i, day)| {
            let slot = lead + i;
            let (week, weekday) = (slot / 7, slot % 7);
            let x = LABEL + week as f64 * (CELL + GAP);
            if day.day.ends_with("-01") || i == 0 {
                months.push((x, day.day[..7].to_string()));
            }
            let class = match (day.standing, day.sessions) {
                (Some(standing), _) => format!("day {}", standing.label()),
                (None, 0) => "day none".to_string(),
                (None, _) => "day unmarked".to_string(),
            };
            let tip = match day.standing {
                Some(standing) => format!("{}: {}", day.day, standing.label()),
                None if day.sessions == 0 => format!("{}: no session", day.day),
                None => format!("{}: not marked", day.day),
            };
            view! {
                <rect
                    class=class
                    x=format!("{x:.1}")
                    y=format!("{:.1}", 16.0 + weekday as f64 * (CELL + GAP))
                    width=CELL
                    height=CELL
                    rx="2"
                    data-day=day.day.clone()
                >
                    <title>{tip}</title>
                </rect>
            }
        })
        .collect_view();
    let month_labels = months
        .into_iter()
        .map(|(x, month)| view! { <text class="axis" x=format!("{x:.1}") y="11">{month}</text> })
        .collect_view();
    let weekday_labels = [(0, "Mon"), (2, "Wed"), (4, "Fri")]
        .into_iter()
        .map(|(row, label)| {
            view! {
                <text class="axis" x="0" y=format!("{:.1}", 16.0 + row as f64 * (CELL + GAP) + 11.0)>
                    {label}
                </text>
            }
        })
        .collect_view();
    view! {
        <figure class="chart calendar">
            <svg
                viewBox=format!("0 0 {width:.0} {height:.0}")
                width=format!("{width:.0}")
                height=format!("{height:.0}")
                role="img"
                aria-label="Attendance calendar"
                data-testid="calendar-chart"
                class="calendar-svg"
            >
                {month_labels}
                {weekday_labels}
                {cells}
            </svg>
            <figcaption class="legend-row small muted">
                <span class="key present"></span>"present"
                <span class="key late"></span>"late"
                <span class="key excused"></span>"excused"
                <span class="key absent"></span>"absent"
                <span class="key unmarked"></span>"not marked"
                <span class="key none"></span>"no session"
            </figcaption>
        </figure>
    }
}
