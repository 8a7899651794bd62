//! A live feed of check-ins and status changes, with filters, recent joins and the rate.

use crate::domain::time::{clock_label, relative_label};
use crate::domain::{AttendanceCounts, AttendanceStatus, MarkSource};
use crate::protocol::{Event, EventBody};
use crate::web::use_ticking_now;
use leptos::prelude::*;

#[derive(Debug, Clone, PartialEq)]
pub struct ActivityItem {
    pub seq: i64,
    pub at_ms: i64,
    pub student_name: String,
    pub status: AttendanceStatus,
    pub source: MarkSource,
    /// Arrived live (not replayed): shown highlighted.
    pub fresh: bool,
}

impl ActivityItem {
    /// The activity an event represents, if any.
    pub fn from_event(event: &Event, replayed: bool) -> Option<ActivityItem> {
        match &event.body {
            EventBody::AttendanceChanged {
                student_name,
                status,
                source,
                ..
            } => Some(ActivityItem {
                seq: event.seq,
                at_ms: event.at_ms,
                student_name: student_name.clone(),
                status: *status,
                source: *source,
                fresh: !replayed,
            }),
            _ => None,
        }
    }

    pub fn is_join(&self) -> bool {
        self.source == MarkSource::SelfCheckIn
    }
}

/// Keeps a feed newest-first and bounded.
pub fn push_activity(feed: RwSignal<Vec<ActivityItem>>, item: ActivityItem) {
    feed.update(|items| {
        items.insert(0, item);
        items.truncate(200);
    });
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    All,
    Joins,
    Updates,
}

#[component]
pub fn LiveStudentActivity(
    #[prop(into)] items: Signal<Vec<ActivityItem>>,
    #[prop(into)] counts: Signal<AttendanceCounts>,
    #[prop(optional)] compact: bool,
    #[prop(default = 0)] utc_offset_minutes: i32,
) -> impl IntoView {
    let (filter, set_filter) = signal(Filter::All);
    let now = use_ticking_now();
    let shown = move || {
        let filter = filter.get();
        items
            .get()
            .into_iter()
            .filter(|item| match filter {
                Filter::All => true,
                Filter::Joins => item.is_join(),
                Filter::Updates => !item.is_join(),
            })
            .take(if compact { 6 } else { 60 })
            .collect::<Vec<_>>()
    };
    let recent_joins = move || {
        items
            .get()
            .into_iter()
            .filter(ActivityItem::is_join)
            .take(5)
            .collect::<Vec<_>>()
    };
    let filter_button = move |value: Filter, label: &'static str| {
        view! {
            <button
                class="chip"
                class:active=move || filter.get() == value
                on:click=move |_| set_filter.set(value)
            >
                {label}
            </button>
        }
    };
    view! {
        <section class=if compact { "activity compact" } else { "activity" } data-testid="live-activity">
            <header class="activity-head">
                <h2>"Live activity"</h2>
                <span class="activity-rate" data-testid="activity-rate">
                    {move || counts.get().rate_label()} " attendance"
                </span>
            </header>
            {(!compact)
                .then(|| {
                    view! {
                        <div class="recent-joins">
                            <span class="caption">"Recent check-ins"</span>
                            {move || {
                                let joins = recent_joins();
                                if joins.is_empty() {
                                    view! { <span class="muted small">" none yet"</span> }.into_any()
                                } else {
                                    joins
                                        .into_iter()
                                        .map(|item| {
                                            let at = item.at_ms;
                                            view! {
                                                <span class="join-chip">
                                                    {item.student_name} " · "
                                                    {move || relative_label(at, now.get() as i64)}
                                                </span>
                                            }
                                        })
                                        .collect_view()
                                        .into_any()
                                }
                            }}
                        </div>
                        <div class="filters" role="group" aria-label="Filter activity">
                            {filter_button(Filter::All, "All")}
                            {filter_button(Filter::Joins, "Check-ins")}
                            {filter_button(Filter::Updates, "Updates")}
                        </div>
                    }
                })}
            <ul class="feed">
                {move || {
                    let items = shown();
                    if items.is_empty() {
                        return view! { <li class="muted small">"Waiting for students…"</li> }.into_any();
                    }
                    items
                        .into_iter()
                        .map(|item| {
                            let verb = item.source.activity_verb(item.status);
                            view! {
                                <li class:fresh=item.fresh data-testid="activity-item">
                                    <span class=format!("swatch {}", item.status.as_str())></span>
                                    <span class="feed-text">
                                        <strong>{item.student_name}</strong>
                                        " " {verb}
                                    </span>
                                    <span class="muted small">{clock_label(item.at_ms, utc_offset_minutes)}</span>
                                </li>
                            }
                        })
                        .collect_view()
                        .into_any()
                }}
            </ul>
        </section>
    }
}
