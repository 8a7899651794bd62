use crate::domain::AttendanceCounts;
use leptos::prelude::*;

/// A stacked bar of the session by status, with the counts and the attendance rate beside it.
#[component]
pub fn AttendanceBar(#[prop(into)] counts: Signal<AttendanceCounts>) -> impl IntoView {
    let segments = move || {
        let counts = counts.get();
        let total = counts.total().max(1) as f64;
        [
            ("present", "Present", counts.present),
            ("late", "Late", counts.late),
            ("excused", "Excused", counts.excused),
            ("absent", "Absent", counts.absent),
            ("not-marked", "Not yet", counts.not_marked),
        ]
        .into_iter()
        .map(|(class, label, n)| (class, label, n, n as f64 * 100.0 / total))
        .collect::<Vec<_>>()
    };
    view! {
        <div class="attendance-bar">
            <div class="rate" data-testid="attendance-rate">
                <span class="rate-value">{move || counts.get().rate_label()}</span>
                <span class="rate-caption">"attendance"</span>
            </div>
            <div class="bar-and-legend">
                // SVG geometry, not inline `style` widths: the Content-Security-Policy allows no
                // inline styles.
                <svg
                    class="bar"
                    viewBox="0 0 100 1"
                    preserveAspectRatio="none"
                    role="img"
                    aria-label="Attendance by status"
                >
                    {move || {
                        let mut x = 0.0;
                        segments()
                            .into_iter()
                            .filter(|(_, _, n, _)| *n > 0)
                            .map(|(class, _, _, pct)| {
                                let at = x;
                                x += pct;
                                view! {
                                    <rect
                                        class=format!("segment {class}")
                                        x=format!("{at:.2}")
                                        width=format!("{pct:.2}")
                                        height="1"
                                    ></rect>
                                }
                            })
                            .collect_view()
                    }}
                </svg>
                <ul class="legend">
                    {move || {
                        segments()
                            .into_iter()
                            .map(|(class, label, n, _)| {
                                view! {
                                    <li data-testid=format!("count-{class}")>
                                        <span class=format!("swatch {class}")></span>
                                        {label}
                                        " "
                                        <strong>{n}</strong>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </div>
        </div>
    }
}
