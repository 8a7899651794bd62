//! Server functions, grouped by who calls them. Each is a JSON POST at `/api/<name>`
//! (documented in docs/api.md) and checks the caller's role and ownership itself.

pub mod absence_rules;
pub mod account;
pub mod admin;
pub mod admin_classes;
pub mod admin_users;
#[cfg(feature = "ssr")]
pub mod audit_csv;
pub mod auth;
pub mod excuses;
#[cfg(feature = "ssr")]
pub mod form_posts;
pub mod import;
pub mod notifications;
pub mod outbox;
pub mod plain_forms;
pub mod presence;
#[cfg(feature = "ssr")]
pub mod report_csv;
#[cfg(feature = "ssr")]
pub mod report_views;
pub mod reports;
pub mod sessions;
pub mod student;
pub mod teacher;
pub mod timetable;
