//! The outbox in IndexedDB (browser only): one database per site, shared by its tabs.
//!
//! - `pending`: changes not yet answered, keyed `[user id, seq]`;
//! - `answered`: the last answers, same keys, for the page to show;
//! - `meta`: this device's id, and per user the next sequence number.
//!
//! A sequence number is drawn and its change stored in one transaction, and an answer replaces
//! its change in one transaction, so tabs never draw the same number and a change leaves the
//! outbox only with its answer. Values are JSON text (the domain types' own serde).

use super::queue::{renumbered, AnsweredChange, QueuedChange, KEEP_ANSWERED};
use crate::domain::outbox::{EntryAnswer, OfflineChange, OutboxEntry};
use crate::domain::UserId;
use idb::{Database, DatabaseEvent, Factory, KeyRange, ObjectStoreParams, Query, TransactionMode};
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

const NAME: &str = "rollcall-offline";
const VERSION: u32 = 1;
const PENDING: &str = "pending";
const ANSWERED: &str = "answered";
const META: &str = "meta";

pub struct OutboxStore {
    db: Database,
}

fn failed(error: impl std::fmt::Display) -> String {
    format!("This device's storage failed: {error}")
}

fn key(user: UserId, seq: u64) -> JsValue {
    js_sys::Array::of2(
        &JsValue::from_f64(user as f64),
        &JsValue::from_f64(seq as f64),
    )
    .into()
}

/// Every key of one user.
fn of_user(user: UserId) -> Result<Query, String> {
    let low = key(user, 0);
    let high = key(user, u64::MAX);
    KeyRange::bound(&low, &high, None, None)
        .map(Query::from)
        .map_err(failed)
}

fn next_seq_key(user: UserId) -> JsValue {
    js_sys::Array::of2(
        &JsValue::from_str("next_seq"),
        &JsValue::from_f64(user as f64),
    )
    .into()
}

fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, String> {
    serde_json::to_string(value)
        .map(|text| JsValue::from_str(&text))
        .map_err(failed)
}

fn from_js<T: DeserializeOwned>(value: &JsValue) -> Option<T> {
    serde_json::from_str(&value.as_string()?).ok()
}

impl OutboxStore {
    pub async fn open() -> Result<OutboxStore, String> {
        let factory = Factory::new().map_err(failed)?;
        let mut request = factory.open(NAME, Some(VERSION)).map_err(failed)?;
        request.on_upgrade_needed(|event| {
            let Ok(db) = event.database() else { return };
            for store in [PENDING, ANSWERED, META] {
                if !db.store_names().iter().any(|name| name == store) {
                    let _ = db.create_object_store(store, ObjectStoreParams::new());
                }
            }
        });
        let db = request.await.map_err(failed)?;
        Ok(OutboxStore { db })
    }

    /// This device's id: drawn once, kept with the outbox (cleared together, so a device's
    /// numbering always starts where the server expects).
    pub async fn device_id(&self) -> Result<String, String> {
        let tx = self
            .db
            .transaction(&[META], TransactionMode::ReadWrite)
            .map_err(failed)?;
        let meta = tx.object_store(META).map_err(failed)?;
        let existing = meta
            .get(JsValue::from_str("device_id"))
            .map_err(failed)?
            .await
            .map_err(failed)?;
        let id = match existing.and_then(|v| v.as_string()) {
            Some(id) => id,
            None => {
                let id = format!("dev-{}", random_hex(16));
                meta.put(
                    &JsValue::from_str(&id),
                    Some(&JsValue::from_str("device_id")),
                )
                .map_err(failed)?
                .await
                .map_err(failed)?;
                id
            }
        };
        tx.commit().map_err(failed)?.await.map_err(failed)?;
        Ok(id)
    }

    /// Keeps a change under the user's next sequence number.
    pub async fn queue(
        &self,
        user: UserId,
        change: OfflineChange,
        label: String,
        now_ms: i64,
    ) -> Result<QueuedChange, String> {
        let tx = self
            .db
            .transaction(&[PENDING, META], TransactionMode::ReadWrite)
            .map_err(failed)?;
        let meta = tx.object_store(META).map_err(failed)?;
        let pending = tx.object_store(PENDING).map_err(failed)?;
        let next = meta
            .get(next_seq_key(user))
            .map_err(failed)?
            .await
            .map_err(failed)?
            .and_then(|v| v.as_f64())
            .map(|n| n as u64)
            .unwrap_or(1);
        let queued = QueuedChange {
            user_id: user,
            entry: OutboxEntry {
                seq: next,
                mutation_id: random_hex(16),
                captured_at_ms: now_ms,
                change,
            },
            label,
        };
        pending
            .put(&to_js(&queued)?, Some(&key(user, next)))
            .map_err(failed)?
            .await
            .map_err(failed)?;
        meta.put(
            &JsValue::from_f64((next + 1) as f64),
            Some(&next_seq_key(user)),
        )
        .map_err(failed)?
        .await
        .map_err(failed)?;
        tx.commit().map_err(failed)?.await.map_err(failed)?;
        Ok(queued)
    }

    pub async fn pending(&self, user: UserId, limit: u32) -> Result<Vec<QueuedChange>, String> {
        self.read_all(PENDING, user, Some(limit)).await
    }

    pub async fn answered(&self, user: UserId) -> Result<Vec<AnsweredChange>, String> {
        self.read_all(ANSWERED, user, None).await
    }

    async fn read_all<T: DeserializeOwned>(
        &self,
        store: &str,
        user: UserId,
        limit: Option<u32>,
    ) -> Result<Vec<T>, String> {
        let tx = self
            .db
            .transaction(&[store], TransactionMode::ReadOnly)
            .map_err(failed)?;
        let values = tx
            .object_store(store)
            .map_err(failed)?
            .get_all(Some(of_user(user)?), limit)
            .map_err(failed)?
            .await
            .map_err(failed)?;
        Ok(values.iter().filter_map(from_js).collect())
    }

    /// Replaces answered changes by their answers, in one transaction; keeps the newest
    /// answers only.
    pub async fn settle(
        &self,
        user: UserId,
        answers: Vec<(QueuedChange, EntryAnswer)>,
        now_ms: i64,
    ) -> Result<(), String> {
        let tx = self
            .db
            .transaction(&[PENDING, ANSWERED], TransactionMode::ReadWrite)
            .map_err(failed)?;
        let pending = tx.object_store(PENDING).map_err(failed)?;
        let answered = tx.object_store(ANSWERED).map_err(failed)?;
        for (queued, answer) in answers {
            let seq = queued.entry.seq;
            pending
                .delete(Query::from(key(user, seq)))
                .map_err(failed)?
                .await
                .map_err(failed)?;
            let record = AnsweredChange {
                queued,
                answer,
                answered_at_ms: now_ms,
            };
            answered
                .put(&to_js(&record)?, Some(&key(user, seq)))
                .map_err(failed)?
                .await
                .map_err(failed)?;
        }
        let keys = answered
            .get_all_keys(Some(of_user(user)?), None)
            .map_err(failed)?
            .await
            .map_err(failed)?;
        let surplus = keys.len().saturating_sub(KEEP_ANSWERED);
        for old in keys.into_iter().take(surplus) {
            answered
                .delete(Query::from(old))
                .map_err(failed)?
                .await
                .map_err(failed)?;
        }
        tx.commit().map_err(failed)?.await.map_err(failed)?;
        Ok(())
    }

    /// Forgets an answer the person has dealt with (a resolved conflict).
    pub async fn dismiss(&self, user: UserId, seq: u64) -> Result<(), String> {
        let tx = self
            .db
            .transaction(&[ANSWERED], TransactionMode::ReadWrite)
            .map_err(failed)?;
        tx.object_store(ANSWERED)
            .map_err(failed)?
            .delete(Query::from(key(user, seq)))
            .map_err(failed)?
            .await
            .map_err(failed)?;
        tx.commit().map_err(failed)?.await.map_err(failed)?;
        Ok(())
    }

    /// After a gap answer: the pending changes numbered from `expected`, and the counter after
    /// them.
    pub async fn renumber(&self, user: UserId, expected: u64) -> Result<(), String> {
        let current = self.pending(user, u32::MAX).await?;
        let renumbered = renumbered(&current, expected);
        let tx = self
            .db
            .transaction(&[PENDING, META], TransactionMode::ReadWrite)
            .map_err(failed)?;
        let pending = tx.object_store(PENDING).map_err(failed)?;
        for old in &current {
            pending
                .delete(Query::from(key(user, old.entry.seq)))
                .map_err(failed)?
                .await
                .map_err(failed)?;
        }
        for queued in &renumbered {
            pending
                .put(&to_js(queued)?, Some(&key(user, queued.entry.seq)))
                .map_err(failed)?
                .await
                .map_err(failed)?;
        }
        let next = expected + renumbered.len() as u64;
        tx.object_store(META)
            .map_err(failed)?
            .put(&JsValue::from_f64(next as f64), Some(&next_seq_key(user)))
            .map_err(failed)?
            .await
            .map_err(failed)?;
        tx.commit().map_err(failed)?.await.map_err(failed)?;
        Ok(())
    }
}

/// `bytes` random bytes from the browser's cryptographic generator, as hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    if let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = crypto.get_random_values_with_u8_array(&mut buffer);
    }
    buffer.iter().map(|b| format!("{b:02x}")).collect()
}
