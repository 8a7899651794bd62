//! The school's holidays for admins: listed, added, removed. Scheduled sessions on a holiday
//! disappear when it is added and come back when it is removed.

use crate::api::timetable::{add_holiday, list_holidays, remove_holiday};
use crate::components::error_notice::ErrorNotice;
use crate::components::form_field::TextField;
use crate::domain::timetable::HolidayInput;
use leptos::prelude::*;

#[component]
pub fn HolidaysCard() -> impl IntoView {
    // Loaded by the browser: this card sits inside the page's own streamed resource.
    let reloads = RwSignal::new(0u32);
    let holidays = crate::web::load_in_browser(move || reloads.get(), |_| list_holidays());
    let name = RwSignal::new(String::new());
    let first_day = RwSignal::new(String::new());
    let last_day = RwSignal::new(String::new());
    let add = Action::new(move |holiday: &HolidayInput| {
        let holiday = holiday.clone();
        async move {
            let result = add_holiday(holiday).await;
            if result.is_ok() {
                reloads.update(|n| *n += 1);
                name.set(String::new());
            }
            result
        }
    });
    let remove = Action::new(move |id: &i64| {
        let id = *id;
        async move {
            let result = remove_holiday(id).await;
            if result.is_ok() {
                reloads.update(|n| *n += 1);
            }
            result
        }
    });
    view! {
        <section class="card" data-testid="holidays">
            <h2>"School holidays"</h2>
            <p class="muted small">"Nothing is scheduled on a holiday (both days included)."</p>
            {move || match holidays.get() {
                None => view! { <p class="muted small">"Loading…"</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="muted">"None yet."</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="holiday-list">
                        {list
                            .into_iter()
                            .map(|h| {
                                let id = h.id;
                                view! {
                                    <li>
                                        <strong>{h.input.name}</strong> " " {h.input.first_day}
                                        " – " {h.input.last_day} " "
                                        <button class="button small ghost" on:click=move |_| {
                                            remove.dispatch(id);
                                        }>"Remove"</button>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any(),
                Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
            }}
            <form
                class="inline-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    add.dispatch(HolidayInput {
                        name: name.get_untracked(),
                        first_day: first_day.get_untracked(),
                        last_day: last_day.get_untracked(),
                    });
                }
            >
                <TextField label="Name " value=name/>
                <TextField label="From " kind="date" value=first_day/>
                <TextField label="to " kind="date" value=last_day/>
                <button class="button" type="submit" disabled=move || add.pending().get()>"Add holiday"</button>
            </form>
            {move || {
                add.value()
                    .get()
                    .and_then(Result::err)
                    .or_else(|| remove.value().get().and_then(Result::err))
                    .map(|error| view! { <ErrorNotice error/> })
            }}
        </section>
    }
}
