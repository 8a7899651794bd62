//! The HTML shell, the header and the routes.

use crate::api::auth::{logout, me};
use crate::components::connection_status_indicator::ConnectionStatusIndicator;
use crate::domain::Role;
use crate::pages;
use crate::protocol::Channel;
use crate::realtime::{provide_live_connection, use_live, LiveUpdate};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Redirect, Route, Router, Routes, A};
use leptos_router::{path, SsrMode};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_live_connection();
    // Browser tests wait for this marker before they click: the page is interactive from here.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/rollcall.css"/>
        <Title text="Rollcall"/>
        <Router>
            <Header/>
            <main class="page">
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("/") view=Home ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=pages::login::LoginPage/>
                    <Route path=path!("/teacher") view=pages::teacher::TeacherClassesPage/>
                    <Route path=path!("/teacher/sessions/:id") view=pages::teacher::TeacherSessionPage/>
                    <Route path=path!("/checkin") view=pages::student::CheckInPage/>
                    <Route path=path!("/checkin/:code") view=pages::student::CheckInPage/>
                    <Route path=path!("/admin") view=pages::admin::AdminTodayPage/>
                </Routes>
            </main>
        </Router>
    }
}

/// `/` sends each person to their own start page.
#[component]
fn Home() -> impl IntoView {
    let user = Resource::new(|| (), |_| me());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let path = match user.await {
                    Ok(Some(user)) => user.role.home_path(),
                    _ => "/login",
                };
                view! { <Redirect path=path/> }
            })}
        </Suspense>
    }
}

#[component]
fn Header() -> impl IntoView {
    let user = Resource::new(|| (), |_| me());
    let sign_out = Action::new(|_: &()| logout());
    // Every signed-in tab follows its user's own channel (confirmations, marks by the teacher);
    // pages follow more channels on top of the same connection.
    let live = use_live();
    Effect::new(move |_| {
        if let Some(Ok(Some(user))) = user.get() {
            let personal = live.status.personal;
            live.follow(Channel::User(user.id), None, move |update| {
                if let LiveUpdate::Event {
                    event,
                    replayed: false,
                } = update
                {
                    personal.set(Some(event));
                }
            });
        }
    });
    Effect::new(move |_| {
        if sign_out.value().get().is_some() {
            let _ = window().location().set_href("/login");
        }
    });
    view! {
        <header class="top-bar">
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"✓"</span>
                "Rollcall"
            </A>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) => {
                            let links = match user.role {
                                Role::Admin => vec![("/admin", "Today"), ("/teacher", "Classes")],
                                Role::Teacher => vec![("/teacher", "My classes")],
                                Role::Student => vec![("/checkin", "Check in")],
                            };
                            view! {
                                <nav class="nav">
                                    {links
                                        .into_iter()
                                        .map(|(href, label)| view! { <A href=href>{label}</A> })
                                        .collect_view()}
                                </nav>
                                <div class="who">
                                    <ConnectionStatusIndicator/>
                                    <span class="who-name" data-testid="signed-in-as">
                                        {user.display_name}
                                    </span>
                                    <span class="role-tag">{user.role.as_str()}</span>
                                    <button
                                        class="button ghost small"
                                        on:click=move |_| {
                                            sign_out.dispatch(());
                                        }
                                    >
                                        "Sign out"
                                    </button>
                                </div>
                            }
                                .into_any()
                        }
                        _ => view! { <A href="/login" attr:class="button small">"Sign in"</A> }.into_any(),
                    }
                })}
            </Transition>
        </header>
    }
}
