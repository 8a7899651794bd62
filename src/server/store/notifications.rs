//! Each person's inbox: notifications stored once per key, told live on the person's own
//! channel in the same transaction (so a device that was away catches up from the log), read
//! one at a time or all at once, and forgotten after the retention period.

use super::events::append_event;
use super::Store;
use crate::domain::notify::{InboxRead, Notice, NotificationKind};
use crate::domain::UserId;
use crate::error::AppResult;
use crate::protocol::{Channel, Event, EventBody, StreamPosition};
use sqlx::AnyConnection;

/// A notification to store (its key makes it once-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub user_id: UserId,
    pub kind: NotificationKind,
    pub subject: i64,
    pub title: String,
    pub body: String,
    pub url: String,
    /// False when the person wants this kind only pushed: stored for the push, not listed.
    pub in_inbox: bool,
    pub key: String,
}

/// A page of someone's inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxPage {
    pub notices: Vec<Notice>,
    pub unread: i64,
    /// The person's channel position this page reflects: follow live from here.
    pub position: StreamPosition,
}

#[derive(sqlx::FromRow)]
struct NoticeRow {
    id: i64,
    kind: String,
    title: String,
    body: String,
    url: String,
    created_at_ms: i64,
    read_at_ms: Option<i64>,
}

impl NoticeRow {
    fn into_notice(self) -> Option<Notice> {
        Some(Notice {
            id: self.id,
            kind: NotificationKind::parse(&self.kind)?,
            title: self.title,
            body: self.body,
            url: self.url,
            at_ms: self.created_at_ms,
            read: self.read_at_ms.is_some(),
        })
    }
}

#[derive(sqlx::FromRow)]
struct OwnedNoticeRow {
    user_id: i64,
    subject: i64,
    #[sqlx(flatten)]
    notice: NoticeRow,
}

const NOTICE_COLUMNS: &str = "id, kind, title, body, url, created_at_ms, read_at_ms";

/// Stores the notification unless its key exists; when new and listed, tells the person's
/// channel. Returns the stored notice when it is new.
pub(super) async fn insert_notice_in(
    conn: &mut AnyConnection,
    log: &mut Vec<Event>,
    new: &NewNotice,
    now_ms: i64,
) -> sqlx::Result<Option<Notice>> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO notifications (user_id, kind, subject, title, body, url, in_inbox, \
         created_at_ms, key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (key) DO NOTHING RETURNING id",
    )
    .bind(new.user_id)
    .bind(new.kind.as_str())
    .bind(new.subject)
    .bind(&new.title)
    .bind(&new.body)
    .bind(&new.url)
    .bind(i64::from(new.in_inbox))
    .bind(now_ms)
    .bind(&new.key)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        return Ok(None);
    };
    let notice = Notice {
        id,
        kind: new.kind,
        title: new.title.clone(),
        body: new.body.clone(),
        url: new.url.clone(),
        at_ms: now_ms,
        read: false,
    };
    if new.in_inbox {
        let body = EventBody::Notified {
            user_id: new.user_id,
            notice: notice.clone(),
        };
        append_event(conn, log, now_ms, body).await?;
    }
    Ok(Some(notice))
}

impl Store {
    /// Stores notifications (each once per key) in one transaction; returns the new ones.
    pub async fn add_notices(
        &self,
        notices: &[NewNotice],
        now_ms: i64,
    ) -> AppResult<Vec<(NewNotice, Notice)>> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let mut log = Vec::new();
        let mut added = Vec::new();
        // In user order: two writers adding to the same people lock their channels alike.
        let mut sorted: Vec<&NewNotice> = notices.iter().collect();
        sorted.sort_by_key(|new| new.user_id);
        for new in sorted {
            if let Some(notice) = insert_notice_in(&mut tx, &mut log, new, now_ms).await? {
                added.push((new.clone(), notice));
            }
        }
        self.commit(tx, log).await?;
        Ok(added)
    }

    /// The newest listed notifications before `before_id` (all when `None`), newest first.
    pub async fn inbox(
        &self,
        user: UserId,
        before_id: Option<i64>,
        limit: u32,
    ) -> AppResult<InboxPage> {
        // The position first: anything committed after it is told live, never lost between.
        let position = self.channel_position(Channel::User(user)).await?;
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<NoticeRow> = sqlx::query_as(&format!(
            "SELECT {NOTICE_COLUMNS} FROM notifications WHERE user_id = $1 AND in_inbox = 1 \
             AND id < $2 ORDER BY id DESC LIMIT $3"
        ))
        .bind(user)
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await?;
        let unread = unread_in(&mut conn, user).await?;
        Ok(InboxPage {
            notices: rows
                .into_iter()
                .filter_map(NoticeRow::into_notice)
                .collect(),
            unread,
            position,
        })
    }

    pub async fn unread_count(&self, user: UserId) -> AppResult<i64> {
        let mut conn = self.pool.acquire().await?;
        Ok(unread_in(&mut conn, user).await?)
    }

    /// One stored notification of anyone, with its owner and subject (for a push of it).
    pub async fn notice(&self, id: i64) -> AppResult<Option<(UserId, i64, Notice)>> {
        let row: Option<OwnedNoticeRow> = sqlx::query_as(&format!(
            "SELECT user_id, subject, {NOTICE_COLUMNS} FROM notifications WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|row| Some((row.user_id, row.subject, row.notice.into_notice()?))))
    }

    /// Whether a newer notification of the same kind and subject exists for the person (a push
    /// held back by quiet hours is then not worth sending: the newer one says it).
    pub async fn notice_superseded(&self, id: i64) -> AppResult<bool> {
        let newer: Option<i64> = sqlx::query_scalar(
            "SELECT n.id FROM notifications n JOIN notifications o ON o.id = $1 \
             WHERE n.user_id = o.user_id AND n.kind = o.kind AND n.subject = o.subject \
             AND n.id > o.id LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(newer.is_some())
    }

    /// Marks notifications read; returns how many changed. The person's other devices hear it.
    pub async fn mark_read(&self, user: UserId, read: InboxRead, now_ms: i64) -> AppResult<u64> {
        let (condition, id) = match read {
            InboxRead::One { id } => ("id = $3", id),
            InboxRead::AllThrough { id } => ("id <= $3", id),
        };
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query(&format!(
            "UPDATE notifications SET read_at_ms = $1 WHERE user_id = $2 AND {condition} \
             AND read_at_ms IS NULL AND in_inbox = 1"
        ))
        .bind(now_ms)
        .bind(user)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let mut log = Vec::new();
        if changed > 0 {
            let body = EventBody::NotificationsRead {
                user_id: user,
                read,
            };
            append_event(&mut tx, &mut log, now_ms, body).await?;
        }
        self.commit(tx, log).await?;
        Ok(changed)
    }

    /// Forgets notifications made before `before_ms` (the retention period), and the closed
    /// batches of that age; returns how many notifications.
    pub async fn forget_notices(&self, before_ms: i64) -> AppResult<u64> {
        let _writer = self.writer().await;
        sqlx::query("DELETE FROM notification_batches WHERE closed = 1 AND due_at_ms < $1")
            .bind(before_ms)
            .execute(&self.pool)
            .await?;
        Ok(
            sqlx::query("DELETE FROM notifications WHERE created_at_ms < $1")
                .bind(before_ms)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }
}

async fn unread_in(conn: &mut AnyConnection, user: UserId) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND in_inbox = 1 \
         AND read_at_ms IS NULL",
    )
    .bind(user)
    .fetch_one(conn)
    .await
}
