//! The check-in rules form, for a class (its sessions' default) and for one session: a fixed or
//! rotating code, one student per device, and what to do with check-ins from outside the
//! school's network.

use crate::components::error_notice::ErrorNotice;
use crate::domain::rotating_code::DEFAULT_PERIOD_SECONDS;
use crate::domain::{CheckInRules, NetworkRule};
use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn CheckInRulesForm(
    initial: CheckInRules,
    save: Action<CheckInRules, Result<CheckInRules, AppError>>,
    /// Where the rules apply, for the button ("Save for this session").
    scope: &'static str,
) -> impl IntoView {
    let rotate = RwSignal::new(initial.rotate_every_seconds.is_some());
    let period = RwSignal::new(
        initial
            .rotate_every_seconds
            .unwrap_or(DEFAULT_PERIOD_SECONDS)
            .to_string(),
    );
    let one_device = RwSignal::new(initial.one_student_per_device);
    let network = RwSignal::new(initial.network);
    let networks = RwSignal::new(initial.networks.join(", "));
    let local_error = RwSignal::new(None::<AppError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let rotate_every_seconds = if rotate.get_untracked() {
            match period.get_untracked().trim().parse::<u32>() {
                Ok(seconds) => Some(seconds),
                Err(_) => {
                    local_error.set(Some(AppError::bad_request(
                        "Give the seconds between codes as a whole number, like 15.",
                    )));
                    return;
                }
            }
        } else {
            None
        };
        local_error.set(None);
        save.dispatch(CheckInRules {
            rotate_every_seconds,
            one_student_per_device: one_device.get_untracked(),
            network: network.get_untracked(),
            networks: networks
                .get_untracked()
                .split([',', '\n', ' '])
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(String::from)
                .collect(),
        });
    };
    let error = move || {
        local_error
            .get()
            .or_else(|| save.value().get().and_then(Result::err))
    };
    view! {
        <form class="rules-form" data-testid="rules-form" on:submit=submit>
            <fieldset>
                <legend>"Join code"</legend>
                <label class="check">
                    <input type="radio" name="code-mode" data-testid="code-fixed"
                        prop:checked=move || !rotate.get() on:change=move |_| rotate.set(false)/>
                    <span>"The same code for the whole session"</span>
                </label>
                <label class="check">
                    <input type="radio" name="code-mode" data-testid="code-rotating"
                        prop:checked=move || rotate.get() on:change=move |_| rotate.set(true)/>
                    <span>
                        "A new code every "
                        <input class="narrow" type="number" min="5" max="300" data-testid="code-period"
                            prop:value=move || period.get()
                            on:input=move |ev| period.set(event_target_value(&ev))/>
                        " seconds (a photo of the screen stops working)"
                    </span>
                </label>
            </fieldset>
            <label class="check">
                <input type="checkbox" data-testid="one-device"
                    prop:checked=move || one_device.get()
                    on:change=move |ev| one_device.set(event_target_checked(&ev))/>
                <span>"One student per device: a second student checking in from the same phone waits for my review"</span>
            </label>
            <label>
                "Check-ins "
                <select data-testid="network-rule"
                    on:change=move |ev| {
                        if let Some(rule) = NetworkRule::from_key(&event_target_value(&ev)) {
                            network.set(rule);
                        }
                    }>
                    {NetworkRule::ALL.into_iter().map(|rule| view! {
                        <option value=rule.key() selected=move || network.get() == rule>{rule.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                "Networks (blank: the school's) "
                <input type="text" data-testid="networks" placeholder="10.20.0.0/16, 192.0.2.0/24"
                    prop:value=move || networks.get()
                    on:input=move |ev| networks.set(event_target_value(&ev))/>
            </label>
            {move || error().map(|error| view! { <ErrorNotice error/> })}
            <button class="button small" type="submit" data-testid="save-rules"
                disabled=move || save.pending().get()>
                {scope}
            </button>
            {move || save.value().get().and_then(Result::ok).map(|rules| view! {
                <span class="muted small" role="status" data-testid="rules-saved">
                    "Saved: " {rules.summary()}
                </span>
            })}
        </form>
    }
}
