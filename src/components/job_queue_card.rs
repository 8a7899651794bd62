//! The admin's view of the background job queue: how many wait, run, retry and were given up,
//! and the latest dead letters with their last error.

use crate::api::admin::job_queue;
use crate::components::error_notice::ErrorNotice;
use leptos::prelude::*;

#[component]
pub fn JobQueueCard() -> impl IntoView {
    // Loaded by the browser: this card sits inside the page's own streamed resource (a second,
    // nested resource can stall the server's stream).
    let queue = crate::web::load_in_browser(|| (), |_| job_queue());
    view! {
        <section class="card" data-testid="job-queue">
            <h2>"Background jobs"</h2>
            {move || match queue.get() {
                        None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                        Some(Ok(queue)) => {
                            let figures = [
                                ("Waiting", queue.queued),
                                ("Running", queue.running),
                                ("Retrying", queue.retrying),
                                ("Given up", queue.dead),
                            ];
                            view! {
                                <dl class="job-figures">
                                    {figures
                                        .into_iter()
                                        .map(|(label, n)| view! { <div><dt>{label}</dt><dd>{n}</dd></div> })
                                        .collect_view()}
                                </dl>
                                {if queue.dead_letters.is_empty() {
                                    view! { <p class="muted small">"No job has been given up."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="dead-letters" data-testid="dead-letters">
                                            {queue
                                                .dead_letters
                                                .into_iter()
                                                .map(|dead| view! {
                                                    <li>
                                                        <strong>{dead.kind}</strong>
                                                        " " <code>{dead.key}</code>
                                                        <span class="muted small">
                                                            {format!(" · {} attempts · {}", dead.attempts, dead.when_label)}
                                                        </span>
                                                        <span class="link-error small">{dead.last_error}</span>
                                                    </li>
                                                })
                                                .collect_view()}
                                        </ul>
                                    }
                                        .into_any()
                                }}
                            }
                                .into_any()
                        }
                        Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                    }}
        </section>
    }
}
