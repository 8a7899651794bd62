use crate::error::{AppError, ErrorKind};
use crate::realtime::sign_in_ended::encode_path;
use leptos::prelude::*;

/// Shows an error the way a person needs it: signed out → a sign-in link back to this page.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    let signed_out = error.kind == ErrorKind::Unauthenticated;
    let next = if signed_out {
        leptos_router::hooks::use_location()
            .pathname
            .get_untracked()
    } else {
        String::new()
    };
    view! {
        <div class="notice error" role="alert" data-error-kind=format!("{:?}", error.kind)>
            <p>{error.message}</p>
            {signed_out
                .then(|| {
                    view! {
                        <a class="button" href=format!("/login?next={}", encode_path(&next))>
                            "Sign in"
                        </a>
                    }
                })}
        </div>
    }
}
