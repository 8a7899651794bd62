//! Getting a notification to its person, inside the transaction that decided it: into the
//! inbox (and their live channel), and a push job per device, held until their quiet hours
//! end. Bursts of a batched kind gather in a batch that a job closes into one notification.

use super::jobs::{enqueue_job_in, NewJob};
use super::notifications::{insert_notice_in, NewNotice};
use super::notify_prefs::{quiet_hours_in, role_in, ways_in};
use super::Store;
use crate::domain::notify::batching::{summary, Batch};
use crate::domain::notify::plan::Intent;
use crate::domain::notify::NotificationKind;
use crate::error::AppResult;
use crate::protocol::Event;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// Job kinds the notification worker runs.
pub const PUSH_JOB: &str = "push";
pub const BATCH_JOB: &str = "batch";

/// A push job: send this notification to this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushJob {
    pub notification_id: i64,
    pub subscription_id: i64,
}

/// A batch job: close this batch into one notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchJob {
    pub batch_id: i64,
}

/// The time as delivery sees it: now, the school's offset from UTC now (for quiet hours) and,
/// when the server is told so, one batch window for every batched kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryClock {
    pub now_ms: i64,
    pub offset_minutes: i32,
    pub batch_window_ms: Option<i64>,
}

impl DeliveryClock {
    fn window_ms(&self, kind: NotificationKind) -> i64 {
        match (kind.batch_window_ms(), self.batch_window_ms) {
            (0, _) => 0,
            (_, Some(window)) => window,
            (window, None) => window,
        }
    }
}

/// What a delivery added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Delivered {
    pub notices: usize,
    /// Push jobs due at once (the worker is woken for them).
    pub pushes_now: usize,
    pub pushes_held: usize,
}

impl Delivered {
    pub fn add(&mut self, other: Delivered) {
        self.notices += other.notices;
        self.pushes_now += other.pushes_now;
        self.pushes_held += other.pushes_held;
    }
}

/// Stores the notice (once per key) and queues a push to each of the person's devices when
/// they want it pushed. `offset_minutes`: the school's offset from UTC now (quiet hours).
pub(super) async fn deliver_in(
    conn: &mut AnyConnection,
    log: &mut Vec<Event>,
    new: &NewNotice,
    push: bool,
    clock: DeliveryClock,
) -> sqlx::Result<Delivered> {
    let DeliveryClock {
        now_ms,
        offset_minutes,
        ..
    } = clock;
    let mut delivered = Delivered::default();
    let Some(notice) = insert_notice_in(conn, log, new, now_ms).await? else {
        return Ok(delivered);
    };
    delivered.notices = 1;
    if !push {
        return Ok(delivered);
    }
    let send_at = match quiet_hours_in(conn, new.user_id).await? {
        Some(quiet) => quiet.send_at_ms(now_ms, offset_minutes),
        None => now_ms,
    };
    let devices: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM push_subscriptions WHERE user_id = $1 ORDER BY id")
            .bind(new.user_id)
            .fetch_all(&mut *conn)
            .await?;
    for device in devices {
        let job = PushJob {
            notification_id: notice.id,
            subscription_id: device,
        };
        let payload = serde_json::to_string(&job).unwrap_or_default();
        let key = format!("push:{}:{device}", notice.id);
        let added = enqueue_job_in(
            conn,
            &NewJob {
                kind: PUSH_JOB,
                key: &key,
                payload: &payload,
                run_at_ms: send_at,
            },
            now_ms,
        )
        .await?;
        match (added, send_at <= now_ms) {
            (false, _) => {}
            (true, true) => delivered.pushes_now += 1,
            (true, false) => delivered.pushes_held += 1,
        }
    }
    Ok(delivered)
}

/// Takes one intent through the person's choices: nothing, a batch item, or a notification.
pub(super) async fn handle_intent_in(
    conn: &mut AnyConnection,
    log: &mut Vec<Event>,
    intent: &Intent,
    class_name: &str,
    at_ms: i64,
    clock: DeliveryClock,
) -> sqlx::Result<Delivered> {
    let Some(role) = role_in(conn, intent.user_id).await? else {
        return Ok(Delivered::default());
    };
    let ways = ways_in(conn, intent.user_id, role, intent.kind).await?;
    if !ways.in_app && !ways.push {
        return Ok(Delivered::default());
    }
    let window = clock.window_ms(intent.kind);
    if window > 0 {
        add_to_batch_in(conn, intent, class_name, at_ms, window, clock.now_ms).await?;
        return Ok(Delivered::default());
    }
    let new = NewNotice {
        user_id: intent.user_id,
        kind: intent.kind,
        subject: intent.subject,
        title: intent.title.clone(),
        body: intent.body.clone(),
        url: intent.url.clone(),
        in_inbox: ways.in_app,
        key: intent.key.clone(),
    };
    deliver_in(conn, log, &new, ways.push, clock).await
}

/// Adds the intent's name to the person's open batch for its kind and subject, opening one
/// (and the job that closes it when its window ends) when there is none.
async fn add_to_batch_in(
    conn: &mut AnyConnection,
    intent: &Intent,
    class_name: &str,
    at_ms: i64,
    window_ms: i64,
    now_ms: i64,
) -> sqlx::Result<()> {
    let open: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM notification_batches WHERE user_id = $1 AND kind = $2 AND subject = $3 \
         AND closed = 0 AND due_at_ms > $4 ORDER BY id DESC LIMIT 1",
    )
    .bind(intent.user_id)
    .bind(intent.kind.as_str())
    .bind(intent.subject)
    .bind(at_ms)
    .fetch_optional(&mut *conn)
    .await?;
    let batch_id = match open {
        Some(id) => id,
        None => {
            let due_at = at_ms.max(now_ms - window_ms) + window_ms;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO notification_batches (user_id, kind, subject, class_name, url, \
                 due_at_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(intent.user_id)
            .bind(intent.kind.as_str())
            .bind(intent.subject)
            .bind(class_name)
            .bind(&intent.url)
            .bind(due_at)
            .fetch_one(&mut *conn)
            .await?;
            let payload = serde_json::to_string(&BatchJob { batch_id: id }).unwrap_or_default();
            enqueue_job_in(
                conn,
                &NewJob {
                    kind: BATCH_JOB,
                    key: &format!("batch:{id}"),
                    payload: &payload,
                    run_at_ms: due_at,
                },
                now_ms,
            )
            .await?;
            id
        }
    };
    sqlx::query("INSERT INTO notification_batch_items (batch_id, name, at_ms) VALUES ($1, $2, $3)")
        .bind(batch_id)
        .bind(&intent.name)
        .bind(at_ms)
        .execute(conn)
        .await?;
    Ok(())
}

impl Store {
    /// Closes a batch into one notification ("12 students checked in to Biology 9A", the names
    /// in its details). Closing it again does nothing.
    pub async fn close_batch(&self, batch_id: i64, clock: DeliveryClock) -> AppResult<Delivered> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let row: Option<(i64, String, i64, String, String, i64)> = sqlx::query_as(
            "SELECT user_id, kind, subject, class_name, url, due_at_ms FROM notification_batches \
             WHERE id = $1 AND closed = 0",
        )
        .bind(batch_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((user_id, kind, subject, class_name, url, due_at_ms)) = row else {
            return Ok(Delivered::default());
        };
        let Some(kind) = NotificationKind::parse(&kind) else {
            return Ok(Delivered::default());
        };
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM notification_batch_items WHERE batch_id = $1 ORDER BY at_ms",
        )
        .bind(batch_id)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query("UPDATE notification_batches SET closed = 1 WHERE id = $1")
            .bind(batch_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM notification_batch_items WHERE batch_id = $1")
            .bind(batch_id)
            .execute(&mut *tx)
            .await?;
        let mut log = Vec::new();
        let mut delivered = Delivered::default();
        let role = role_in(&mut tx, user_id).await?;
        if let (Some(role), false) = (role, names.is_empty()) {
            let ways = ways_in(&mut tx, user_id, role, kind).await?;
            let batch = Batch {
                user_id,
                kind,
                subject,
                names,
                due_at_ms,
            };
            let new = NewNotice {
                user_id,
                kind,
                subject,
                title: summary(&batch, &class_name),
                body: details(&batch.names),
                url,
                in_inbox: ways.in_app,
                key: format!("batch:{batch_id}"),
            };
            if ways.in_app || ways.push {
                delivered = deliver_in(&mut tx, &mut log, &new, ways.push, clock).await?;
            }
        }
        self.commit(tx, log).await?;
        Ok(delivered)
    }
}

/// The names in a batch's details: all of them (the inbox shows the whole line).
fn details(names: &[String]) -> String {
    match names {
        [_] => String::new(),
        names => names.join(", "),
    }
}
