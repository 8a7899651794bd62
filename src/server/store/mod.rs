//! All persistence. One `Store` over sqlx's `Any` driver: the same runtime queries (with `$1`
//! placeholders, which SQLite and PostgreSQL both accept) run on either backend; the dialects
//! differ only in `migrations/sqlite` vs `migrations/postgres` and in the few places below that
//! ask `self.backend`.
//!
//! Every attendance change is written together with its event in one transaction. Writers that
//! touch a class session lock its row first (`lock_session`), so on PostgreSQL concurrent
//! check-ins, marks and closes of one session take turns instead of racing or deadlocking; on
//! SQLite the single-writer mutex already serialises them.
//!
//! The methods live beside their area: `users`, `classes`, `sessions`, `attendance`, `events`,
//! `reports`, `retention`. Row types are private to `rows`; callers get domain and wire types.

mod absence;
mod accounts;
mod admin_classes;
mod admin_users;
mod attendance;
mod check_in;
mod check_in_attempts;
mod check_in_code;
mod check_in_rules;
mod classes;
mod delivery;
mod events;
mod excuse_marks;
mod excuses;
mod history;
mod import;
mod jobs;
mod lifecycle;
mod notifications;
mod notifier;
mod notify_prefs;
mod outbox;
mod push;
mod register;
mod reports;
mod retention;
mod rows;
mod sessions;
mod timetable;
mod users;

pub use absence::{AbsenceRule, EmailJob, ScanOutcome, EMAIL_JOB};
pub use admin_classes::Member;
pub use admin_users::{UserFilter, UserListing};
pub use attendance::Actor;
pub use check_in::{CheckInDevice, CheckInOutcome, CheckInRequest, CodeLink};
pub use check_in_rules::SessionCode;
pub use delivery::{BatchJob, Delivered, DeliveryClock, PushJob, BATCH_JOB, PUSH_JOB};
pub use excuses::{ExcuseScope, NewExcuse};
pub use import::Applied;
pub use jobs::{DeadLetter, Job, NewJob, QueueDepth};
pub use lifecycle::{LeaderLock, SchedulerPass};
pub use notifications::{InboxPage, NewNotice};
pub use notifier::{NotifierPass, ScanJob, SCAN_JOB};
pub use notify_prefs::Preferences;
pub use push::PushSubscription;
pub use register::{ClassRef, Person, RangeSession, RegisterRows};
pub use sessions::OpenByHand;
pub use users::UserCredentials;

use crate::protocol::Event;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// The backend a connection talks to, for the free functions that only have the connection.
    pub fn of(conn: &AnyConnection) -> Backend {
        if conn.backend_name() == "PostgreSQL" {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// The PostgreSQL NOTIFY channel that announces committed events between instances.
pub const NOTIFY_CHANNEL: &str = "rollcall_events";

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer at a time; queueing writers here instead of inside SQLite avoids
    /// "database is locked" when two transactions try to upgrade to writing at once.
    sqlite_writer: Option<Mutex<()>>,
    /// Committed events, in commit order, for the live fan-out (see `server::hub`).
    committed: tokio::sync::mpsc::UnboundedSender<Event>,
    url: String,
}

impl Store {
    /// Connects (creating the SQLite file when missing) and applies pending migrations
    /// (sqlx holds an advisory lock on PostgreSQL, so instances starting together take turns).
    pub async fn open(
        url: &str,
        committed: tokio::sync::mpsc::UnboundedSender<Event>,
    ) -> Result<Store, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url);
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; NORMAL sync is durable across
                        // process crashes (an OS crash may lose the last commits, never corrupt).
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        match backend {
            Backend::Sqlite => migrate_sqlite(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        Ok(Store {
            pool,
            backend,
            sqlite_writer: (backend == Backend::Sqlite).then(|| Mutex::new(())),
            committed,
            url,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub fn database_url(&self) -> &str {
        &self.url
    }

    /// Commits a transaction that appended `events`, and hands them to the live fan-out.
    ///
    /// SQLite: after commit, while the writer lock is still held, so events leave in commit
    /// order (which is seq order per channel). PostgreSQL: a NOTIFY naming channel and seq is
    /// part of the transaction; every instance (this one included) hears it in commit order and
    /// reads the event itself from the log (see `server::pg_fanout`).
    async fn commit(
        &self,
        mut tx: sqlx::Transaction<'_, sqlx::Any>,
        events: Vec<Event>,
    ) -> sqlx::Result<()> {
        match self.backend {
            Backend::Sqlite => {
                tx.commit().await?;
                for event in events {
                    let _ = self.committed.send(event);
                }
            }
            Backend::Postgres => {
                // Usually one round trip for all of the commit's events, with their bodies, so
                // the listening instances need not read them back (server::pg_fanout).
                for payload in crate::server::pg_fanout::notify_payloads(&events) {
                    sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(NOTIFY_CHANNEL)
                        .bind(payload)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// A read-only transaction that sees one consistent snapshot (SQLite's WAL gives that to
    /// any transaction; PostgreSQL needs REPEATABLE READ).
    async fn read_tx(&self) -> sqlx::Result<sqlx::Transaction<'_, sqlx::Any>> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// Held by every SQLite write (`None` on PostgreSQL, where row locks do the job).
    async fn writer(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.sqlite_writer {
            Some(lock) => Some(lock.lock().await),
            None => None,
        }
    }

    /// `lock_session`, then the session as it stands under the lock (one round trip on
    /// PostgreSQL: a check-in's lock is held for every statement after it).
    async fn lock_and_read_session(
        &self,
        conn: &mut AnyConnection,
        session_id: i64,
    ) -> sqlx::Result<Option<crate::domain::ClassSession>> {
        match self.backend {
            Backend::Postgres => sessions::session_in_locked(conn, session_id).await,
            Backend::Sqlite => sessions::session_in(conn, session_id).await,
        }
    }

    /// What a read of the `class_sessions` row appends to take `lock_session`'s lock in the
    /// same round trip (` FOR UPDATE` on PostgreSQL, nothing on SQLite).
    fn locking_read(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    /// Locks a class session's row until the transaction ends (PostgreSQL; SQLite's writer
    /// mutex is already held). Every writer that changes a session's attendance takes this
    /// first, which orders them and rules out deadlocks on the rows and channels after it.
    async fn lock_session(&self, conn: &mut AnyConnection, session_id: i64) -> sqlx::Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT id FROM class_sessions WHERE id = $1 FOR UPDATE")
                .bind(session_id)
                .execute(conn)
                .await?;
        }
        Ok(())
    }
}

/// SQLite migrations that rebuild a table (copy, drop, rename) need foreign keys off, which
/// SQLite only allows outside a transaction: so they run on one connection with the keys off,
/// every key is checked afterwards, and the keys are back on before the connection returns to
/// the pool.
async fn migrate_sqlite(pool: &AnyPool) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    conn.execute("PRAGMA foreign_keys = OFF").await?;
    SQLITE_MIGRATIONS.run(&mut *conn).await?;
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&mut *conn)
        .await?;
    conn.execute("PRAGMA foreign_keys = ON").await?;
    if let Some((table,)) = broken.first() {
        return Err(sqlx::Error::Protocol(format!(
            "after migrating, rows of {table} point at missing rows (foreign key check failed)"
        )));
    }
    Ok(())
}

/// Whether the error is a violated unique constraint (a duplicate that a concurrent writer
/// inserted first). Callers turn it into the domain answer instead of a 500.
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.kind() == sqlx::error::ErrorKind::UniqueViolation)
}
