//! `/account/password`: everyone changes their own password here; after an administrator's
//! reset, every page sends the person here first.

use crate::api::account::change_password;
use crate::api::auth::me;
use crate::components::error_notice::ErrorNotice;
use crate::domain::password::MIN_CHARS;
use leptos::prelude::*;

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| me());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => {
                        let home = user.role.home_path();
                        view! { <ChangePasswordForm must_change=user.must_change_password home/> }
                            .into_any()
                    }
                    Ok(None) => {
                        let error = crate::error::AppError::unauthenticated();
                        view! { <ErrorNotice error/> }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ChangePasswordForm(must_change: bool, home: &'static str) -> impl IntoView {
    let (current, set_current) = signal(String::new());
    let (new, set_new) = signal(String::new());
    let (again, set_again) = signal(String::new());
    let (others, set_others) = signal(true);
    let (mismatch, set_mismatch) = signal(false);
    let save = Action::new(|(current, new, others): &(String, String, bool)| {
        change_password(current.clone(), new.clone(), *others)
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            // A full load, so every part of the page sees the account as it is now.
            let _ = window().location().set_href(home);
        }
    });
    view! {
        <div class="card narrow">
            <h1>"Change password"</h1>
            {must_change
                .then(|| {
                    view! {
                        <p class="notice" data-testid="must-change-password">
                            "An administrator reset your password. Choose your own to continue."
                        </p>
                    }
                })}
            <form
                class="stack"
                on:submit=move |ev| {
                    ev.prevent_default();
                    let (new, again) = (new.get_untracked(), again.get_untracked());
                    set_mismatch.set(new != again);
                    if new == again {
                        save.dispatch((current.get_untracked(), new, others.get_untracked()));
                    }
                }
            >
                <label>
                    "Current password"
                    <input
                        name="current_password"
                        type="password"
                        autocomplete="current-password"
                        required
                        prop:value=current
                        on:input=move |ev| set_current.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    "New password"
                    <input
                        name="new_password"
                        type="password"
                        autocomplete="new-password"
                        required
                        minlength=MIN_CHARS.to_string()
                        prop:value=new
                        on:input=move |ev| set_new.set(event_target_value(&ev))
                    />
                    <span class="muted small">
                        {format!("At least {MIN_CHARS} characters; a short phrase works well.")}
                    </span>
                </label>
                <label>
                    "New password again"
                    <input
                        name="new_password_again"
                        type="password"
                        autocomplete="new-password"
                        required
                        prop:value=again
                        on:input=move |ev| set_again.set(event_target_value(&ev))
                    />
                </label>
                {(!must_change)
                    .then(|| {
                        view! {
                            <label class="check">
                                <input
                                    type="checkbox"
                                    name="sign_out_others"
                                    prop:checked=others
                                    on:change=move |ev| set_others.set(event_target_checked(&ev))
                                />
                                "Sign out my other devices"
                            </label>
                        }
                    })}
                <button class="button primary" type="submit" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Change password" }}
                </button>
            </form>
            {move || {
                mismatch
                    .get()
                    .then(|| {
                        view! {
                            <p class="notice error" role="alert">
                                "The two new passwords differ."
                            </p>
                        }
                    })
            }}
            {move || save.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error/> })}
        </div>
    }
}
