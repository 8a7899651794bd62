use crate::api::teacher::{my_classes, open_session, ClassSummary};
use crate::components::error_notice::ErrorNotice;
use crate::components::form_field::MinutesField;
use crate::components::teacher_attendance_dashboard::TeacherAttendanceDashboard;
use crate::domain::ClassId;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

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
    let late_after = RwSignal::new(10u32);
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
                            <MinutesField label="Late after " value=late_after/>
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
    let session_id = super::id_param();
    // A mark the roster's plain form could not save comes back as `?error=<key>`.
    let query = leptos_router::hooks::use_query_map();
    let form_error = move || {
        query
            .read()
            .get("error")
            .map(|key| crate::api::plain_forms::mark_failure(&key))
            .map(|error| view! { <ErrorNotice error/> })
    };
    view! {
        {form_error}
        <TeacherAttendanceDashboard session_id/>
    }
}
