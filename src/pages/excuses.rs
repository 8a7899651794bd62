//! `/excuses`: a student explains an absence (a range of days, past or future, for some or all
//! of their classes) and sees what became of it; teachers and admins decide pending excuses with
//! one click and can send one for a student.

use crate::api::excuses::{
    decide_excuse, list_excuses, submit_excuse, withdraw_excuse, ExcuseList,
};
use crate::components::error_notice::ErrorNotice;
use crate::components::form_field::TextField;
use crate::domain::excuse::{Excuse, ExcuseDecision, ExcuseInput, ExcuseState};
use leptos::prelude::*;

#[component]
pub fn ExcusesPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_excuses(None));
    let changed = Callback::new(move |_: ()| list.refetch());
    // Outside the list: reloading the list after sending re-creates the form, and the
    // confirmation must outlive that.
    let sent = RwSignal::new(None::<String>);
    view! {
        <h1>"Absence excuses"</h1>
        {move || sent.get().map(|text| view! {
            <p class="notice receipt" role="status" data-testid="excuse-sent">{text}</p>
        })}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => view! { <ExcusesBody list changed sent/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ExcusesBody(
    list: ExcuseList,
    changed: Callback<()>,
    sent: RwSignal<Option<String>>,
) -> impl IntoView {
    let can_decide = list.can_decide;
    let (pending, other): (Vec<Excuse>, Vec<Excuse>) = list
        .excuses
        .into_iter()
        .partition(|e| e.state == ExcuseState::Pending);
    let pending_title = if can_decide {
        "Waiting for your decision"
    } else {
        "Waiting for a decision"
    };
    view! {
        <SubmitExcuse classes=list.classes staff=can_decide changed sent/>
        <section class="card" data-testid="pending-excuses">
            <h2>{pending_title}</h2>
            {if pending.is_empty() {
                view! { <p class="muted">"Nothing waiting."</p> }.into_any()
            } else {
                view! {
                    <ul class="excuse-list">
                        {pending.into_iter().map(|excuse| view! { <ExcuseLine excuse can_decide changed/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="card" data-testid="decided-excuses">
            <h2>"Decided"</h2>
            {if other.is_empty() {
                view! { <p class="muted">"None yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="excuse-list">
                        {other.into_iter().map(|excuse| view! { <ExcuseLine excuse can_decide changed/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn ExcuseLine(excuse: Excuse, can_decide: bool, changed: Callback<()>) -> impl IntoView {
    let id = excuse.id;
    let act = Action::new(move |decision: &Option<ExcuseDecision>| {
        let decision = *decision;
        async move {
            let result = match decision {
                Some(decision) => decide_excuse(id, decision).await.map(|_| ()),
                None => withdraw_excuse(id).await,
            };
            if result.is_ok() {
                changed.run(());
            }
            result
        }
    });
    let pending = excuse.state == ExcuseState::Pending;
    let days = if excuse.first_day == excuse.last_day {
        excuse.first_day.clone()
    } else {
        format!("{} to {}", excuse.first_day, excuse.last_day)
    };
    let by = (excuse.submitted_by_name != excuse.student_name)
        .then(|| format!(" · sent by {}", excuse.submitted_by_name));
    let decided = excuse.decided_by_name.clone().map(|name| {
        let sessions =
            (excuse.state == ExcuseState::Approved).then(|| match excuse.sessions_excused {
                1 => " · 1 session excused so far".to_string(),
                n => format!(" · {n} sessions excused so far"),
            });
        format!(
            "{} by {name}{}",
            excuse.state.label(),
            sessions.unwrap_or_default()
        )
    });
    view! {
        <li class="excuse-line" data-testid=format!("excuse-{id}")>
            <div>
                <strong>{excuse.student_name.clone()}</strong> " · " {excuse.class_name.clone()} " · " {days}
                <span class=format!("pill excuse-{}", excuse.state.as_str())>{excuse.state.label()}</span>
            </div>
            <p class="reason">{excuse.reason.clone()}</p>
            <p class="muted small">{by}{decided}</p>
            {(pending && can_decide).then(|| view! {
                <div class="inline-form">
                    <button class="button small primary" data-testid="approve"
                        disabled=move || act.pending().get()
                        on:click=move |_| { act.dispatch(Some(ExcuseDecision::Approve)); }>"Approve"</button>
                    <button class="button small" data-testid="decline"
                        disabled=move || act.pending().get()
                        on:click=move |_| { act.dispatch(Some(ExcuseDecision::Decline)); }>"Decline"</button>
                </div>
            })}
            {(pending && !can_decide).then(|| view! {
                <button class="button small ghost" data-testid="withdraw"
                    on:click=move |_| { act.dispatch(None); }>"Withdraw"</button>
            })}
            {move || act.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error/> })}
        </li>
    }
}

#[component]
fn SubmitExcuse(
    classes: Vec<(i64, String)>,
    staff: bool,
    changed: Callback<()>,
    sent: RwSignal<Option<String>>,
) -> impl IntoView {
    let student = RwSignal::new(String::new());
    let first_day = RwSignal::new(String::new());
    let last_day = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    // Unticked classes; all are ticked at first.
    let left_out = RwSignal::new(Vec::<i64>::new());
    let all_ids: Vec<i64> = classes.iter().map(|(id, _)| *id).collect();
    let submit = Action::new(move |_: &()| {
        let chosen: Vec<i64> = all_ids
            .iter()
            .copied()
            .filter(|id| !left_out.get_untracked().contains(id))
            .collect();
        let last = last_day.get_untracked();
        let input = ExcuseInput {
            student: staff.then(|| student.get_untracked()),
            class_ids: chosen,
            first_day: first_day.get_untracked(),
            last_day: if last.is_empty() {
                first_day.get_untracked()
            } else {
                last
            },
            reason: reason.get_untracked(),
        };
        async move {
            let result = submit_excuse(input).await;
            if let Ok(stored) = &result {
                let classes = if stored.len() == 1 {
                    "class"
                } else {
                    "classes"
                };
                sent.set(Some(format!(
                    "Sent for {} {classes}. A teacher will decide.",
                    stored.len()
                )));
                changed.run(());
            }
            result.map(|_| ())
        }
    });
    let boxes = classes
        .into_iter()
        .map(|(id, name)| {
            view! {
                <label class="check">
                    <input type="checkbox" prop:checked=move || !left_out.get().contains(&id)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            left_out.update(|l| { l.retain(|x| *x != id); if !on { l.push(id); } });
                        }/>
                    {name}
                </label>
            }
        })
        .collect_view();
    view! {
        <section class="card" on:input=move |_| sent.set(None)>
            <h2>{if staff { "Excuse a student" } else { "Explain an absence" }}</h2>
            <form class="stack" data-testid="excuse-form" on:submit=move |ev| { ev.prevent_default(); submit.dispatch(()); }>
                {staff.then(|| view! { <TextField label="Student's username " value=student/> })}
                <div class="inline-form">
                    <TextField label="First day " value=first_day kind="date"/>
                    <label>
                        "Last day (if more than one) "
                        <input type="date" prop:value=move || last_day.get() on:input=move |ev| last_day.set(event_target_value(&ev))/>
                    </label>
                </div>
                {(!staff).then(|| view! { <fieldset class="checks"><legend class="small">"For"</legend>{boxes}</fieldset> })}
                {staff.then(|| view! { <p class="small muted">"For every class of theirs that you teach (admins: all their classes)."</p> })}
                <label>
                    "Reason "
                    <textarea required rows="3" maxlength="1000" data-testid="excuse-reason"
                        prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                </label>
                <button class="button primary" type="submit" disabled=move || submit.pending().get()>"Send"</button>
                {move || submit.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error/> })}
            </form>
        </section>
    }
}
