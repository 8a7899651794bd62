//! `/admin/users`: everyone in the school, searchable and paged; add a person, rename, change
//! role, deactivate or reactivate. Password resets are on the admin's Today page.

use crate::api::admin_users::{create_user, list_users, set_user_active, update_user, Person};
use crate::components::error_notice::ErrorNotice;
use crate::components::form_field::TextField;
use crate::domain::Role;
use crate::error::AppError;
use leptos::prelude::*;

fn role_from(text: &str) -> Option<Role> {
    Role::parse(text)
}

#[component]
pub fn AdminPeoplePage() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let include_inactive = RwSignal::new(true);
    let page = RwSignal::new(0u32);
    let people = Resource::new(
        move || (query.get(), role.get(), include_inactive.get(), page.get()),
        |(query, role, inactive, page)| list_users(query, role_from(&role), inactive, page),
    );
    let changed = Callback::new(move |_: ()| people.refetch());
    view! {
        <h1>"People"</h1>
        <section class="card">
            <form class="inline-form" on:submit=|ev| ev.prevent_default()>
                <label>
                    "Search "
                    <input
                        type="search"
                        placeholder="name or username"
                        data-testid="people-search"
                        prop:value=move || query.get()
                        on:input=move |ev| {
                            query.set(event_target_value(&ev));
                            page.set(0);
                        }
                    />
                </label>
                <label>
                    "Role "
                    <select on:change=move |ev| {
                        role.set(event_target_value(&ev));
                        page.set(0);
                    }>
                        <option value="">"Everyone"</option>
                        <option value="student">"Students"</option>
                        <option value="teacher">"Teachers"</option>
                        <option value="admin">"Admins"</option>
                    </select>
                </label>
                <label>
                    <input
                        type="checkbox"
                        prop:checked=move || include_inactive.get()
                        on:change=move |ev| include_inactive.set(event_target_checked(&ev))
                    />
                    "Show deactivated"
                </label>
                <a class="small-link" href="/admin/import">"Import from CSV"</a>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match people.await {
                        Ok(found) => {
                            let last_page = found.total.saturating_sub(1) / found.per_page.max(1);
                            view! {
                                <p class="muted small" data-testid="people-total">
                                    {found.total} " people · page " {found.page + 1} " of " {last_page + 1}
                                </p>
                                <table class="people">
                                    <thead>
                                        <tr><th>"Name"</th><th class="wide-only">"Role"</th><th>"Status"</th><th></th></tr>
                                    </thead>
                                    <tbody>
                                        {found
                                            .people
                                            .into_iter()
                                            .map(|person| view! { <PersonRow person changed/> })
                                            .collect_view()}
                                    </tbody>
                                </table>
                                <div class="inline-form">
                                    <button class="button small" disabled={found.page == 0} on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>
                                        "Previous"
                                    </button>
                                    <button class="button small" disabled={found.page >= last_page} on:click=move |_| page.update(|p| *p += 1)>
                                        "Next"
                                    </button>
                                </div>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <AddPerson changed/>
    }
}

#[component]
fn PersonRow(person: Person, changed: Callback<()>) -> impl IntoView {
    let editing = RwSignal::new(false);
    let name = RwSignal::new(person.display_name.clone());
    let role = RwSignal::new(person.role.as_str().to_string());
    let id = person.id;
    let save = Action::new(move |_: &()| async move {
        let role = role_from(&role.get_untracked()).unwrap_or(Role::Student);
        let result = update_user(id, name.get_untracked(), role).await;
        if result.is_ok() {
            changed.run(());
        }
        result.map(|_| ())
    });
    let active = person.active;
    let toggle = Action::new(move |_: &()| async move {
        let result = set_user_active(id, !active).await;
        if result.is_ok() {
            changed.run(());
        }
        result.map(|_| ())
    });
    let error = move || -> Option<AppError> {
        save.value()
            .get()
            .and_then(Result::err)
            .or_else(|| toggle.value().get().and_then(Result::err))
    };
    view! {
        <tr data-testid=format!("person-{}", person.username) class:inactive=!person.active>
            <td>
                <Show
                    when=move || editing.get()
                    fallback={
                        let display = person.display_name.clone();
                        let username = person.username.clone();
                        move || view! {
                            <span class="student-name">{display.clone()}</span>
                            <span class="muted small">{username.clone()}</span>
                        }
                    }
                >
                    <input
                        aria-label="Name"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                    <select aria-label="Role" on:change=move |ev| role.set(event_target_value(&ev))>
                        {["student", "teacher", "admin"]
                            .into_iter()
                            .map(|r| view! { <option value=r selected=move || role.get() == r>{r}</option> })
                            .collect_view()}
                    </select>
                    <button class="button small primary" on:click=move |_| {
                        save.dispatch(());
                    }>"Save"</button>
                </Show>
                {move || error().map(|error| view! { <ErrorNotice error/> })}
            </td>
            <td class="wide-only">{person.role.as_str()}</td>
            <td>
                {if person.active { "Active" } else { "Deactivated" }}
                {person.must_change_password.then(|| view! { <span class="pill">"new password pending"</span> })}
            </td>
            <td class="row-actions">
                <button class="button small ghost" on:click=move |_| editing.update(|e| *e = !*e)>
                    {move || if editing.get() { "Cancel" } else { "Edit" }}
                </button>
                <button class="button small" class:danger=active on:click=move |_| {
                    toggle.dispatch(());
                }>{if active { "Deactivate" } else { "Reactivate" }}</button>
            </td>
        </tr>
    }
}

#[component]
fn AddPerson(changed: Callback<()>) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new("student".to_string());
    let password = RwSignal::new(String::new());
    let add = Action::new(move |_: &()| async move {
        let role = role_from(&role.get_untracked()).unwrap_or(Role::Student);
        let result = create_user(
            username.get_untracked(),
            name.get_untracked(),
            role,
            password.get_untracked(),
        )
        .await;
        if result.is_ok() {
            username.set(String::new());
            name.set(String::new());
            password.set(String::new());
            changed.run(());
        }
        result
    });
    view! {
        <section class="card" data-testid="add-person">
            <h2>"Add a person"</h2>
            <form class="inline-form" on:submit=move |ev| {
                ev.prevent_default();
                add.dispatch(());
            }>
                <TextField label="Username " value=username/>
                <TextField label="Name " value=name/>
                <label>
                    "Role "
                    <select on:change=move |ev| role.set(event_target_value(&ev))>
                        <option value="student">"Student"</option>
                        <option value="teacher">"Teacher"</option>
                        <option value="admin">"Admin"</option>
                    </select>
                </label>
                <TextField label="First password " kind="password" value=password/>
                <button class="button primary" type="submit" disabled=move || add.pending().get()>"Add"</button>
            </form>
            <p class="muted small">"They choose their own password when they first sign in."</p>
            {move || match add.value().get() {
                Some(Ok(person)) => Some(view! { <p class="notice" data-testid="person-added">"Added " {person.username} "."</p> }.into_any()),
                Some(Err(error)) => Some(view! { <ErrorNotice error/> }.into_any()),
                None => None,
            }}
        </section>
    }
}
