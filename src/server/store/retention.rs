//! Erasing the devices (IP address and browser) the audit trail and the check-in attempts keep,
//! once they are older than the retention period. Who changed which mark, and when, stays.

use super::Store;
use crate::error::AppResult;
use crate::protocol::EventBody;

/// Events rewritten per transaction, so the erasure never holds the writer for long.
const BATCH: i64 = 500;

impl Store {
    /// Removes the device from every event and check-in attempt before `before_ms`; returns
    /// how many events and attempts changed. An attempt keeps its device id (a random number
    /// that names nobody) and loses its address and browser.
    pub async fn erase_device_details(&self, before_ms: i64) -> AppResult<u64> {
        let attempts = {
            let _writer = self.writer().await;
            sqlx::query(
                "UPDATE check_in_attempts SET ip = NULL, user_agent = NULL \
                 WHERE at_ms < $1 AND (ip IS NOT NULL OR user_agent IS NOT NULL)",
            )
            .bind(before_ms)
            .execute(&self.pool)
            .await?
            .rows_affected()
        };
        let mut erased = attempts;
        // Walks the log in key order, so each batch starts where the last one stopped.
        let (mut after_channel, mut after_seq) = (String::new(), 0i64);
        loop {
            let rows: Vec<(String, i64, String)> = sqlx::query_as(
                "SELECT channel, seq, body FROM events \
                 WHERE at_ms < $1 AND body LIKE '%\"device\":\"%' \
                 AND (channel > $2 OR (channel = $2 AND seq > $3)) \
                 ORDER BY channel, seq LIMIT $4",
            )
            .bind(before_ms)
            .bind(&after_channel)
            .bind(after_seq)
            .bind(BATCH)
            .fetch_all(&self.pool)
            .await?;
            let Some((last_channel, last_seq, _)) = rows.last() else {
                return Ok(erased);
            };
            (after_channel, after_seq) = (last_channel.clone(), *last_seq);
            let _writer = self.writer().await;
            let mut tx = self.pool.begin().await?;
            for (channel, seq, body) in &rows {
                let Some(text) = without_device(body) else {
                    continue;
                };
                sqlx::query("UPDATE events SET body = $1 WHERE channel = $2 AND seq = $3")
                    .bind(text)
                    .bind(channel)
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                erased += 1;
            }
            tx.commit().await?;
        }
    }
}

/// The stored event body without its device, or `None` when there is nothing to erase.
fn without_device(body: &str) -> Option<String> {
    let mut event: EventBody = serde_json::from_str(body).ok()?;
    match &mut event {
        EventBody::AttendanceChanged { device, .. } if device.is_some() => *device = None,
        _ => return None,
    }
    serde_json::to_string(&event).ok()
}
