//! `/teacher/sessions/:id/present`: the join code for the projector. The code and QR code fill
//! the screen, readable from the back of a room, and keep rotating on their own live
//! connection whatever the teacher's dashboard is doing; the count of students in moves too.

use crate::api::teacher::{session_dashboard, SessionView};
use crate::components::error_notice::ErrorNotice;
use crate::components::teacher_attendance_dashboard::head::CodeCountdown;
use crate::components::teacher_attendance_dashboard::offline_code::keep_rotating_offline;
use crate::components::teacher_attendance_dashboard::SessionModel;
use crate::protocol::{Channel, EventBody};
use crate::realtime::{use_live, LiveUpdate};
use leptos::prelude::*;

#[component]
pub fn PresenterPage() -> impl IntoView {
    let session_id = super::id_param();
    let snapshot = Resource::new(move || session_id.get(), session_dashboard);
    let reload = Callback::new(move |_: ()| snapshot.refetch());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match snapshot.await {
                    Ok(data) => view! { <Presenter data reload/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Presenter(data: SessionView, reload: Callback<()>) -> impl IntoView {
    let session_id = data.session.id;
    let model = RwSignal::new(SessionModel::from_snapshot(&data));
    let live = use_live();
    let position = data.position.clone();
    Effect::new(move |_| {
        live.follow(
            Channel::Session(session_id),
            Some(position.clone()),
            move |update| match update {
                LiveUpdate::Reload => reload.run(()),
                LiveUpdate::Code(shown) => model.update(|m| m.show_code(shown)),
                LiveUpdate::Event { event, .. }
                    if matches!(
                        event.body,
                        EventBody::SessionOpened { .. } | EventBody::CheckInRulesChanged { .. }
                    ) =>
                {
                    reload.run(())
                }
                LiveUpdate::Event { event, replayed } => {
                    model.update(|m| {
                        m.apply(&event, replayed);
                    });
                }
            },
        );
    });
    keep_rotating_offline(session_id, model);
    let code = Memo::new(move |_| model.with(|m| m.code.clone()));
    let is_open = Memo::new(move |_| model.with(|m| m.is_open));
    let counts = Memo::new(move |_| model.with(SessionModel::counts));
    let class_name = data.session.class_name.clone();
    view! {
        <section class="presenter" data-testid="presenter">
            <header class="presenter-head">
                <h1>{class_name}</h1>
                <a class="button ghost small" href=format!("/teacher/sessions/{session_id}")>"Back to the dashboard"</a>
            </header>
            <Show
                when=move || is_open.get()
                fallback=|| view! { <p class="presenter-closed" data-testid="presenter-closed">"Check-in is closed."</p> }
            >
                <div class="presenter-body">
                    <div class="presenter-code">
                        <span class="caption">"Scan, or go to the check-in page and type"</span>
                        <span
                            class="presenter-join-code"
                            data-testid="presenter-code"
                            data-window=move || code.with(|c| c.as_ref().and_then(|c| c.rotation).map(|r| r.window))
                        >
                            {move || code.with(|c| c.as_ref().map(|c| c.code.clone()))}
                        </span>
                        <CodeCountdown code/>
                        <span class="caption presenter-url">
                            {move || code.with(|c| c.as_ref().map(|c| checkin_page(&c.check_in_url)))}
                        </span>
                    </div>
                    <div
                        class="presenter-qr"
                        data-testid="presenter-qr"
                        inner_html=move || code.with(|c| c.as_ref().map(|c| c.qr_svg.clone()).unwrap_or_default())
                        aria-label="QR code for check-in"
                    ></div>
                </div>
                <p class="presenter-count" data-testid="presenter-count">
                    {move || {
                        let c = counts.get();
                        format!("{} of {} checked in", c.present + c.late, c.total())
                    }}
                </p>
            </Show>
        </section>
    }
}

/// The check-in page without the code in it ("rollcall.school.org/checkin"), for people who
/// type.
fn checkin_page(url: &str) -> String {
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    match without_scheme.find("/checkin") {
        Some(at) => without_scheme[..at + "/checkin".len()].to_string(),
        None => without_scheme.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_typed_address_leaves_out_the_code() {
        assert_eq!(
            super::checkin_page("https://school.org/checkin/K7QM2X?s=1&w=2"),
            "school.org/checkin"
        );
        assert_eq!(
            super::checkin_page("http://127.0.0.1:3000/checkin/AB"),
            "127.0.0.1:3000/checkin"
        );
    }
}
