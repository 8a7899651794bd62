use crate::error::{AppError, ErrorKind};
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

/// Percent-encodes a path for a query string (UTF-8 bytes; `/` and unreserved ASCII kept).
fn encode_path(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
