//! A class's timetable: its weekly meetings (with a form to add one and a button to remove
//! each) and the school's holidays. Times are on the school's clock, whose zone it names.

use crate::api::timetable::{add_meeting, class_timetable, remove_meeting, TimetableView};
use crate::components::error_notice::ErrorNotice;
use crate::components::form_field::{MinutesField, TextField};
use crate::domain::timetable::{Meeting, MeetingInput, Weekday};
use crate::domain::ClassId;
use leptos::prelude::*;

#[component]
pub fn TimetableEditor(class_id: ClassId, on_change: Callback<()>) -> impl IntoView {
    let timetable = Resource::new(|| (), move |_| class_timetable(class_id));
    let changed = Callback::new(move |_: ()| {
        timetable.refetch();
        on_change.run(());
    });
    view! {
        <section class="card" data-testid="timetable">
            <h2>"Timetable"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading the timetable…"</p> }>
                {move || Suspend::new(async move {
                    match timetable.await {
                        Ok(view) => view! { <TimetableBody view changed/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Transition>
            // Outside the list, so what was typed survives the list's reload after an add.
            <AddMeetingForm class_id changed/>
        </section>
    }
}

#[component]
fn TimetableBody(view: TimetableView, changed: Callback<()>) -> impl IntoView {
    let remove = Action::new(move |id: &i64| {
        let id = *id;
        async move {
            let result = remove_meeting(id).await;
            if result.is_ok() {
                changed.run(());
            }
            result
        }
    });
    view! {
        <p class="muted small">
            "Times are on the school's clock (" {view.time_zone.clone()}
            "). A scheduled session opens for check-in " {view.check_in_opens_minutes}
            " minutes before it starts, counts lateness from its start, and closes by itself at its end."
        </p>
        {if view.meetings.is_empty() {
            view! { <p class="muted" data-testid="no-meetings">"No weekly meetings yet."</p> }.into_any()
        } else {
            view! {
                <ul class="meeting-list">
                    {view
                        .meetings
                        .into_iter()
                        .map(|meeting| view! { <MeetingLine meeting remove/> })
                        .collect_view()}
                </ul>
            }
                .into_any()
        }}
        {move || remove.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error/> })}
        {view.archived.then(|| view! { <p class="muted">"This class is archived: its timetable is paused."</p> })}
        <h3>"School holidays"</h3>
        {if view.holidays.is_empty() {
            view! { <p class="muted small">"None set (admins set them)."</p> }.into_any()
        } else {
            view! {
                <ul class="holiday-list">
                    {view
                        .holidays
                        .into_iter()
                        .map(|h| {
                            view! {
                                <li>
                                    <strong>{h.input.name}</strong> " " {h.input.first_day} " – "
                                    {h.input.last_day}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
                .into_any()
        }}
    }
}

#[component]
fn MeetingLine(
    meeting: Meeting,
    remove: Action<i64, Result<(), crate::error::AppError>>,
) -> impl IntoView {
    let m = meeting.input;
    let days = m
        .weekdays
        .iter()
        .map(|d| d.short_label())
        .collect::<Vec<_>>()
        .join(", ");
    let id = meeting.id;
    view! {
        <li class="meeting-line" data-testid=format!("meeting-{id}")>
            <span class="when">{days} " " {m.starts_at.clone()} "–" {m.ends_at.clone()}</span>
            <span class="muted small">
                {m.first_day.clone()} " to " {m.last_day.clone()} " · late after "
                {m.late_after_minutes} " min"
            </span>
            <button class="button small ghost" disabled=move || remove.pending().get() on:click=move |_| {
                remove.dispatch(id);
            }>"Remove"</button>
        </li>
    }
}

#[component]
fn AddMeetingForm(class_id: ClassId, changed: Callback<()>) -> impl IntoView {
    let days = RwSignal::new(Vec::<Weekday>::new());
    let starts_at = RwSignal::new("08:00".to_string());
    let ends_at = RwSignal::new("08:45".to_string());
    let first_day = RwSignal::new(String::new());
    let last_day = RwSignal::new(String::new());
    let late = RwSignal::new(10u32);
    let add = Action::new(move |meeting: &MeetingInput| {
        let meeting = meeting.clone();
        async move {
            let result = add_meeting(class_id, meeting).await;
            if result.is_ok() {
                changed.run(());
            }
            result
        }
    });
    view! {
        <form
            class="meeting-form"
            data-testid="add-meeting"
            on:submit=move |ev| {
                ev.prevent_default();
                add.dispatch(MeetingInput {
                    weekdays: days.get_untracked(),
                    starts_at: starts_at.get_untracked(),
                    ends_at: ends_at.get_untracked(),
                    first_day: first_day.get_untracked(),
                    last_day: last_day.get_untracked(),
                    late_after_minutes: late.get_untracked(),
                });
            }
        >
            <h3>"Add a weekly meeting"</h3>
            <fieldset class="weekdays">
                <legend>"Meets on"</legend>
                {Weekday::ALL
                    .into_iter()
                    .map(|day| {
                        view! {
                            <label class="day">
                                <input
                                    type="checkbox"
                                    prop:checked=move || days.with(|d| d.contains(&day))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        days.update(|d| {
                                            d.retain(|x| *x != day);
                                            if on {
                                                d.push(day);
                                                d.sort();
                                            }
                                        });
                                    }
                                />
                                {day.short_label()}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <div class="inline-form">
                <TextField label="From " kind="time" value=starts_at/>
                <TextField label="to " kind="time" value=ends_at/>
            </div>
            <div class="inline-form">
                <TextField label="First day " kind="date" value=first_day/>
                <TextField label="Last day " kind="date" value=last_day/>
                <MinutesField label="Late after " value=late/>
            </div>
            <button class="button primary" type="submit" disabled=move || add.pending().get()>
                "Add to the timetable"
            </button>
            {move || add.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error/> })}
        </form>
    }
}
