//! Labelled form inputs bound to a signal: the same markup on every form.

use leptos::prelude::*;

/// `<label>Label <input …></label>`, required, bound to `value`.
#[component]
pub fn TextField(
    label: &'static str,
    value: RwSignal<String>,
    /// The input's type: `text`, `date`, `time`, `password` …
    #[prop(default = "text")]
    kind: &'static str,
) -> impl IntoView {
    view! {
        <label>
            {label}
            <input
                type=kind
                required
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </label>
    }
}

/// A number of minutes (0–240), e.g. a late threshold: "Late after [10] min".
#[component]
pub fn MinutesField(label: &'static str, value: RwSignal<u32>) -> impl IntoView {
    view! {
        <label class="small">
            {label}
            <input
                type="number"
                min="0"
                max="240"
                class="minutes"
                prop:value=move || value.get().to_string()
                on:input=move |ev| {
                    if let Ok(minutes) = event_target_value(&ev).parse() {
                        value.set(minutes);
                    }
                }
            />
            " min"
        </label>
    }
}
