//! The roster table: one row per student, its status live, and the marking buttons.

use super::SessionModel;
use crate::api::plain_forms::mark_form_path;
use crate::components::status_badge::StatusBadge;
use crate::domain::outbox::OfflineChange;
use crate::domain::time::clock_label;
use crate::domain::{AttendanceStatus, RosterEntry, SessionId, UserId};
use leptos::prelude::*;
use std::collections::HashMap;

#[component]
pub fn Roster(
    session_id: SessionId,
    roster: Vec<RosterEntry>,
    model: RwSignal<SessionModel>,
    flashes: StoredValue<HashMap<UserId, RwSignal<bool>>>,
    offset: i32,
    /// False while the session is upcoming: nobody can be marked yet.
    marking: bool,
    on_mark: impl Fn(UserId, AttendanceStatus) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <table class="roster" data-testid="roster">
            <thead>
                <tr>
                    <th>"Student"</th>
                    <th>"Status"</th>
                    <th class="mark-head">"Mark"</th>
                </tr>
            </thead>
            <tbody>
                {roster
                    .into_iter()
                    .map(|entry| {
                        let flash = flashes
                            .with_value(|f| f.get(&entry.student_id).copied())
                            .unwrap_or_else(|| RwSignal::new(false));
                        view! { <RosterRow session_id entry model flash offset marking on_mark/> }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn RosterRow(
    session_id: SessionId,
    entry: RosterEntry,
    model: RwSignal<SessionModel>,
    flash: RwSignal<bool>,
    offset: i32,
    marking: bool,
    on_mark: impl Fn(UserId, AttendanceStatus) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let student = entry.student_id;
    // Recomputed on every model change, but the row re-renders only when its own mark changed.
    let mark = Memo::new(move |_| model.with(|m| m.mark(student).cloned()));
    // A mark made offline shows on its row until the server has it.
    let items = crate::offline::use_offline().status.items;
    let saved = Memo::new(move |_| {
        items.with(|items| {
            items.iter().rev().find_map(|item| match item.change {
                OfflineChange::Mark {
                    session_id: s,
                    student_id,
                    status,
                    ..
                } if item.state.is_pending() && s == session_id && student_id == student => {
                    Some(status)
                }
                _ => None,
            })
        })
    });
    let status = move || mark.get().map(|m| m.status);
    let detail = move || {
        mark.get().map(|mark| {
            format!(
                "{} · {}",
                clock_label(mark.marked_at_ms, offset),
                mark.source.roster_label()
            )
        })
    };
    view! {
        <tr
            id=format!("student-{student}")
            data-testid=format!("roster-row-{}", entry.username)
            data-status=move || status().map(|s| s.as_str()).unwrap_or("not_marked")
            class:flash=move || flash.get()
        >
            <td>
                <span class="student-name">{entry.display_name.clone()}</span>
                <span class="muted small">{entry.username.clone()}</span>
            </td>
            <td>
                {move || view! { <StatusBadge status=status()/> }}
                {move || detail().map(|d| view! { <span class="muted small">{d}</span> })}
                {move || saved.get().map(|status| view! {
                    <span class="saved-mark small" data-testid="saved-mark" data-status=status.as_str()>
                        {format!("{}: saved on this device", status.label())}
                    </span>
                })}
            </td>
            <td class="mark-buttons">
                // A plain form before the WebAssembly runs (api::plain_forms); once hydrated,
                // a click marks over the live connection instead. A lecture's page has
                // thousands of these buttons: no attribute the browser does not need (they
                // submit by default, the stylesheet finds them by place, tests by value).
                <form method="post" action=mark_form_path(session_id)>
                    <input type="hidden" name="student_id" value=student/>
                    {AttendanceStatus::ALL
                        .into_iter()
                        .map(|option| {
                            view! {
                                <button
                                    name="status"
                                    value=option.as_str()
                                    disabled=!marking
                                    class:active=move || status() == Some(option)
                                    on:click=move |ev| {
                                        ev.prevent_default();
                                        on_mark(student, option);
                                    }
                                >
                                    {option.label()}
                                </button>
                            }
                        })
                        .collect_view()}
                </form>
            </td>
        </tr>
    }
}
