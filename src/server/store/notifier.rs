//! The notifier's pass over the school's log: every event after its cursor, in commit order,
//! becomes the notifications it gives (`domain::notify::plan`), and the cursor moves past it
//! in the same transaction. So a crash loses nothing and a second pass over the same events
//! adds nothing (every notification has a unique key as well). A closed session queues the
//! absence warning scan of its class.

use super::delivery::{handle_intent_in, Delivered, DeliveryClock};
use super::events::{events_after_in, position_in};
use super::jobs::{enqueue_job_in, NewJob};
use super::sessions::session_in;
use super::{Backend, Store};
use crate::domain::notify::plan::{intents, SessionFacts};
use crate::error::AppResult;
use crate::protocol::{Channel, EventBody};
use serde::{Deserialize, Serialize};
use std::collections::hash_map::Entry;
use std::collections::HashMap;

/// The job kind of an absence warning scan.
pub const SCAN_JOB: &str = "scan";

/// Scan one class's students against the school's warning rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanJob {
    pub class_id: i64,
}

/// What one pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotifierPass {
    pub events: usize,
    pub delivered: Delivered,
    pub scans: usize,
    /// More events wait after this pass's limit.
    pub more: bool,
}

const CURSOR: &str = "school";

impl Store {
    /// Starts the notifier's cursor at the end of the school's log unless it has one: called
    /// at start, before any request, so everything from then on is notified and nothing from
    /// before notifications existed.
    pub async fn start_notifier_cursor(&self) -> AppResult<()> {
        let position = self.channel_position(Channel::School).await?;
        let _writer = self.writer().await;
        sqlx::query(
            "INSERT INTO notifier_cursor (name, epoch, seq) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(CURSOR)
        .bind(&position.epoch)
        .bind(position.seq)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Turns up to `limit` new school events into notifications.
    pub async fn run_notifier(&self, clock: DeliveryClock, limit: i64) -> AppResult<NotifierPass> {
        let now_ms = clock.now_ms;
        self.ensure_channel(Channel::School).await?;
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let position = position_in(&mut tx, Channel::School).await?;
        sqlx::query(
            "INSERT INTO notifier_cursor (name, epoch, seq) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(CURSOR)
        .bind(&position.epoch)
        .bind(position.seq)
        .execute(&mut *tx)
        .await?;
        // Row-locked on PostgreSQL: a second notifier (a leader handing over) waits its turn.
        let lock = if self.backend == Backend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        let (epoch, mut seq): (String, i64) = sqlx::query_as(&format!(
            "SELECT epoch, seq FROM notifier_cursor WHERE name = $1{lock}"
        ))
        .bind(CURSOR)
        .fetch_one(&mut *tx)
        .await?;
        if epoch != position.epoch {
            // The school's log was started again: all of the new one is news.
            seq = 0;
        }
        let events = events_after_in(&mut tx, Channel::School, seq, limit + 1).await?;
        let mut pass = NotifierPass {
            more: events.len() as i64 > limit,
            ..NotifierPass::default()
        };
        let mut log = Vec::new();
        let mut sessions: HashMap<i64, Option<SessionFacts>> = HashMap::new();
        for event in events.iter().take(limit as usize) {
            seq = event.seq;
            pass.events += 1;
            if let EventBody::SessionClosed { session_id, .. } = &event.body {
                let class_id: Option<i64> =
                    sqlx::query_scalar("SELECT class_id FROM class_sessions WHERE id = $1")
                        .bind(session_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some(class_id) = class_id {
                    let payload = serde_json::to_string(&ScanJob { class_id }).unwrap_or_default();
                    let key = format!("scan:session:{session_id}");
                    let job = NewJob {
                        kind: SCAN_JOB,
                        key: &key,
                        payload: &payload,
                        run_at_ms: now_ms,
                    };
                    pass.scans += usize::from(enqueue_job_in(&mut tx, &job, now_ms).await?);
                }
                continue;
            }
            let Some(session_id) = event.body.session_id() else {
                continue;
            };
            if let Entry::Vacant(slot) = sessions.entry(session_id) {
                let facts = session_in(&mut tx, session_id)
                    .await?
                    .map(|session| SessionFacts {
                        class_name: session.class_name,
                        teacher_ids: session.teacher_ids,
                    });
                slot.insert(facts);
            }
            let Some(Some(facts)) = sessions.get(&session_id) else {
                continue;
            };
            for intent in intents(event, facts) {
                let delivered = handle_intent_in(
                    &mut tx,
                    &mut log,
                    &intent,
                    &facts.class_name,
                    event.at_ms,
                    clock,
                )
                .await?;
                pass.delivered.add(delivered);
            }
        }
        sqlx::query("UPDATE notifier_cursor SET epoch = $1, seq = $2 WHERE name = $3")
            .bind(&position.epoch)
            .bind(seq)
            .bind(CURSOR)
            .execute(&mut *tx)
            .await?;
        self.commit(tx, log).await?;
        Ok(pass)
    }
}
