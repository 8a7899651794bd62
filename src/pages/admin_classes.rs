//! `/admin/classes`: every class, and a form to add one; `/admin/classes/:id`: rename,
//! archive or restore, choose its teachers, enrol and unenrol students.

use crate::api::admin_classes::{
    class_admin, create_class, enrol_students, rename_class, set_class_archived,
    set_class_teachers, unenrol_student, ClassAdminView,
};
use crate::api::admin_users::list_users;
use crate::api::teacher::my_classes;
use crate::components::error_notice::ErrorNotice;
use crate::domain::Role;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

#[component]
pub fn AdminClassesPage() -> impl IntoView {
    let classes = Resource::new(|| (), |_| my_classes());
    let name = RwSignal::new(String::new());
    let navigate = use_navigate();
    let create = Action::new(move |_: &()| create_class(name.get_untracked(), Vec::new()));
    Effect::new(move |_| {
        if let Some(Ok(class)) = create.value().get() {
            navigate(&format!("/admin/classes/{}", class.id), Default::default());
        }
    });
    view! {
        <h1>"Classes"</h1>
        <section class="card">
            <form class="inline-form" data-testid="add-class" on:submit=move |ev| {
                ev.prevent_default();
                create.dispatch(());
            }>
                <label>
                    "New class "
                    <input required placeholder="e.g. Biology 9A" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                </label>
                <button class="button primary" type="submit">"Create"</button>
                <a class="small-link" href="/admin/import">"Import people and enrolments from CSV"</a>
            </form>
            {move || create.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error/> })}
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match classes.await {
                    Ok(list) => view! {
                        <table>
                            <thead><tr><th>"Class"</th><th>"Teachers"</th><th>"Students"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|c| view! {
                                    <tr data-testid=format!("admin-class-{}", c.id) class:inactive=c.archived>
                                        <td>
                                            <a href=format!("/admin/classes/{}", c.id)>{c.name}</a>
                                            {c.archived.then(|| view! { <span class="pill closed">"Archived"</span> })}
                                        </td>
                                        <td>{if c.teacher_name.is_empty() { "none yet".to_string() } else { c.teacher_name }}</td>
                                        <td>{c.student_count}</td>
                                        <td class="row-actions">
                                            <a class="button small" href=format!("/teacher/classes/{}", c.id)>"Sessions and timetable"</a>
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn AdminClassPage() -> impl IntoView {
    let class_id = super::id_param();
    let view_data = Resource::new(move || class_id.get(), class_admin);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    Ok(class) => view! { <ClassEditor class/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ClassEditor(class: ClassAdminView) -> impl IntoView {
    let current = RwSignal::new(class);
    let id = current.get_untracked().id;
    let last_error = RwSignal::new(None::<AppError>);
    let run = move |result: Result<ClassAdminView, AppError>| match result {
        Ok(view) => {
            current.set(view);
            last_error.set(None);
        }
        Err(error) => last_error.set(Some(error)),
    };
    let name = RwSignal::new(current.get_untracked().name);
    let rename =
        Action::new(move |_: &()| async move { run(rename_class(id, name.get_untracked()).await) });
    let archive = Action::new(move |archived: &bool| {
        let archived = *archived;
        async move { run(set_class_archived(id, archived).await) }
    });
    let usernames = RwSignal::new(String::new());
    let enrol = Action::new(move |_: &()| async move {
        let names: Vec<String> = usernames
            .get_untracked()
            .split([',', ';', '\n', ' '])
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect();
        let result = enrol_students(id, names).await;
        if result.is_ok() {
            usernames.set(String::new());
        }
        run(result)
    });
    let unenrol = Action::new(move |student: &i64| {
        let student = *student;
        async move { run(unenrol_student(id, student).await) }
    });
    let teachers = Resource::new(
        || (),
        |_| list_users(String::new(), Some(Role::Teacher), false, 0),
    );
    let toggle_teacher = Action::new(move |(teacher, on): &(i64, bool)| {
        let (teacher, on) = (*teacher, *on);
        async move {
            let mut ids: Vec<i64> = current
                .get_untracked()
                .teachers
                .iter()
                .map(|t| t.id)
                .filter(|t| *t != teacher)
                .collect();
            if on {
                ids.push(teacher);
            }
            run(set_class_teachers(id, ids).await)
        }
    });
    view! {
        <div class="page-head">
            <h1>
                {move || current.get().name}
                {move || current.get().archived.then(|| view! { <span class="pill closed">"Archived"</span> })}
            </h1>
            <p class="muted"><a href="/admin/classes">"All classes"</a> " · " <a href=format!("/teacher/classes/{id}")>"Sessions and timetable"</a></p>
        </div>
        {move || last_error.get().map(|error| view! { <ErrorNotice error/> })}
        <section class="card">
            <form class="inline-form" on:submit=move |ev| { ev.prevent_default(); rename.dispatch(()); }>
                <label>"Name " <input required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <button class="button" type="submit">"Rename"</button>
                {move || {
                    let archived = current.get().archived;
                    view! {
                        <button class="button ghost" type="button" on:click=move |_| { archive.dispatch(!archived); }>
                            {if archived { "Restore" } else { "Archive" }}
                        </button>
                    }
                }}
            </form>
            <p class="muted small">"An archived class is hidden from its teachers and has no sessions; its history stays."</p>
        </section>
        <section class="card" data-testid="class-teachers">
            <h2>"Teachers"</h2>
            <p class="muted small">"Every teacher ticked here runs the class: co-teachers and substitutes included."</p>
            {move || teachers.get().and_then(Result::ok).map(|page| view! {
                <div class="teacher-picks">
                    {page.people.into_iter().map(|t| {
                        let tid = t.id;
                        view! {
                            <label class="day">
                                <input type="checkbox"
                                    prop:checked=move || current.get().teachers.iter().any(|x| x.id == tid)
                                    on:change=move |ev| { toggle_teacher.dispatch((tid, event_target_checked(&ev))); }/>
                                {t.display_name}
                            </label>
                        }
                    }).collect_view()}
                </div>
            })}
        </section>
        <section class="card" data-testid="class-students">
            <h2>{move || format!("Students ({})", current.get().students.len())}</h2>
            <form class="inline-form" on:submit=move |ev| { ev.prevent_default(); enrol.dispatch(()); }>
                <label>"Enrol by username " <input placeholder="student1, student2" prop:value=move || usernames.get() on:input=move |ev| usernames.set(event_target_value(&ev))/></label>
                <button class="button primary" type="submit">"Enrol"</button>
            </form>
            <ul class="session-list">
                {move || current.get().students.into_iter().map(|s| {
                    let sid = s.id;
                    view! {
                        <li class="session-line">
                            <span class="when">{s.display_name}</span>
                            <span class="muted small">{s.username}</span>
                            {(!s.active).then(|| view! { <span class="pill closed">"Deactivated"</span> })}
                            <button class="button small ghost" on:click=move |_| { unenrol.dispatch(sid); }>"Unenrol"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
