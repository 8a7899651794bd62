use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <div class="card center" data-testid="not-found">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. It may have been mistyped, or the link is old."</p>
            <a class="button" href="/">"Go to my start page"</a>
        </div>
    }
}
