//! A student's status as a coloured word.

use crate::domain::AttendanceStatus;
use leptos::prelude::*;

#[component]
pub fn StatusBadge(status: Option<AttendanceStatus>) -> impl IntoView {
    let (class, label) = match status {
        Some(status) => (status.as_str(), status.label()),
        None => ("not-marked", "Not yet"),
    };
    view! { <span class=format!("badge {class}")>{label}</span> }
}
