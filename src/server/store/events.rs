//! The durable event log: per channel, an epoch and a gap-free, increasing seq.

use super::rows::EventRow;
use super::{Backend, Store};
use crate::error::AppResult;
use crate::protocol::{Channel, Event, EventBody, StreamPosition};
use sqlx::AnyConnection;

impl Store {
    /// The channel's epoch and last seq, creating its (empty) log if needed. One read when the
    /// log exists (every subscribe and poll asks this).
    pub async fn channel_position(&self, channel: Channel) -> AppResult<StreamPosition> {
        let mut conn = self.pool.acquire().await?;
        if let Some(position) = stored_position(&mut conn, channel).await? {
            return Ok(position);
        }
        drop(conn);
        {
            let _writer = self.writer().await;
            let mut conn = self.pool.acquire().await?;
            create_channel(&mut conn, &channel.to_string()).await?;
        }
        let mut conn = self.pool.acquire().await?;
        Ok(position_in(&mut conn, channel).await?)
    }

    /// Makes sure the channel's log exists, so a snapshot can name a position in it.
    pub(super) async fn ensure_channel(&self, channel: Channel) -> AppResult<()> {
        self.channel_position(channel).await.map(drop)
    }

    /// Events on the channel after `after_seq`, oldest first, at most `limit`.
    pub async fn events_after(
        &self,
        channel: Channel,
        after_seq: i64,
        limit: i64,
    ) -> AppResult<Vec<Event>> {
        let mut conn = self.pool.acquire().await?;
        Ok(events_after_in(&mut conn, channel, after_seq, limit).await?)
    }
}

pub(super) async fn events_after_in(
    conn: &mut AnyConnection,
    channel: Channel,
    after_seq: i64,
    limit: i64,
) -> sqlx::Result<Vec<Event>> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT channel, seq, at_ms, body FROM events WHERE channel = $1 AND seq > $2 \
         ORDER BY seq LIMIT $3",
    )
    .bind(channel.to_string())
    .bind(after_seq)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().filter_map(EventRow::into_event).collect())
}

/// The last `limit` events on the channel up to and including `upto_seq`, oldest first.
pub(super) async fn recent_events_in(
    conn: &mut AnyConnection,
    channel: Channel,
    upto_seq: i64,
    limit: i64,
) -> sqlx::Result<Vec<Event>> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT channel, seq, at_ms, body FROM events WHERE channel = $1 AND seq <= $2 \
         ORDER BY seq DESC LIMIT $3",
    )
    .bind(channel.to_string())
    .bind(upto_seq)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    let mut events: Vec<Event> = rows.into_iter().filter_map(EventRow::into_event).collect();
    events.reverse();
    Ok(events)
}

/// Appends the event to each of its channels' logs inside the caller's transaction, and to
/// `log` for publishing after commit.
pub(super) async fn append_event(
    conn: &mut AnyConnection,
    log: &mut Vec<Event>,
    at_ms: i64,
    body: EventBody,
) -> sqlx::Result<()> {
    for channel in body.channels() {
        // Each channel gets what its listeners may see (see `EventBody::for_channel`).
        let body = body.for_channel(channel);
        let text = serde_json::to_string(&body).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let name = channel.to_string();
        let mut seq = log_event(conn, &name, at_ms, &text).await?;
        if seq.is_none() {
            create_channel(conn, &name).await?;
            seq = log_event(conn, &name, at_ms, &text).await?;
        }
        let seq = seq.ok_or(sqlx::Error::RowNotFound)?;
        log.push(Event {
            channel,
            seq,
            at_ms,
            body,
        });
    }
    Ok(())
}

/// Takes the channel's next seq and logs the event under it; `None` if the channel has no log
/// yet. The row update serialises concurrent writers per channel (seq has no gaps or repeats)
/// and holds the row until commit: on PostgreSQL both are one statement, one round trip less
/// for each channel while the session's lock is held (SQLite runs in-process and cannot
/// update inside a `WITH`).
async fn log_event(
    conn: &mut AnyConnection,
    name: &str,
    at_ms: i64,
    body: &str,
) -> sqlx::Result<Option<i64>> {
    if Backend::of(conn) == Backend::Postgres {
        return sqlx::query_scalar(
            "WITH next AS (UPDATE channels SET last_seq = last_seq + 1 WHERE name = $1 \
             RETURNING last_seq) \
             INSERT INTO events (channel, seq, at_ms, body) \
             SELECT $1, last_seq, $2, $3 FROM next RETURNING seq",
        )
        .bind(name)
        .bind(at_ms)
        .bind(body)
        .fetch_optional(conn)
        .await;
    }
    let seq: Option<i64> = sqlx::query_scalar(
        "UPDATE channels SET last_seq = last_seq + 1 WHERE name = $1 RETURNING last_seq",
    )
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(seq) = seq {
        sqlx::query("INSERT INTO events (channel, seq, at_ms, body) VALUES ($1, $2, $3, $4)")
            .bind(name)
            .bind(seq)
            .bind(at_ms)
            .bind(body)
            .execute(conn)
            .await?;
    }
    Ok(seq)
}

pub(super) async fn position_in(
    conn: &mut AnyConnection,
    channel: Channel,
) -> sqlx::Result<StreamPosition> {
    stored_position(conn, channel)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

async fn stored_position(
    conn: &mut AnyConnection,
    channel: Channel,
) -> sqlx::Result<Option<StreamPosition>> {
    let found: Option<(String, i64)> =
        sqlx::query_as("SELECT epoch, last_seq FROM channels WHERE name = $1")
            .bind(channel.to_string())
            .fetch_optional(conn)
            .await?;
    Ok(found.map(|(epoch, seq)| StreamPosition { epoch, seq }))
}

/// Creates the channel's log (empty, with a fresh epoch) unless it exists.
async fn create_channel(conn: &mut AnyConnection, name: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO channels (name, epoch, last_seq) VALUES ($1, $2, 0) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(crate::server::crypto::random_token(8))
    .execute(conn)
    .await?;
    Ok(())
}
