use crate::api::auth::login;
use crate::api::plain_forms::sign_in_failure;
use crate::components::error_notice::ErrorNotice;
use crate::domain::redirect::safe_next_path;

use crate::realtime::sign_in_ended::SignInEnded;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The sign-in page. Before the WebAssembly has loaded it is a plain form that posts to
/// `POST /login` (the server redirects back here with `?error=<kind>` on failure); once
/// hydrated, the same form calls the `login` server function instead.
#[component]
pub fn LoginPage() -> impl IntoView {
    // Whatever ended the last sign-in (signing out, in this tab or another, or it expired),
    // the pages kept for offline use go with it: they carry the last person's names.
    Effect::new(|_| leptos::task::spawn_local(crate::offline::forget_offline_pages()));
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let form_error = move || query.read().get("error").map(|key| sign_in_failure(&key));
    let (username, set_username) = signal(String::new());
    let (password, set_password) = signal(String::new());
    let sign_in = Action::new(|(username, password): &(String, String)| {
        login(username.clone(), password.clone(), false)
    });
    Effect::new(move |_| {
        if let Some(Ok(response)) = sign_in.value().get() {
            // Only a path on this site: `next` comes from the address bar.
            let target = safe_next_path(&next()).unwrap_or(response.home);
            // A full load, so every server-rendered part sees the new session cookie.
            let _ = window().location().set_href(&target);
        }
    });
    let error = move || match sign_in.value().get() {
        Some(Err(error)) => Some(error),
        Some(Ok(_)) => None,
        None => form_error(),
    };
    view! {
        <div class="card narrow">
            <h1>"Sign in"</h1>
            <p class="muted">"Teachers, students and admins all sign in here."</p>
            {move || {
                query
                    .read()
                    .get("reason")
                    .and_then(|key| SignInEnded::from_key(&key))
                    .map(|reason| {
                        view! {
                            <p class="notice" data-testid="sign-in-reason">{reason.message()}</p>
                        }
                    })
            }}
            <form
                class="stack"
                method="post"
                action="/login"
                on:submit=move |ev| {
                    ev.prevent_default();
                    sign_in.dispatch((username.get_untracked(), password.get_untracked()));
                }
            >
                <input type="hidden" name="next" value=next/>
                <label>
                    "Username"
                    <input
                        name="username"
                        autocomplete="username"
                        autocapitalize="none"
                        required
                        prop:value=username
                        on:input=move |ev| set_username.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    "Password"
                    <input
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        prop:value=password
                        on:input=move |ev| set_password.set(event_target_value(&ev))
                    />
                </label>
                <button class="button primary" type="submit" disabled=move || sign_in.pending().get()>
                    {move || if sign_in.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
            {move || error().map(|error| view! { <ErrorNotice error/> })}
        </div>
    }
}
