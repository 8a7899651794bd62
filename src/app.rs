//! The HTML shell, the header and the routes.

use crate::api::account::{site_info, CHANGE_PASSWORD_PATH};
use crate::api::auth::{logout, me};
use crate::components::connection_status_indicator::ConnectionStatusIndicator;
use crate::components::inbox_bell::InboxBell;
use crate::domain::Role;
use crate::pages;
use crate::protocol::{Channel, EventBody};
use crate::realtime::sign_in_ended::login_url;
use crate::realtime::{provide_live_connection, use_live, LiveUpdate};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Redirect, Route, Router, Routes, A};
use leptos_router::{path, SsrMode};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The bundle's URLs name its build (server::app_shell), so a cached page and its
    // WebAssembly always belong together.
    #[cfg(feature = "ssr")]
    let root = crate::server::app_shell::asset_root();
    #[cfg(not(feature = "ssr"))]
    let root = String::new();
    let stylesheet = format!("{root}/pkg/rollcall.css");
    #[cfg(feature = "ssr")]
    let answered = crate::api::form_posts::answered_address_script();
    #[cfg(not(feature = "ssr"))]
    let answered: Option<String> = None;
    // The sign-in and check-in pages load their WebAssembly themselves, later on a slow link.
    #[cfg(feature = "ssr")]
    let check_in_loader = crate::server::app_shell::check_in_loader(&options, &root);
    #[cfg(not(feature = "ssr"))]
    let check_in_loader: Option<String> = None;
    let hydration = match check_in_loader {
        Some(script) => {
            // A classic script: it runs before the body is drawn, so the page never shows a
            // connection that is not coming yet.
            view! { <script nonce=use_nonce() inner_html=script></script> }.into_any()
        }
        None => view! { <HydrationScripts options=options.clone() root/> }.into_any(),
    };
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                // Before the hydration script (a module, so it runs later): see the function.
                {answered.map(|script| view! { <script nonce=use_nonce() inner_html=script></script> })}
                <AutoReload options=options.clone()/>
                {hydration}
                <link id="leptos" rel="stylesheet" href=stylesheet/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <link rel="apple-touch-icon" href="/icons/icon-192.png"/>
                <meta name="theme-color" content="#1f6feb"/>
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
    crate::offline::provide_offline();
    crate::components::inbox_bell::provide_inbox();
    // Browser tests wait for this marker before they click: the page is interactive from here.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Title text="Rollcall"/>
        <Router>
            <DemoBanner/>
            <Header/>
            <main class="page">
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("/") view=Home ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=pages::login::LoginPage/>
                    <Route path=path!("/teacher") view=pages::teacher::TeacherClassesPage/>
                    <Route path=path!("/teacher/sessions/:id") view=pages::teacher::TeacherSessionPage ssr=SsrMode::Async/>
                    <Route path=path!("/teacher/sessions/:id/present") view=pages::presenter::PresenterPage/>
                    <Route path=path!("/teacher/sessions/:id/audit") view=pages::check_in_audit::CheckInAuditPage ssr=SsrMode::Async/>
                    <Route path=path!("/teacher/classes/:id") view=pages::class_page::ClassPage/>
                    <Route path=path!("/teacher/classes/:id/report") view=pages::class_report::ClassReportPage ssr=SsrMode::Async/>
                    <Route path=path!("/reports/students/:id") view=pages::student_report::StudentReportStaffPage ssr=SsrMode::Async/>
                    <Route path=path!("/attendance") view=pages::student_report::MyAttendancePage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/reports") view=pages::school_report::SchoolReportPage ssr=SsrMode::Async/>
                    <Route path=path!("/excuses") view=pages::excuses::ExcusesPage/>
                    <Route path=path!("/checkin") view=pages::student::CheckInPage ssr=SsrMode::Async/>
                    <Route path=path!("/checkin/:code") view=pages::student::CheckInPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin") view=pages::admin::AdminTodayPage/>
                    <Route path=path!("/admin/users") view=pages::admin_people::AdminPeoplePage/>
                    <Route path=path!("/admin/classes") view=pages::admin_classes::AdminClassesPage/>
                    <Route path=path!("/admin/classes/:id") view=pages::admin_classes::AdminClassPage/>
                    <Route path=path!("/admin/import") view=pages::admin_import::AdminImportPage/>
                    <Route path=path!("/account/password") view=pages::account::ChangePasswordPage/>
                    <Route path=path!("/notifications") view=pages::inbox::InboxPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/notifications") view=pages::notification_settings::NotificationSettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/notifications") view=pages::admin_notifications::AdminNotificationsPage ssr=SsrMode::Async/>
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
    let offline = crate::offline::use_offline();
    let inbox = crate::components::inbox_bell::use_inbox();
    Effect::new(move |_| {
        if let Some(Ok(Some(user))) = user.get() {
            offline.sign_in(user.id);
            let personal = live.status.personal;
            inbox.refresh();
            live.follow(Channel::User(user.id), None, move |update| {
                // Notifications count whether live or caught up after a reconnect.
                inbox.hear(&update);
                // `personal` is the latest change to the person's attendance: the inbox's own
                // events (which follow a mark) must not hide it.
                if let LiveUpdate::Event {
                    event,
                    replayed: false,
                } = update
                {
                    if !matches!(
                        event.body,
                        EventBody::Notified { .. } | EventBody::NotificationsRead { .. }
                    ) {
                        personal.set(Some(event));
                    }
                }
            });
        }
    });
    // Back online or reconnected: read the count again, whatever the catch-up brought (a tab
    // that relays through another can come back before its channel is caught up).
    let link = live.status.state;
    Effect::new(move |was_open: Option<bool>| {
        let open = link.get() == crate::realtime::LinkState::Open;
        if open && was_open == Some(false) {
            inbox.refresh();
        }
        open
    });
    // Only a sign-out that happened leaves the page: a failed one says so and stays, or the
    // next person at a shared computer would find this one still signed in.
    Effect::new(move |_| {
        if let Some(Ok(())) = sign_out.value().get() {
            leptos::task::spawn_local(async {
                crate::offline::forget_offline_pages().await;
                let _ = window().location().set_href("/login");
            });
        }
    });
    // Signed out elsewhere, password changed or sign-in expired: the live connection says so.
    let ended = live.status.sign_in_ended;
    Effect::new(move |_| {
        // This tab's own sign-out also ends its connection: it is already on its way to /login
        // (a second navigation would abort the first).
        let signing_out = sign_out.pending().get_untracked()
            || matches!(sign_out.value().get_untracked(), Some(Ok(())));
        if let Some(reason) = ended.get().filter(|_| !signing_out) {
            let here = window().location().pathname().unwrap_or_default();
            let _ = window().location().set_href(&login_url(reason, &here));
        }
    });
    let sign_out_failed = move || {
        sign_out.value().get().and_then(Result::err).map(|error| {
            view! {
                <span class="sign-out-failed" role="alert" data-testid="sign-out-failed">
                    "Sign-out failed: " {error.message} " You are still signed in."
                </span>
            }
        })
    };
    // After an administrator's reset, every page leads to choosing a new password first.
    let path = leptos_router::hooks::use_location().pathname;
    Effect::new(move |_| {
        if let Some(Ok(Some(user))) = user.get() {
            if user.must_change_password && path.get() != CHANGE_PASSWORD_PATH {
                let _ = window().location().set_href(CHANGE_PASSWORD_PATH);
            }
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
                                Role::Admin => vec![
                                    ("/admin", "Today"),
                                    ("/admin/classes", "Classes"),
                                    ("/admin/users", "People"),
                                    ("/admin/import", "Import"),
                                    ("/admin/reports", "Reports"),
                                    ("/excuses", "Excuses"),
                                    ("/admin/notifications", "Warnings"),
                                ],
                                Role::Teacher => vec![("/teacher", "My classes"), ("/excuses", "Excuses")],
                                Role::Student => vec![
                                    ("/checkin", "Check in"),
                                    ("/attendance", "My attendance"),
                                    ("/excuses", "Excuses"),
                                ],
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
                                    // Shown only when the browser runs no scripts (style/main.css).
                                    <span class="without-scripts muted small">"Not live: reload to see changes"</span>
                                    <InboxBell/>
                                    <span class="who-name" data-testid="signed-in-as">
                                        {user.display_name}
                                    </span>
                                    <span class="role-tag">{user.role.as_str()}</span>
                                    <A href=CHANGE_PASSWORD_PATH attr:class="small-link">
                                        "Change password"
                                    </A>
                                    {sign_out_failed}
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

/// A strip on every page while the server runs the demo school (published passwords).
#[component]
fn DemoBanner() -> impl IntoView {
    let site = Resource::new(|| (), |_| site_info());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                site.await.ok().filter(|site| site.demo).map(|_| {
                    view! {
                        <div class="demo-banner" role="note" data-testid="demo-banner">
                            <strong>"Demo school"</strong>
                            " · sample data with published passwords; not for real attendance."
                        </div>
                    }
                })
            })}
        </Suspense>
    }
}
