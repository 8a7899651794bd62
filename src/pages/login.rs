use crate::api::auth::login;
use crate::components::error_notice::ErrorNotice;
use crate::realtime::sign_in_ended::SignInEnded;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    // Only same-site paths: "//evil.example" would leave the site.
    let next = move || {
        query
            .read()
            .get("next")
            .filter(|path| path.starts_with('/') && !path.starts_with("//"))
    };
    let (username, set_username) = signal(String::new());
    let (password, set_password) = signal(String::new());
    let sign_in = Action::new(|(username, password): &(String, String)| {
        login(username.clone(), password.clone())
    });
    Effect::new(move |_| {
        if let Some(Ok(response)) = sign_in.value().get() {
            let target = next().unwrap_or(response.home);
            // A full load, so every server-rendered part sees the new session cookie.
            let _ = window().location().set_href(&target);
        }
    });
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
                on:submit=move |ev| {
                    ev.prevent_default();
                    sign_in.dispatch((username.get_untracked(), password.get_untracked()));
                }
            >
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
            {move || {
                sign_in.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error/> })
            }}
        </div>
    }
}
