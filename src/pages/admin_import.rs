//! `/admin/import`: choose a CSV file, see per row what will happen and every error with its
//! line, then apply it in one go; new people's one-time passwords are shown once.

use crate::api::import::{ImportPreview, ImportResult, TEMPLATE_PATH};
use crate::components::error_notice::ErrorNotice;
use crate::domain::import::RowAction;
use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn AdminImportPage() -> impl IntoView {
    // The chosen file's name; the file itself stays in the browser (web::pick_file).
    let file = RwSignal::new(None::<String>);
    let preview = RwSignal::new(None::<ImportPreview>);
    let result = RwSignal::new(None::<ImportResult>);
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let send = move |apply: bool| {
        if file.with_untracked(Option::is_none) {
            return;
        }
        let digest = preview
            .get_untracked()
            .map(|p| p.digest)
            .unwrap_or_default();
        busy.set(true);
        leptos::task::spawn_local(async move {
            error.set(None);
            if apply {
                match crate::web::post_picked_csv::<ImportResult>(&format!(
                    "{}?digest={digest}",
                    crate::api::import::APPLY_PATH
                ))
                .await
                {
                    Ok(done) => {
                        result.set(Some(done));
                        preview.set(None);
                    }
                    Err(e) => error.set(Some(e)),
                }
            } else {
                result.set(None);
                match crate::web::post_picked_csv::<ImportPreview>(crate::api::import::PREVIEW_PATH)
                    .await
                {
                    Ok(plan) => preview.set(Some(plan)),
                    Err(e) => error.set(Some(e)),
                }
            }
            busy.set(false);
        });
    };
    view! {
        <h1>"Import people and enrolments"</h1>
        <section class="card">
            <p>
                "A CSV file with one line per person: " <code>"username,display_name,role,classes,password"</code>
                ". " <code>"classes"</code> " lists existing classes separated by ';' (students are enrolled, teachers teach them); "
                <code>"password"</code> " is optional (new people without one get a one-time password, shown after the import). "
                "Importing only adds: nobody is removed, and importing the same file again changes nothing."
            </p>
            <p><a class="button small" href=TEMPLATE_PATH download="rollcall-import-template.csv">"Download the template"</a></p>
            <form class="inline-form" on:submit=move |ev| { ev.prevent_default(); send(false); }>
                <input type="file" accept=".csv,text/csv" data-testid="import-file" on:change=move |ev| {
                    file.set(crate::web::pick_file(&ev));
                    preview.set(None);
                    result.set(None);
                }/>
                <button class="button" type="submit" disabled=move || busy.get() || file.with(Option::is_none)>"Preview"</button>
            </form>
            {move || error.get().map(|error| view! { <ErrorNotice error/> })}
        </section>
        {move || preview.get().map(|plan| view! { <PreviewView plan busy apply=Callback::new(move |_| send(true))/> })}
        {move || result.get().map(|done| view! { <ResultView done/> })}
    }
}

#[component]
fn PreviewView(plan: ImportPreview, busy: RwSignal<bool>, apply: Callback<()>) -> impl IntoView {
    if !plan.ok {
        return view! {
            <section class="card" data-testid="import-errors">
                <h2>{format!("{} problem(s): nothing will be written", plan.errors.len())}</h2>
                <p class="muted small">"Fix these lines in the file and preview it again."</p>
                <ul class="change-list">
                    {plan.errors.into_iter().map(|e| view! { <li><strong>"Line " {e.line}</strong> ": " {e.message}</li> }).collect_view()}
                </ul>
            </section>
        }
        .into_any();
    }
    let nothing = plan.create + plan.update == 0;
    view! {
        <section class="card" data-testid="import-preview">
            <h2>{format!("{} new, {} changed, {} unchanged", plan.create, plan.update, plan.unchanged)}</h2>
            <button class="button primary" data-testid="import-apply" disabled=move || busy.get() || nothing on:click=move |_| apply.run(())>
                {if nothing { "Nothing to do" } else { "Apply" }}
            </button>
            <table class="people">
                <thead><tr><th>"Line"</th><th>"Person"</th><th>"What happens"</th></tr></thead>
                <tbody>
                    {plan.rows.into_iter().take(500).map(|row| {
                        let what = match row.action {
                            RowAction::Create => format!("new {}", row.role.as_str()),
                            RowAction::Update => "update".to_string(),
                            RowAction::Unchanged => "unchanged".to_string(),
                        };
                        view! {
                            <tr>
                                <td>{row.line}</td>
                                <td>{row.display_name} " " <span class="muted small">{row.username}</span></td>
                                <td>{what} " " <span class="muted small">{row.changes.join(" · ")}</span></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

#[component]
fn ResultView(done: ImportResult) -> impl IntoView {
    view! {
        <section class="card" data-testid="import-result">
            <h2>{format!("Imported: {} new, {} changed, {} unchanged, {} class memberships added", done.created, done.updated, done.unchanged, done.memberships_added)}</h2>
            {(!done.one_time_passwords.is_empty()).then(|| view! {
                <p>"One-time passwords for the new people (shown only now: print or copy them). Each person chooses their own password at first sign-in."</p>
                <table class="people">
                    <thead><tr><th>"Username"</th><th>"Name"</th><th>"One-time password"</th></tr></thead>
                    <tbody>
                        {done.one_time_passwords.into_iter().map(|p| view! {
                            <tr><td>{p.username}</td><td>{p.display_name}</td><td><code>{p.password}</code></td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}
