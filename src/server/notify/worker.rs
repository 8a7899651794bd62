//! Running one claimed job by its kind, and settling it: done, again later (with backoff, or
//! when the other side said), or given up.

use super::email::MailError;
use super::push::{build_request, send, PushOutcome};
use super::{Deps, DAILY_SCAN_DAYS, DAILY_SCAN_JOB};
use crate::domain::notify::inbox::PushPayload;
use crate::server::now_ms;
use crate::server::store::{
    BatchJob, EmailJob, Job, PushJob, ScanJob, BATCH_JOB, EMAIL_JOB, PUSH_JOB, SCAN_JOB,
};

/// How a job ended.
enum Ran {
    Done,
    Retry {
        error: String,
        retry_after_ms: Option<i64>,
    },
    GiveUp(String),
}

pub(super) async fn run(deps: &Deps, job: Job) {
    let ran = match job.kind.as_str() {
        BATCH_JOB => batch(deps, &job).await,
        PUSH_JOB => push(deps, &job).await,
        EMAIL_JOB => email(deps, &job).await,
        SCAN_JOB => scan(deps, &job).await,
        DAILY_SCAN_JOB => daily_scan(deps).await,
        other => Ran::GiveUp(format!("no worker runs jobs of kind {other:?}")),
    };
    let now = now_ms();
    let settled = match ran {
        Ran::Done => deps.store.finish_job(&job, now).await.map(|_| ()),
        Ran::Retry {
            error,
            retry_after_ms,
        } => {
            tracing::info!(kind = job.kind, key = job.key, %error, "job failed; will retry");
            deps.store
                .fail_job(&job, &error, retry_after_ms, now)
                .await
                .map(|_| ())
        }
        Ran::GiveUp(error) => {
            tracing::warn!(kind = job.kind, key = job.key, %error, "job given up");
            deps.store.give_up_job(&job, &error, now).await.map(|_| ())
        }
    };
    if let Err(error) = settled {
        // Its lease runs out and it runs again; every effect is keyed, so nothing doubles.
        tracing::warn!(?error, key = job.key, "could not settle a job");
    }
}

fn payload<T: serde::de::DeserializeOwned>(job: &Job) -> Result<T, Ran> {
    serde_json::from_str(&job.payload)
        .map_err(|e| Ran::GiveUp(format!("the job's payload does not read: {e}")))
}

fn retry(error: impl std::fmt::Display) -> Ran {
    Ran::Retry {
        error: error.to_string(),
        retry_after_ms: None,
    }
}

async fn batch(deps: &Deps, job: &Job) -> Ran {
    let batch: BatchJob = match payload(job) {
        Ok(batch) => batch,
        Err(ran) => return ran,
    };
    match deps.store.close_batch(batch.batch_id, deps.clock()).await {
        Ok(delivered) => {
            deps.metrics
                .notifications_created
                .inc_by(delivered.notices as u64);
            if delivered.pushes_now > 0 {
                deps.senders.wake.notify_one();
            }
            Ran::Done
        }
        Err(error) => retry(error.message),
    }
}

async fn push(deps: &Deps, job: &Job) -> Ran {
    let push: PushJob = match payload(job) {
        Ok(push) => push,
        Err(ran) => return ran,
    };
    let store = &deps.store;
    let (subscription, notice) = match (
        store.push_subscription(push.subscription_id).await,
        store.notice(push.notification_id).await,
    ) {
        (Ok(Some(subscription)), Ok(Some(notice))) => (subscription, notice),
        // The device was removed or the notification forgotten: nothing to send.
        (Ok(_), Ok(_)) => return Ran::Done,
        (Err(error), _) | (_, Err(error)) => return retry(error.message),
    };
    let (user, subject, notice) = notice;
    if subscription.user_id != user {
        // The browser now belongs to someone else's sign-in: not theirs to see.
        return Ran::Done;
    }
    // Held by quiet hours while a newer one about the same thing came: that one says it.
    if let Ok(true) = store.notice_superseded(notice.id).await {
        return Ran::Done;
    }
    let topic = notice.kind.topic(subject);
    let payload = PushPayload::of(&notice, topic.clone());
    let request = match build_request(
        &deps.senders.vapid,
        &subscription,
        &payload,
        notice.kind,
        &topic,
    ) {
        Ok(request) => request,
        Err(error) => return Ran::GiveUp(error),
    };
    match send(&deps.senders.client, request).await {
        PushOutcome::Sent => {
            deps.metrics.pushes_sent.inc();
            Ran::Done
        }
        PushOutcome::Gone => {
            deps.metrics.pushes_gone.inc();
            match store.drop_push_subscription(subscription.id).await {
                Ok(()) => Ran::Done,
                Err(error) => retry(error.message),
            }
        }
        PushOutcome::Retry {
            error,
            retry_after_ms,
        } => Ran::Retry {
            error,
            retry_after_ms,
        },
        PushOutcome::Refused(error) => Ran::GiveUp(error),
    }
}

async fn email(deps: &Deps, job: &Job) -> Ran {
    let email: EmailJob = match payload(job) {
        Ok(email) => email,
        Err(ran) => return ran,
    };
    let Some(mailer) = &deps.senders.mailer else {
        return retry("SMTP is not configured (ROLLCALL_SMTP_URL)");
    };
    match mailer.send(&email).await {
        Ok(()) => {
            deps.metrics.emails_sent.inc();
            Ran::Done
        }
        Err(MailError::Transient(error)) => retry(error),
        Err(MailError::Permanent(error)) => Ran::GiveUp(error),
    }
}

async fn scan(deps: &Deps, job: &Job) -> Ran {
    let scan: ScanJob = match payload(job) {
        Ok(scan) => scan,
        Err(ran) => return ran,
    };
    scan_classes(deps, &[scan.class_id]).await
}

async fn daily_scan(deps: &Deps) -> Ran {
    let since = now_ms() - DAILY_SCAN_DAYS * 86_400_000;
    match deps.store.classes_held_since(since).await {
        Ok(classes) => scan_classes(deps, &classes).await,
        Err(error) => retry(error.message),
    }
}

async fn scan_classes(deps: &Deps, classes: &[i64]) -> Ran {
    let email = deps.senders.mailer.is_some();
    for &class_id in classes {
        let scanned = deps
            .store
            .scan_class_for_warnings(class_id, &deps.zone, now_ms(), email)
            .await;
        match scanned {
            Ok(outcome) => {
                deps.metrics
                    .notifications_created
                    .inc_by(outcome.delivered.notices as u64);
                if outcome.delivered.pushes_now > 0 || outcome.emails > 0 {
                    deps.senders.wake.notify_one();
                }
            }
            // Scanning again is harmless: every warning is keyed by its crossing.
            Err(error) => return retry(error.message),
        }
    }
    Ran::Done
}
