use crate::api::plain_forms::{check_in_failure, check_in_success, CHECK_IN_FORM_PATH};
use crate::api::student::{check_in, my_attendance, CheckInReceipt};
use crate::components::error_notice::ErrorNotice;
use crate::components::outbox_list::OutboxList;
use crate::components::status_badge::StatusBadge;
use crate::domain::check_in_rules::ReviewDecision;
use crate::domain::outbox::OfflineChange;
use crate::domain::AttendanceStatus;
use crate::error::{AppError, ErrorKind};
use crate::offline::queue::{check_in_label, saved_message};
use crate::offline::use_offline;
use crate::protocol::EventBody;
use crate::realtime::use_live;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// `/checkin` and `/checkin/:code` (the QR link): enter the code, see the answer and history.
#[component]
pub fn CheckInPage() -> impl IntoView {
    let params = use_params_map();
    let initial_code = params.read_untracked().get("code").unwrap_or_default();
    let (code, set_code) = signal(initial_code.clone());
    // Following another QR link inside the app changes the route, not the page: take its code.
    Effect::new(move |previous: Option<Option<String>>| {
        let linked = params.read().get("code");
        if previous.is_some_and(|p| p != linked) {
            if let Some(linked) = &linked {
                set_code.set(linked.clone());
            }
        }
        linked
    });
    // A rotating code's QR link names its session and window (`?s=…&w=…`): sent along while the
    // code is the link's, so a late scan is told "expired"; a code typed over it goes alone.
    let query = use_query_map();
    let link = move |typed: &str| {
        let query = query.read_untracked();
        // Opened offline, the service worker hands a QR link's code over in the query.
        let linked = params
            .read_untracked()
            .get("code")
            .or_else(|| query.get("code"));
        let number = |key: &str| query.get(key).and_then(|v| v.parse::<i64>().ok());
        match (linked, number("s"), number("w")) {
            (Some(linked), Some(session), Some(window))
                if linked.eq_ignore_ascii_case(typed.trim()) =>
            {
                (Some(session), Some(window))
            }
            _ => (None, None),
        }
    };
    // Without a network the check-in is kept on the phone and sent later, with the QR link's
    // session and window: the proof of when the student was there.
    let offline = use_offline();
    let submit = Action::new_local(
        move |(code, (session, window)): &(String, (Option<i64>, Option<i64>))| {
            let (code, session_id, window) = (code.clone(), *session, *window);
            async move {
                match check_in(code.clone(), session_id, window).await {
                    Ok(receipt) => Ok(Answer::Receipt(receipt)),
                    Err(error) if error.kind == ErrorKind::Network => {
                        let label = check_in_label(&code);
                        let change = OfflineChange::CheckIn {
                            code,
                            session_id,
                            window,
                        };
                        match offline.queue(change, label).await {
                            Ok(waiting) => Ok(Answer::Saved(waiting)),
                            Err(problem) => Err(AppError::new(ErrorKind::Network, problem)),
                        }
                    }
                    Err(error) => Err(error),
                }
            }
        },
    );
    // A QR link opened offline arrives here as `?code=…&offline=1`: read after hydration (the
    // kept page was rendered without it) and kept at once.
    Effect::new(move |_| {
        let query = query.read_untracked();
        if let Some(linked) = query.get("code") {
            set_code.set(linked.clone());
            if query.get("offline").is_some() {
                submit.dispatch((linked.clone(), link(&linked)));
            }
        }
    });
    // A change to this student's attendance (their check-in, or the teacher's mark) arrives on
    // their own channel: refresh the history and say what changed.
    let personal = use_live().status.personal;
    // Read again after a check-in the server answered (one kept on the phone changes nothing
    // there yet, and without a network the read would only fail).
    let still_waiting = move || offline.status.pending() > 0;
    let receipts = RwSignal::new(0u32);
    Effect::new(move |_| {
        submit.version().get();
        if matches!(submit.value().get_untracked(), Some(Ok(Answer::Receipt(_)))) {
            receipts.update(|n| *n += 1);
        }
    });
    let history = Resource::new(
        move || (receipts.get(), personal.with(|e| e.as_ref().map(|e| e.seq))),
        |_| my_attendance(),
    );
    let teacher_update = move || {
        personal.with(|event| match event.as_ref().map(|e| &e.body) {
            Some(EventBody::AttendanceChanged { status, source, .. })
                if *source != crate::domain::MarkSource::SelfCheckIn =>
            {
                Some(format!(
                    "Your teacher marked you {}.",
                    status.label().to_lowercase()
                ))
            }
            Some(EventBody::CheckInReviewed { decision, .. }) => match decision {
                ReviewDecision::Accepted => {
                    Some("Your teacher accepted your check-in.".to_string())
                }
                ReviewDecision::Rejected => Some(
                    "Your teacher did not accept your check-in. Talk to them if this is a mistake."
                        .to_string(),
                ),
                ReviewDecision::Superseded => None,
            },
            _ => None,
        })
    };
    // The QR link's session and window, for the plain form (the hydrated page reads them
    // from the address itself). Always both inputs: a page kept by the service worker was
    // rendered for another address, and the structure must match it when it hydrates.
    let linked_field = move |key: &'static str| {
        let value = query
            .read_untracked()
            .get(key)
            .filter(|v| v.parse::<i64>().is_ok())
            .unwrap_or_default();
        view! { <input type="hidden" name=key value=value/> }
    };
    // What the plain form's answer put in the address (`?done=…` or `?error=…`).
    let form_answer = move || {
        let query = query.read_untracked();
        if let Some(key) = query.get("error") {
            let error = check_in_failure(&key);
            return Some(view! { <ErrorNotice error/> }.into_any());
        }
        check_in_success(&query.get("done")?).map(|text| {
            view! {
                <div class="notice receipt" role="status" data-testid="check-in-receipt">
                    <p class="receipt-headline">{text}</p>
                </div>
            }
            .into_any()
        })
    };
    view! {
        <div class="card narrow">
            <h1>"Check in"</h1>
            // Before the WebAssembly runs this is a plain form (api::plain_forms); once
            // hydrated, the same form calls the `check_in` server function instead.
            <form
                class="stack"
                method="post"
                action=CHECK_IN_FORM_PATH
                on:submit=move |ev| {
                    ev.prevent_default();
                    let typed = code.get_untracked();
                    let linked = link(&typed);
                    submit.dispatch((typed, linked));
                }
            >
                <label>
                    "Join code"
                    <input
                        class="code-input"
                        name="code"
                        autocomplete="off"
                        autocapitalize="characters"
                        spellcheck="false"
                        placeholder="K7QM2X"
                        maxlength="12"
                        required
                        // The attribute puts the QR link's code into the server-rendered HTML;
                        // the property keeps it in step afterwards.
                        value=initial_code
                        prop:value=code
                        on:input=move |ev| set_code.set(event_target_value(&ev))
                    />
                </label>
                {linked_field("s")}
                {linked_field("w")}
                <button class="button primary big" type="submit" disabled=move || submit.pending().get()>
                    {move || if submit.pending().get() { "Checking in…" } else { "Check in" }}
                </button>
            </form>
            {move || submit.value().get().is_none().then(form_answer)}
            {move || {
                submit
                    .value()
                    .get()
                    .map(|result| match result {
                        Ok(Answer::Receipt(receipt)) => view! { <Receipt receipt/> }.into_any(),
                        // Until it is sent; the list below then says what became of it.
                        Ok(Answer::Saved(waiting)) => view! {
                            <Show when=still_waiting>
                                <div class="notice receipt saved" role="status" data-testid="check-in-saved">
                                    <p class="receipt-headline">"No network"</p>
                                    <p>{saved_message(waiting, "phone")}</p>
                                </div>
                            </Show>
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    })
            }}
        </div>
        <OutboxList noun="phone"/>
        <InstallHint/>
        {move || {
            teacher_update()
                .map(|text| {
                    view! {
                        <div class="card narrow notice receipt" role="status" data-testid="teacher-update">
                            {text}
                        </div>
                    }
                })
        }}
        <section class="card narrow">
            <h2>"My recent attendance"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match history.await {
                        Ok(entries) if entries.is_empty() => {
                            view! { <p class="muted">"No sessions yet."</p> }.into_any()
                        }
                        Ok(entries) => {
                            view! {
                                <ul class="history" data-testid="history">
                                    {entries
                                        .into_iter()
                                        .map(|entry| {
                                            view! {
                                                <li>
                                                    <span>
                                                        <strong>{entry.class_name}</strong>
                                                        <span class="muted small">
                                                            {entry.date_label} " " {entry.starts_at_label}
                                                        </span>
                                                    </span>
                                                    <StatusBadge status=entry.status/>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// What a press of "Check in" came to.
#[derive(Clone)]
enum Answer {
    Receipt(CheckInReceipt),
    /// Kept on the phone; this many wait to be sent.
    Saved(usize),
}

/// On an iPhone the browser deletes a site's storage after a week without a visit, saved
/// check-ins included, unless the app is on the Home Screen.
#[component]
fn InstallHint() -> impl IntoView {
    let status = use_offline().status;
    view! {
        <Show when=move || status.suggest_install.get()>
            <p class="card narrow muted small" data-testid="install-hint">
                "Tip: add Rollcall to your Home Screen (Share, then \"Add to Home Screen\") so check-ins saved without a network are kept until they are sent."
            </p>
        </Show>
    }
}

#[component]
fn Receipt(receipt: CheckInReceipt) -> impl IntoView {
    if let Some(held) = receipt.held {
        return view! {
            <div class="notice receipt held" role="status" data-testid="check-in-held">
                <p class="receipt-headline">"Waiting for your teacher"</p>
                <p>{held.message}</p>
                <p class="muted small">{receipt.class_name} " · " {receipt.marked_at_label}</p>
            </div>
        }
        .into_any();
    }
    let headline = match (receipt.already_marked, receipt.status) {
        (true, status) => format!("You were already marked {}.", status.label().to_lowercase()),
        (false, AttendanceStatus::Present) => "You're checked in: present.".to_string(),
        (false, AttendanceStatus::Late) => "You're checked in, but late.".to_string(),
        (false, status) => format!("You're marked {}.", status.label().to_lowercase()),
    };
    view! {
        <div
            class=format!("notice receipt {}", receipt.status.as_str())
            role="status"
            data-testid="check-in-receipt"
            data-status=receipt.status.as_str()
        >
            <p class="receipt-headline">{headline}</p>
            <p>{receipt.class_name} " · " {receipt.marked_at_label}</p>
        </div>
    }
    .into_any()
}
