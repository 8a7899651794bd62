//! The job that makes timetables run by themselves: every few seconds it opens scheduled
//! sessions whose check-in window has begun and closes sessions whose end has passed (see
//! `Store::run_due_transitions`). It starts with the server, so whatever came due while the
//! server was down happens on its first pass.
//!
//! With several instances on one PostgreSQL, only the holder of an advisory lock runs it; the
//! lock lives on a connection of its own and passes to another instance when that connection
//! dies. The transitions are idempotent as well, so even two passes at once change nothing
//! twice.

use super::store::{LeaderLock, Store};
use super::{crypto, now_ms};
use crate::domain::time::MINUTE_MS;
use crate::domain::JoinCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// The advisory lock key: "rollcall scheduler".
const LEADER_KEY: i64 = 0x726f_6c6c_7363_6864;

pub fn spawn(store: Arc<Store>, interval_ms: u64, opens_minutes: u32) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_millis(interval_ms));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut lock: Option<LeaderLock> = None;
        loop {
            every.tick().await;
            if !keep_lead(&store, &mut lock, LEADER_KEY, "scheduler").await {
                continue;
            }
            let pass = store
                .run_due_transitions(now_ms(), i64::from(opens_minutes) * MINUTE_MS, || {
                    JoinCode::from_random(crypto::random_bytes())
                })
                .await;
            match pass {
                Ok(pass) if pass == Default::default() => {}
                Ok(pass) => tracing::info!(
                    opened = pass.opened,
                    closed = pass.closed,
                    never_held = pass.never_held,
                    "scheduler: sessions opened and closed"
                ),
                Err(error) => tracing::warn!(?error, "scheduler: pass failed; retrying"),
            }
        }
    })
}

/// Holds or takes the leader lock `key` for the job `name`: true while this instance leads.
pub async fn keep_lead(store: &Store, lock: &mut Option<LeaderLock>, key: i64, name: &str) -> bool {
    if let Some(held) = lock.as_mut() {
        if !held.still_held().await {
            tracing::warn!("{name}: lost the leader lock");
            *lock = None;
        }
    }
    if lock.is_some() {
        return true;
    }
    match store.try_lead(key).await {
        Ok(Some(won)) => {
            tracing::info!("{name}: this instance leads");
            *lock = Some(won);
            true
        }
        Ok(None) => false, // another instance leads
        Err(error) => {
            tracing::warn!(%error, "{name}: cannot take the leader lock");
            false
        }
    }
}
