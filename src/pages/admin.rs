use crate::api::admin::school_today;
use crate::components::attendance_bar::AttendanceBar;
use crate::components::error_notice::ErrorNotice;
use leptos::prelude::*;

/// `/admin`: today's sessions across the school.
#[component]
pub fn AdminTodayPage() -> impl IntoView {
    let today = Resource::new(|| (), |_| school_today());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match today.await {
                    Ok(today) => {
                        let totals = today.totals;
                        view! {
                            <h1>"Today, " {today.date_label}</h1>
                            <section class="card">
                                <h2>"Whole school"</h2>
                                <AttendanceBar counts=Signal::derive(move || totals)/>
                            </section>
                            {if today.sessions.is_empty() {
                                view! { <p class="muted">"No sessions have started today."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="sessions" data-testid="today-sessions">
                                        <thead>
                                            <tr>
                                                <th>"Class"</th>
                                                <th>"Teacher"</th>
                                                <th>"Started"</th>
                                                <th>"Present"</th>
                                                <th>"Late"</th>
                                                <th>"Absent"</th>
                                                <th>"Not yet"</th>
                                                <th>"Rate"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {today
                                                .sessions
                                                .into_iter()
                                                .map(|s| {
                                                    view! {
                                                        <tr>
                                                            <td>
                                                                <a href=format!("/teacher/sessions/{}", s.id)>{s.class_name}</a>
                                                                {s.is_open.then(|| view! { <span class="pill open">"Open"</span> })}
                                                            </td>
                                                            <td>{s.teacher_name}</td>
                                                            <td>{s.starts_at_label}</td>
                                                            <td>{s.counts.present}</td>
                                                            <td>{s.counts.late}</td>
                                                            <td>{s.counts.absent}</td>
                                                            <td>{s.counts.not_marked}</td>
                                                            <td><strong>{s.counts.rate_label()}</strong></td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                }
                                    .into_any()
                            }}
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}
