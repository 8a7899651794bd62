//! Notifications, server side: the notifier that turns the school's events into notifications
//! (one instance at a time, under an advisory lock), the worker that runs the job queue on
//! every instance (batches, pushes, e-mail, absence warning scans), and the senders.

pub mod config;
pub mod email;
pub mod push;
pub mod vapid;
mod worker;

use super::hub::{Hub, Subscriber};
use super::metrics::Metrics;
use super::now_ms;
use super::store::{DeliveryClock, NewJob, Store};
use crate::protocol::Channel;
use email::Mailer;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;
use vapid::Vapid;

/// The advisory lock key of the notifier: "rollcall notify".
const NOTIFIER_KEY: i64 = 0x726f_6c6c_6e6f_7466;
/// Events read per notifier transaction (it holds the writer that long on SQLite).
const PASS_LIMIT: i64 = 100;
/// After a wake-up the notifier waits this long for more events, so a busy minute (a class
/// checking in at once) costs a few passes, each a write transaction, instead of one per event.
const COALESCE: Duration = Duration::from_millis(100);
/// Jobs one worker claims and runs at once (pushes are mostly waiting on the push service).
const CLAIM: u32 = 64;
/// The daily absence scan's job kind; it scans classes held in this many days.
pub const DAILY_SCAN_JOB: &str = "scan_day";
const DAILY_SCAN_DAYS: i64 = 30;

/// What sending needs, made once at start.
pub struct Senders {
    pub vapid: Vapid,
    /// `None` when SMTP is not configured.
    pub mailer: Option<Mailer>,
    pub client: reqwest::Client,
    /// Wakes this instance's worker when a job is due now.
    pub wake: Notify,
}

impl Senders {
    pub async fn new(store: &Store, config: &config::NotifyConfig) -> Result<Senders, String> {
        let vapid = Vapid::load(store, &config.vapid_subject, now_ms()).await?;
        let mailer = match &config.smtp_url {
            Some(url) => Some(Mailer::new(url, &config.smtp_from)?),
            None => None,
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot make the push client: {e}"))?;
        Ok(Senders {
            vapid,
            mailer,
            client,
            wake: Notify::new(),
        })
    }
}

/// Everything the notifier and the worker use.
#[derive(Clone)]
pub struct Deps {
    pub store: Arc<Store>,
    pub hub: Arc<Hub>,
    pub metrics: Arc<Metrics>,
    pub senders: Arc<Senders>,
    pub zone: crate::domain::zone::SchoolZone,
    pub config: config::NotifyConfig,
}

impl Deps {
    pub fn clock(&self) -> DeliveryClock {
        let now = now_ms();
        DeliveryClock {
            now_ms: now,
            offset_minutes: self.zone.offset_minutes_at(now),
            batch_window_ms: self.config.batch_window_ms,
        }
    }
}

/// The notifier: wakes on school events (gathered for `COALESCE`) and every 2 s, and while it
/// holds the leader lock reads the new events into notifications. Hourly it forgets old
/// notifications, and once a day it queues the absence warning scan of recent classes.
pub fn spawn_notifier(deps: Deps) -> JoinHandle<()> {
    tokio::spawn(async move {
        let (tx, mut rx) = mpsc::channel(1);
        let id = deps.hub.next_connection_id();
        deps.hub
            .subscribe(Channel::School, id, Subscriber::wake_up(tx));
        let mut lock = None;
        let mut last_chores_ms = 0;
        loop {
            tokio::select! {
                _ = rx.recv() => {
                    tokio::time::sleep(COALESCE).await;
                    while rx.try_recv().is_ok() {}
                }
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            }
            if !super::scheduler::keep_lead(&deps.store, &mut lock, NOTIFIER_KEY, "notifier").await
            {
                continue;
            }
            loop {
                match deps.store.run_notifier(deps.clock(), PASS_LIMIT).await {
                    Ok(pass) => {
                        deps.metrics
                            .notifications_created
                            .inc_by(pass.delivered.notices as u64);
                        if pass.delivered.pushes_now > 0 || pass.scans > 0 {
                            deps.senders.wake.notify_one();
                        }
                        if !pass.more {
                            break;
                        }
                    }
                    Err(error) => {
                        tracing::warn!(?error, "notifier: pass failed; retrying");
                        break;
                    }
                }
            }
            let now = now_ms();
            if now - last_chores_ms >= 3_600_000 {
                last_chores_ms = now;
                chores(&deps, now).await;
            }
        }
    })
}

async fn chores(deps: &Deps, now: i64) {
    let before = now - i64::from(deps.config.retention_days) * 86_400_000;
    match deps.store.forget_notices(before).await {
        Ok(0) => {}
        Ok(count) => tracing::info!(count, "forgot notifications past the retention period"),
        Err(error) => tracing::warn!(?error, "could not forget old notifications"),
    }
    // Dead letters stay as long as notifications do, for the admin to see.
    if let Err(error) = deps.store.forget_finished_jobs(before).await {
        tracing::warn!(?error, "could not forget finished jobs");
    }
    let day = deps.zone.date_of(now);
    let key = format!("scan:day:{day}");
    let job = NewJob {
        kind: DAILY_SCAN_JOB,
        key: &key,
        payload: "{}",
        run_at_ms: now,
    };
    if let Ok(true) = deps.store.enqueue_job(&job, now).await {
        deps.senders.wake.notify_one();
    }
}

/// The worker: every instance claims due jobs (woken at once when this instance queued one,
/// else every `job_poll_ms`) and runs up to `CLAIM` at a time.
pub fn spawn_worker(deps: Deps) -> JoinHandle<()> {
    tokio::spawn(async move {
        let poll = Duration::from_millis(deps.config.job_poll_ms);
        loop {
            tokio::select! {
                _ = deps.senders.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
            }
            loop {
                let jobs = match deps.store.claim_jobs(CLAIM, now_ms()).await {
                    Ok(jobs) if jobs.is_empty() => break,
                    Ok(jobs) => jobs,
                    Err(error) => {
                        tracing::warn!(?error, "worker: cannot claim jobs");
                        break;
                    }
                };
                futures::future::join_all(jobs.into_iter().map(|job| worker::run(&deps, job)))
                    .await;
            }
        }
    })
}
