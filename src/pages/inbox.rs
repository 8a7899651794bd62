//! `/notifications`: the person's inbox, newest first. New notifications appear at the top as
//! they come (or when the connection catches up after being away); reading one here or on
//! another device shows at once; older ones load on request.

use crate::api::notifications::{inbox, mark_notifications_read, InboxLine, InboxView};
use crate::components::error_notice::ErrorNotice;
use crate::components::inbox_bell::use_inbox;
use crate::domain::notify::InboxRead;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn InboxPage() -> impl IntoView {
    let inbox_state = use_inbox();
    // Reloaded when the live channel could not catch up.
    let first = Resource::new(move || inbox_state.reloads.get(), |_| inbox(None));
    view! {
        <div class="page-head inbox-page-head">
            <h1>"Notifications"</h1>
            <A href="/account/notifications" attr:class="button ghost small">
                "Settings"
            </A>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match first.await {
                    Ok(view) => view! { <InboxList first=view/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn InboxList(first: InboxView) -> impl IntoView {
    let inbox_state = use_inbox();
    let lines = RwSignal::new(first.notices);
    let more = RwSignal::new(first.more);
    // Live: a new notification goes on top (once), a read anywhere shows here.
    Effect::new(move |_| {
        if let Some(notice) = inbox_state.latest.get() {
            lines.update(|lines| {
                if !lines.iter().any(|line| line.notice.id == notice.id) {
                    lines.insert(
                        0,
                        InboxLine {
                            notice,
                            when: "Just now".into(),
                        },
                    );
                }
            });
        }
    });
    Effect::new(move |_| {
        if let Some(read) = inbox_state.read.get() {
            lines.update(|lines| mark(lines, read));
        }
    });
    let read = Action::new(move |read: &InboxRead| {
        let read = *read;
        async move {
            let (id, through) = match read {
                InboxRead::One { id } => (Some(id), None),
                InboxRead::AllThrough { id } => (None, Some(id)),
            };
            let answer = mark_notifications_read(id, through).await;
            if let Ok(unread) = answer {
                lines.update(|lines| mark(lines, read));
                inbox_state.unread.set(Some(unread));
            }
            answer.map(drop)
        }
    });
    let older = Action::new(move |before: &i64| {
        let before = *before;
        async move {
            let answer = inbox(Some(before)).await;
            if let Ok(page) = &answer {
                more.set(page.more);
                lines.update(|lines| lines.extend(page.notices.clone()));
            }
            answer.map(drop)
        }
    });
    let unread = move || lines.with(|lines| lines.iter().filter(|l| !l.notice.read).count());
    let newest = move || lines.with(|lines| lines.first().map(|l| l.notice.id));
    let error = move || {
        read.value()
            .get()
            .and_then(Result::err)
            .or_else(|| older.value().get().and_then(Result::err))
            .map(|error| view! { <ErrorNotice error/> })
    };
    view! {
        <section class="card inbox" data-testid="inbox">
            <div class="inbox-head">
                <p class="muted" data-testid="inbox-summary">
                    {move || match (lines.with(Vec::len), unread()) {
                        (0, _) => "Nothing yet. What needs you will show up here.".to_string(),
                        (_, 0) => "All read.".to_string(),
                        (_, 1) => "1 unread.".to_string(),
                        (_, n) => format!("{n} unread."),
                    }}
                </p>
                <Show when=move || lines.with(|lines| !lines.is_empty())>
                    <button
                        class="button ghost small"
                        data-testid="mark-all-read"
                        disabled=move || unread() == 0 || read.pending().get()
                        on:click=move |_| {
                            if let Some(id) = newest() {
                                read.dispatch(InboxRead::AllThrough { id });
                            }
                        }
                    >
                        "Mark all read"
                    </button>
                </Show>
            </div>
            {error}
            <ul class="inbox-items">
                <For each=move || lines.get() key=|line| (line.notice.id, line.notice.read) let:line>
                    <NoticeItem line read/>
                </For>
            </ul>
            <Show when=move || more.get()>
                <button
                    class="button ghost"
                    data-testid="older-notifications"
                    disabled=move || older.pending().get()
                    on:click=move |_| {
                        if let Some(last) = lines.with(|lines| lines.last().map(|l| l.notice.id)) {
                            older.dispatch(last);
                        }
                    }
                >
                    "Show older"
                </button>
            </Show>
        </section>
    }
}

#[component]
fn NoticeItem(
    line: InboxLine,
    read: Action<InboxRead, Result<(), crate::error::AppError>>,
) -> impl IntoView {
    let notice = line.notice;
    let id = notice.id;
    let unread = !notice.read;
    let class = if unread {
        "inbox-item unread"
    } else {
        "inbox-item"
    };
    let url = notice.url.clone();
    view! {
        <li class=class data-testid="notice" data-kind=notice.kind.as_str() data-read=notice.read.to_string()>
            <span class="inbox-dot" aria-hidden="true"></span>
            <div class="inbox-text">
                <a
                    class="inbox-title"
                    href=url
                    on:click=move |_| {
                        if unread {
                            read.dispatch(InboxRead::One { id });
                        }
                    }
                >
                    {notice.title}
                </a>
                {(!notice.body.is_empty()).then(|| view! { <p class="inbox-body">{notice.body.clone()}</p> })}
                <span class="muted small">{line.when} " · " {notice.kind.label()}</span>
            </div>
            {unread
                .then(|| {
                    view! {
                        <button
                            class="button ghost small"
                            data-testid="mark-read"
                            on:click=move |_| {
                                read.dispatch(InboxRead::One { id });
                            }
                        >
                            "Mark read"
                        </button>
                    }
                })}
        </li>
    }
}

fn mark(lines: &mut [InboxLine], read: InboxRead) {
    for line in lines.iter_mut().filter(|line| read.covers(line.notice.id)) {
        line.notice.read = true;
    }
}
