//! `/account/notifications`: what each person is told and how (in the app, by push), their
//! quiet hours, and which of their devices get pushes (this one turned on or off here).

use crate::api::notifications::{
    notification_settings, remove_push_subscription, save_notification_settings, KindChoice,
    NotifySettingsView,
};
use crate::components::error_notice::ErrorNotice;
use leptos::prelude::*;

#[component]
pub fn NotificationSettingsPage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| notification_settings());
    view! {
        <h1>"Notification settings"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(settings) => view! { <SettingsForm settings/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SettingsForm(settings: NotifySettingsView) -> impl IntoView {
    let kinds = RwSignal::new(settings.kinds);
    let quiet = RwSignal::new(settings.quiet_hours);
    let devices = RwSignal::new(settings.devices);
    let save = Action::new(move |_: &()| {
        let (kinds, quiet) = (kinds.get_untracked(), quiet.get_untracked());
        save_notification_settings(kinds, quiet)
    });
    let set = move |index: usize, push: bool, on: bool| {
        kinds.update(|kinds| {
            if let Some(choice) = kinds.get_mut(index) {
                if push {
                    choice.push = on;
                } else {
                    choice.in_app = on;
                }
            }
        })
    };
    let rows = move || {
        kinds
            .get()
            .into_iter()
            .enumerate()
            .map(|(index, choice): (usize, KindChoice)| {
                view! {
                    <tr data-kind=choice.kind.as_str()>
                        <th scope="row">{choice.label.clone()}</th>
                        <td>
                            <input
                                type="checkbox"
                                aria-label=format!("{} in the app", choice.label)
                                data-testid="in-app"
                                prop:checked=choice.in_app
                                on:change=move |ev| set(index, false, event_target_checked(&ev))
                            />
                        </td>
                        <td>
                            <input
                                type="checkbox"
                                aria-label=format!("{} by push", choice.label)
                                data-testid="push"
                                prop:checked=choice.push
                                on:change=move |ev| set(index, true, event_target_checked(&ev))
                            />
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };
    let saved = move || {
        match save.value().get() {
        Some(Ok(())) => view! { <p class="notice receipt" role="status" data-testid="settings-saved">"Saved."</p> }.into_any(),
        Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
        None => ().into_any(),
    }
    };
    view! {
        <form
            class="card"
            data-testid="notification-settings"
            on:submit=move |ev| {
                ev.prevent_default();
                save.dispatch(());
            }
            on:input=move |_| save.value().set(None)
        >
            <h2>"What you are told"</h2>
            <table class="choices">
                <thead>
                    <tr>
                        <th scope="col">"About"</th>
                        <th scope="col">"In Rollcall"</th>
                        <th scope="col">"Push to my devices"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <p class="muted small">
                "Bursts come as one: 12 check-ins in a minute are one notification, with every name in your inbox."
            </p>
            <label class="field">
                <span>"Quiet hours"</span>
                <input
                    type="text"
                    placeholder="22:00-07:00"
                    data-testid="quiet-hours"
                    prop:value=move || quiet.get()
                    on:input=move |ev| quiet.set(event_target_value(&ev))
                />
                <span class="muted small">
                    {format!(
                        "Pushes wait until they end ({} time); your inbox still gets everything at once. Leave empty for none.",
                        settings.time_zone,
                    )}
                </span>
            </label>
            <button class="button" type="submit" disabled=move || save.pending().get()>
                "Save"
            </button>
            {saved}
        </form>
        <section class="card" data-testid="push-devices">
            <h2>"Push on your devices"</h2>
            <crate::components::push_toggle::PushToggle
                vapid_public_key=settings.vapid_public_key
                devices
            />
            <DeviceList devices/>
        </section>
    }
}

#[component]
fn DeviceList(devices: RwSignal<Vec<crate::api::notifications::PushDevice>>) -> impl IntoView {
    let remove = Action::new(move |id: &i64| {
        let id = *id;
        async move {
            let answer = remove_push_subscription(Some(id), None).await;
            if answer.is_ok() {
                devices.update(|devices| devices.retain(|device| device.id != id));
            }
            answer
        }
    });
    view! {
        {move || remove.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error/> })}
        <Show
            when=move || devices.with(|devices| !devices.is_empty())
            fallback=|| view! { <p class="muted">"No device gets pushes yet."</p> }
        >
            <ul class="devices" data-testid="device-list">
                <For each=move || devices.get() key=|device| device.id let:device>
                    <li>
                        <span>{device.name.clone()}</span>
                        <span class="muted small">" · since " {device.added_label.clone()}</span>
                        <button
                            class="button ghost small"
                            on:click=move |_| {
                                remove.dispatch(device.id);
                            }
                        >
                            "Remove"
                        </button>
                    </li>
                </For>
            </ul>
        </Show>
    }
}
