//! The administrator's password reset: a username and a temporary password to hand over; the
//! person must choose their own when they next sign in.

use crate::api::account::reset_password;
use crate::components::error_notice::ErrorNotice;
use leptos::prelude::*;

#[component]
pub fn ResetPasswordCard() -> impl IntoView {
    let (username, set_username) = signal(String::new());
    let (password, set_password) = signal(String::new());
    let reset = Action::new(|(username, password): &(String, String)| {
        reset_password(username.clone(), password.clone())
    });
    let done = move || {
        reset.value().get().and_then(Result::ok).map(|()| {
            view! {
                <p class="notice" data-testid="reset-done">
                    "Done. Their sign-ins have ended; they choose a new password when they next sign in."
                </p>
            }
        })
    };
    view! {
        <section class="card">
            <h2>"Reset a password"</h2>
            <form
                class="stack"
                on:submit=move |ev| {
                    ev.prevent_default();
                    reset.dispatch((username.get_untracked(), password.get_untracked()));
                }
            >
                <label>
                    "Username"
                    <input
                        name="reset_username"
                        autocomplete="off"
                        autocapitalize="none"
                        required
                        prop:value=username
                        on:input=move |ev| set_username.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    "Temporary password"
                    <input
                        name="reset_password"
                        autocomplete="new-password"
                        required
                        prop:value=password
                        on:input=move |ev| set_password.set(event_target_value(&ev))
                    />
                </label>
                <button class="button small" type="submit" disabled=move || reset.pending().get()>
                    "Reset password"
                </button>
            </form>
            {done}
            {move || reset.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error/> })}
        </section>
    }
}
