//! Turning push on or off for this device, with what stands in the way said plainly (no Push
//! API, notifications blocked, no answer from the browser's push service).

use crate::api::notifications::PushDevice;
use crate::components::error_notice::ErrorNotice;
use leptos::prelude::*;

/// Where this browser stands (found out in the browser only).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Debug, Clone, PartialEq, Eq)]
enum Here {
    Checking,
    Unsupported,
    Blocked,
    Off,
    /// Subscribed with this endpoint.
    On(String),
}

#[component]
pub fn PushToggle(vapid_public_key: String, devices: RwSignal<Vec<PushDevice>>) -> impl IntoView {
    let here = RwSignal::new(Here::Checking);
    let problem = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use crate::offline::push::{current_endpoint, support, PushSupport};
        match support() {
            PushSupport::Unsupported => here.set(Here::Unsupported),
            PushSupport::Blocked => here.set(Here::Blocked),
            PushSupport::Ready => leptos::task::spawn_local(async move {
                let known = |endpoint: &String| {
                    devices.with_untracked(|d| d.iter().any(|device| &device.endpoint == endpoint))
                };
                here.set(match current_endpoint().await {
                    Some(endpoint) if known(&endpoint) => Here::On(endpoint),
                    _ => Here::Off,
                });
            }),
        }
    });
    let turn_on = Action::new_local(move |_: &()| {
        let key = vapid_public_key.clone();
        async move { enable(key, devices, here, problem).await }
    });
    let turn_off = Action::new_local(move |_: &()| async move {
        #[cfg(feature = "hydrate")]
        {
            if let Some(endpoint) = crate::offline::push::unsubscribe().await {
                use crate::api::notifications::remove_push_subscription;
                let answer = remove_push_subscription(None, Some(endpoint.clone())).await;
                if answer.is_ok() {
                    devices.update(|d| d.retain(|device| device.endpoint != endpoint));
                }
                here.set(Here::Off);
                return answer;
            }
        }
        here.set(Here::Off);
        Ok(())
    });
    let busy = move || turn_on.pending().get() || turn_off.pending().get();
    view! {
        <div class="push-toggle" data-testid="push-toggle" data-state=move || format!("{:?}", here.get()).to_lowercase()>
            {move || match here.get() {
                Here::Checking => view! { <p class="muted">"Checking this browser…"</p> }.into_any(),
                Here::Unsupported => view! {
                    <p class="muted">
                        "This browser cannot receive pushes. On an iPhone or iPad, add Rollcall to the Home Screen and open it from there."
                    </p>
                }.into_any(),
                Here::Blocked => view! {
                    <p class="muted">
                        "Notifications are blocked for this site. Allow them in the browser's site settings, then reload."
                    </p>
                }.into_any(),
                Here::Off => view! {
                    <p>"This device does not get pushes."</p>
                    <button class="button" data-testid="push-on" disabled=busy on:click=move |_| { turn_on.dispatch(()); }>
                        "Turn on push on this device"
                    </button>
                }.into_any(),
                Here::On(_) => view! {
                    <p class="ok">"This device gets pushes."</p>
                    <button class="button ghost" data-testid="push-off" disabled=busy on:click=move |_| { turn_off.dispatch(()); }>
                        "Turn off on this device"
                    </button>
                }.into_any(),
            }}
            {move || problem.get().map(|text| view! { <p class="error" role="alert">{text}</p> })}
            {move || turn_off.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error/> })}
        </div>
    }
}

async fn enable(
    key: String,
    devices: RwSignal<Vec<PushDevice>>,
    here: RwSignal<Here>,
    problem: RwSignal<Option<String>>,
) {
    problem.set(None);
    #[cfg(feature = "hydrate")]
    {
        use crate::api::notifications::save_push_subscription;
        match crate::offline::push::subscribe(&key).await {
            Ok(sub) => match save_push_subscription(sub.endpoint, sub.p256dh, sub.auth).await {
                Ok(device) => {
                    here.set(Here::On(device.endpoint.clone()));
                    devices.update(|d| {
                        d.retain(|known| known.id != device.id);
                        d.push(device);
                    });
                }
                Err(error) => problem.set(Some(error.message)),
            },
            Err(text) => problem.set(Some(text)),
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key, devices, here);
}
