use crate::api::teacher::{my_classes, open_session, ClassSummary};
use crate::components::error_notice::ErrorNotice;
use crate::components::teacher_attendance_dashboard::TeacherAttendanceDashboard;
use crate::domain::ClassId;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

/// `/teacher`: the teacher's classes, each with a way into its session.
#[component]
pub fn TeacherClassesPage() -> impl IntoView {
    let classes = Resource::new(|| (), |_| my_classes());
    view! {
        <h1>"My classes"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match classes.await {
                    Ok(classes) if classes.is_empty() => {
                        view! { <p class="muted">"You have no classes yet."</p> }.into_any()
                    }
                    Ok(classes) => {
                        view! {
                            <div class="class-grid">
                                {classes
                                    .into_iter()
                                    .map(|class| view! { <ClassCard class/> })
                                    .collect_view()}
                            </div>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ClassCard(class: ClassSummary) -> impl IntoView {
    let (late_after, set_late_after) = signal(10u32);
    let open = Action::new(|(class, late): &(ClassId, u32)| open_session(*class, *late));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(session_id)) = open.value().get() {
            navigate(
                &format!("/teacher/sessions/{session_id}"),
                Default::default(),
            );
        }
    });
    let class_id = class.id;
    view! {
        <article class="card class-card" data-testid=format!("class-{}", class.id)>
            <h2>
                <a href=format!("/teacher/classes/{}", class.id)>{class.name.clone()}</a>
            </h2>
            <p class="muted">{class.student_count} " students · " {class.teacher_name.clone()}</p>
            {match class.open_session_id {
                Some(session_id) => {
                    view! {
                        <a class="button primary" href=format!("/teacher/sessions/{session_id}")>
                            "Go to the open session"
                        </a>
                    }
                        .into_any()
                }
                None => {
                    view! {
                        <form
                            class="inline-form"
                            on:submit=move |ev| {
                                ev.prevent_default();
                                open.dispatch((class_id, late_after.get_untracked()));
                            }
                        >
                            <label class="small">
                                "Late after "
                                <input
                                    type="number"
                                    min="0"
                                    max="240"
                                    class="minutes"
                                    prop:value=move || late_after.get().to_string()
                                    on:input=move |ev| {
                                        if let Ok(minutes) = event_target_value(&ev).parse() {
                                            set_late_after.set(minutes);
                                        }
                                    }
                                />
                                " min"
                            </label>
                            <button class="button primary" type="submit" disabled=move || open.pending().get()>
                                "Open session"
                            </button>
                        </form>
                    }
                        .into_any()
                }
            }}
            <a class="small-link" href=format!("/teacher/classes/{}", class.id)>
                "Sessions and timetable"
            </a>
            {move || open.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error/> })}
        </article>
    }
}

/// `/teacher/sessions/:id`: the live dashboard of one session.
#[component]
pub fn TeacherSessionPage() -> impl IntoView {
    let params = use_params_map();
    let session_id = Signal::derive(move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse().ok())
            .unwrap_or(0)
    });
    view! { <TeacherAttendanceDashboard session_id/> }
}
