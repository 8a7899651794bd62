//! One file per area of the site; each page is a route in `app.rs`.

pub mod account;
pub mod admin;
pub mod admin_classes;
pub mod admin_import;
pub mod admin_notifications;
pub mod admin_people;
pub mod check_in_audit;
pub mod class_page;
pub mod class_report;
pub mod excuses;
pub mod inbox;
pub mod login;
pub mod not_found;
pub mod notification_settings;
pub mod presenter;
pub mod report_common;
pub mod school_report;
pub mod student;
pub mod student_report;
pub mod teacher;

/// The `:id` of the current route as a number (0 when it is not one: the page's server call
/// then answers "no such …").
pub fn id_param() -> leptos::prelude::Memo<i64> {
    use leptos::prelude::*;
    let params = leptos_router::hooks::use_params_map();
    Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse().ok())
            .unwrap_or(0)
    })
}
