//! All persistence. One `Store` over sqlx's `Any` driver: the same runtime queries (with `$1`
//! placeholders, which SQLite and PostgreSQL both accept) run on either backend; the dialects
//! differ only in `migrations/sqlite` vs `migrations/postgres`.
//!
//! Every attendance change is written together with its event in one transaction.

use crate::domain::{
    decide_check_in, teacher_mark_changes, AttendanceStatus, CheckInDecision, CheckInRefusal,
    ClassId, CurrentUser, JoinCode, Mark, MarkSource, Role, SessionFacts, SessionId, UserId,
    Username, STATUS_WHEN_UNMARKED_AT_CLOSE,
};
use crate::error::{AppError, AppResult};
use crate::protocol::{Channel, Event, EventBody, StreamPosition};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Executor, FromRow};
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

/// A user row including the password hash: only for signing in.
#[derive(Debug, Clone, FromRow)]
pub struct UserCredentials {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
}

#[derive(Debug, Clone, FromRow)]
struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
}

impl UserRow {
    fn into_user(self) -> Option<CurrentUser> {
        Some(CurrentUser {
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            role: Role::parse(&self.role)?,
        })
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct ClassRow {
    pub id: i64,
    pub name: String,
    pub teacher_id: i64,
    pub teacher_name: String,
    pub student_count: i64,
    pub open_session_id: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub class_id: i64,
    pub class_name: String,
    pub teacher_id: i64,
    pub teacher_name: String,
    pub starts_at_ms: i64,
    pub late_after_minutes: i64,
    pub join_code: String,
    pub is_open: i64,
    pub closed_at_ms: Option<i64>,
}

impl SessionRow {
    pub fn facts(&self) -> SessionFacts {
        SessionFacts {
            is_open: self.is_open != 0,
            starts_at_ms: self.starts_at_ms,
            late_after_minutes: self.late_after_minutes.clamp(0, u32::MAX as i64) as u32,
        }
    }
}

const SESSION_COLUMNS: &str = "s.id, s.class_id, c.name AS class_name, c.teacher_id, \
     t.display_name AS teacher_name, s.starts_at_ms, s.late_after_minutes, s.join_code, \
     s.is_open, s.closed_at_ms \
     FROM class_sessions s JOIN classes c ON c.id = s.class_id JOIN users t ON t.id = c.teacher_id";

#[derive(Debug, Clone, FromRow)]
struct MarkRow {
    status: String,
    source: String,
    marked_at_ms: i64,
    version: i64,
}

impl MarkRow {
    fn into_mark(self) -> Option<Mark> {
        Some(Mark {
            status: AttendanceStatus::parse(&self.status)?,
            source: MarkSource::parse(&self.source)?,
            marked_at_ms: self.marked_at_ms,
            version: self.version,
        })
    }
}

/// One roster line: a student and their mark in the session, if any.
#[derive(Debug, Clone)]
pub struct RosterLine {
    pub student_id: UserId,
    pub display_name: String,
    pub username: String,
    pub mark: Option<Mark>,
}

#[derive(Debug, Clone, FromRow)]
struct RosterRow {
    student_id: i64,
    display_name: String,
    username: String,
    status: Option<String>,
    source: Option<String>,
    marked_at_ms: Option<i64>,
    version: Option<i64>,
}

impl RosterRow {
    fn into_line(self) -> RosterLine {
        let mark = match (self.status, self.source, self.marked_at_ms, self.version) {
            (Some(status), Some(source), Some(marked_at_ms), Some(version)) => MarkRow {
                status,
                source,
                marked_at_ms,
                version,
            }
            .into_mark(),
            _ => None,
        };
        RosterLine {
            student_id: self.student_id,
            display_name: self.display_name,
            username: self.username,
            mark,
        }
    }
}

/// A student's mark in one session, for their history.
#[derive(Debug, Clone, FromRow)]
pub struct HistoryRow {
    pub session_id: i64,
    pub class_name: String,
    pub starts_at_ms: i64,
    pub is_open: i64,
    pub status: Option<String>,
    pub source: Option<String>,
    pub marked_at_ms: Option<i64>,
}

/// Result of an accepted check-in.
#[derive(Debug, Clone)]
pub struct CheckInOutcome {
    pub session: SessionRow,
    pub mark: Mark,
    /// True when the student was already marked and nothing was written.
    pub already_marked: bool,
}

/// Who did something and from where, recorded with every attendance event.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: UserId,
    pub device: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
struct EventRow {
    channel: String,
    seq: i64,
    at_ms: i64,
    body: String,
}

impl EventRow {
    fn into_event(self) -> Option<Event> {
        Some(Event {
            channel: Channel::parse(&self.channel).ok()?,
            seq: self.seq,
            at_ms: self.at_ms,
            body: serde_json::from_str(&self.body).ok()?,
        })
    }
}

impl Store {
    /// Connects (creating the SQLite file when missing) and applies pending migrations.
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
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
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
                for event in &events {
                    sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(NOTIFY_CHANNEL)
                        .bind(format!("{} {}", event.channel, event.seq))
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    pub fn database_url(&self) -> &str {
        &self.url
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

    async fn writer(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.sqlite_writer {
            Some(lock) => Some(lock.lock().await),
            None => None,
        }
    }

    // ---- users and sign-in ----

    pub async fn user_count(&self) -> AppResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn create_user(
        &self,
        username: &Username,
        display_name: &str,
        role: Role,
        password_hash: &str,
        now_ms: i64,
    ) -> AppResult<UserId> {
        let _writer = self.writer().await;
        Ok(sqlx::query_scalar(
            "INSERT INTO users (username, display_name, role, password_hash, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(username.as_str())
        .bind(display_name)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn credentials(&self, username: &Username) -> AppResult<Option<UserCredentials>> {
        Ok(sqlx::query_as(
            "SELECT id, username, display_name, role, password_hash FROM users WHERE username = $1",
        )
        .bind(username.as_str())
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn create_auth_session(
        &self,
        token_hash: &str,
        user_id: UserId,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> AppResult<()> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        // Expired sessions are swept whenever someone signs in.
        sqlx::query("DELETE FROM auth_sessions WHERE expires_at_ms < $1")
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO auth_sessions (token_hash, user_id, created_at_ms, expires_at_ms) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now_ms)
        .bind(expires_at_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn user_by_token_hash(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> AppResult<Option<CurrentUser>> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT u.id, u.username, u.display_name, u.role FROM auth_sessions a \
             JOIN users u ON u.id = a.user_id WHERE a.token_hash = $1 AND a.expires_at_ms > $2",
        )
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(UserRow::into_user))
    }

    pub async fn delete_auth_session(&self, token_hash: &str) -> AppResult<()> {
        let _writer = self.writer().await;
        sqlx::query("DELETE FROM auth_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ---- classes ----

    pub async fn create_class(
        &self,
        name: &str,
        teacher_id: UserId,
        students: &[UserId],
    ) -> AppResult<ClassId> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let class_id: i64 = sqlx::query_scalar(
            "INSERT INTO classes (name, teacher_id) VALUES ($1, $2) RETURNING id",
        )
        .bind(name)
        .bind(teacher_id)
        .fetch_one(&mut *tx)
        .await?;
        for student in students {
            sqlx::query("INSERT INTO enrollments (class_id, student_id) VALUES ($1, $2)")
                .bind(class_id)
                .bind(student)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(class_id)
    }

    /// Classes the user may see: a teacher's own, or every class for an admin.
    pub async fn classes_visible_to(&self, user: &CurrentUser) -> AppResult<Vec<ClassRow>> {
        let only_teacher = match user.role {
            Role::Admin => None,
            Role::Teacher => Some(user.id),
            Role::Student => return Ok(Vec::new()),
        };
        Ok(sqlx::query_as(
            "SELECT c.id, c.name, c.teacher_id, t.display_name AS teacher_name, \
             (SELECT COUNT(*) FROM enrollments e WHERE e.class_id = c.id) AS student_count, \
             (SELECT s.id FROM class_sessions s WHERE s.class_id = c.id AND s.is_open = 1) \
                AS open_session_id \
             FROM classes c JOIN users t ON t.id = c.teacher_id \
             WHERE $1 = 0 OR c.teacher_id = $1 ORDER BY c.name",
        )
        .bind(only_teacher.unwrap_or(0))
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn class_teacher(&self, class_id: ClassId) -> AppResult<Option<UserId>> {
        Ok(
            sqlx::query_scalar("SELECT teacher_id FROM classes WHERE id = $1")
                .bind(class_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    // ---- class sessions ----

    /// Opens a session for the class, or returns the one already open (a double click opens one).
    pub async fn open_session(
        &self,
        class_id: ClassId,
        late_after_minutes: u32,
        actor: &Actor,
        now_ms: i64,
        mut new_code: impl FnMut() -> JoinCode,
    ) -> AppResult<SessionId> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let open: Option<i64> =
            sqlx::query_scalar("SELECT id FROM class_sessions WHERE class_id = $1 AND is_open = 1")
                .bind(class_id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(id) = open {
            return Ok(id);
        }
        // A code must be unique among open sessions; retry the rare collision.
        let mut code = new_code();
        for _ in 0..8 {
            let taken: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM class_sessions WHERE join_code = $1 AND is_open = 1",
            )
            .bind(code.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if taken.is_none() {
                break;
            }
            code = new_code();
        }
        let session_id: i64 = sqlx::query_scalar(
            "INSERT INTO class_sessions \
             (class_id, opened_by, starts_at_ms, late_after_minutes, join_code, is_open) \
             VALUES ($1, $2, $3, $4, $5, 1) RETURNING id",
        )
        .bind(class_id)
        .bind(actor.user_id)
        .bind(now_ms)
        .bind(late_after_minutes as i64)
        .bind(code.as_str())
        .fetch_one(&mut *tx)
        .await?;
        let class_name: String = sqlx::query_scalar("SELECT name FROM classes WHERE id = $1")
            .bind(class_id)
            .fetch_one(&mut *tx)
            .await?;
        let mut log = Vec::new();
        append_event(
            &mut tx,
            &mut log,
            &[Channel::Session(session_id), Channel::School],
            now_ms,
            &EventBody::SessionOpened {
                session_id,
                class_id,
                class_name,
                join_code: code.to_string(),
                starts_at_ms: now_ms,
                late_after_minutes,
            },
        )
        .await?;
        self.commit(tx, log).await?;
        Ok(session_id)
    }

    pub async fn session(&self, session_id: SessionId) -> AppResult<Option<SessionRow>> {
        Ok(
            sqlx::query_as(&format!("SELECT {SESSION_COLUMNS} WHERE s.id = $1"))
                .bind(session_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The class roster with each student's mark in the session, by name, and the position of
    /// the session's log this snapshot reflects (read in one consistent transaction).
    pub async fn roster(
        &self,
        session: &SessionRow,
    ) -> AppResult<(Vec<RosterLine>, StreamPosition)> {
        let channel = Channel::Session(session.id);
        self.channel_position(channel).await?;
        let mut tx = self.read_tx().await?;
        let position = position_in(&mut tx, channel).await?;
        let rows: Vec<RosterRow> = sqlx::query_as(
            "SELECT u.id AS student_id, u.display_name, u.username, a.status, a.source, \
             a.marked_at_ms, a.version \
             FROM enrollments e JOIN users u ON u.id = e.student_id \
             LEFT JOIN attendance a ON a.session_id = $1 AND a.student_id = u.id \
             WHERE e.class_id = $2 ORDER BY u.display_name, u.id",
        )
        .bind(session.id)
        .bind(session.class_id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((
            rows.into_iter().map(RosterRow::into_line).collect(),
            position,
        ))
    }

    /// A student's self check-in with a join code.
    pub async fn check_in(
        &self,
        student: &CurrentUser,
        code: &JoinCode,
        device: Option<String>,
        now_ms: i64,
    ) -> AppResult<CheckInOutcome> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        // Prefer the open session; a closed one with the code explains the refusal.
        let session: Option<SessionRow> = sqlx::query_as(&format!(
            "SELECT {SESSION_COLUMNS} WHERE s.join_code = $1 ORDER BY s.is_open DESC, s.id DESC LIMIT 1"
        ))
        .bind(code.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let on_roster = match &session {
            Some(s) => is_enrolled(&mut tx, s.class_id, student.id).await?,
            None => false,
        };
        let existing = match &session {
            Some(s) => current_mark(&mut tx, s.id, student.id).await?,
            None => None,
        };
        let facts = session.as_ref().map(SessionRow::facts);
        let decision = match decide_check_in(facts.as_ref(), on_roster, existing.as_ref(), now_ms) {
            Ok(decision) => decision,
            Err(refusal) => {
                // Tell the teacher concerned: the session the code named, or for a wrong code
                // the open sessions of the student's own classes (they probably mistyped).
                let sessions: Vec<i64> = match &session {
                    Some(s) => vec![s.id],
                    None => {
                        sqlx::query_scalar(
                            "SELECT s.id FROM class_sessions s JOIN enrollments e \
                         ON e.class_id = s.class_id WHERE e.student_id = $1 AND s.is_open = 1",
                        )
                        .bind(student.id)
                        .fetch_all(&mut *tx)
                        .await?
                    }
                };
                let mut log = Vec::new();
                for session_id in sessions {
                    append_event(
                        &mut tx,
                        &mut log,
                        &[Channel::Session(session_id)],
                        now_ms,
                        &EventBody::CheckInRefused {
                            session_id,
                            student_id: student.id,
                            student_name: student.display_name.clone(),
                            reason: refusal,
                            code: code.to_string(),
                        },
                    )
                    .await?;
                }
                self.commit(tx, log).await?;
                let message = refusal.message();
                return Err(match refusal {
                    CheckInRefusal::WrongCode => AppError::not_found(message),
                    CheckInRefusal::SessionClosed => AppError::conflict(message),
                    CheckInRefusal::NotOnRoster => AppError::forbidden(message),
                });
            }
        };
        let session = session.expect("decide_check_in refuses a missing session");
        let status = match decision {
            CheckInDecision::AlreadyMarked(mark) => {
                return Ok(CheckInOutcome {
                    session,
                    mark,
                    already_marked: true,
                })
            }
            CheckInDecision::Record(status) => status,
        };
        let inserted = sqlx::query(
            "INSERT INTO attendance \
             (session_id, student_id, status, source, marked_at_ms, marked_by, version) \
             VALUES ($1, $2, $3, $4, $5, $6, 1) ON CONFLICT (session_id, student_id) DO NOTHING",
        )
        .bind(session.id)
        .bind(student.id)
        .bind(status.as_str())
        .bind(MarkSource::SelfCheckIn.as_str())
        .bind(now_ms)
        .bind(student.id)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            // A concurrent check-in by the same student won (only possible on PostgreSQL).
            let mark = current_mark(&mut tx, session.id, student.id)
                .await?
                .ok_or_else(AppError::internal)?;
            return Ok(CheckInOutcome {
                session,
                mark,
                already_marked: true,
            });
        }
        let mark = Mark {
            status,
            source: MarkSource::SelfCheckIn,
            marked_at_ms: now_ms,
            version: 1,
        };
        let mut log = Vec::new();
        append_event(
            &mut tx,
            &mut log,
            &[
                Channel::Session(session.id),
                Channel::School,
                Channel::User(student.id),
            ],
            now_ms,
            &EventBody::AttendanceChanged {
                session_id: session.id,
                student_id: student.id,
                student_name: student.display_name.clone(),
                status,
                previous: None,
                source: MarkSource::SelfCheckIn,
                version: 1,
                by_user_id: Some(student.id),
                device,
            },
        )
        .await?;
        self.commit(tx, log).await?;
        Ok(CheckInOutcome {
            session,
            mark,
            already_marked: false,
        })
    }

    /// A teacher's (or admin's) mark; returns the resulting mark.
    pub async fn mark(
        &self,
        session: &SessionRow,
        student_id: UserId,
        status: AttendanceStatus,
        actor: &Actor,
        now_ms: i64,
    ) -> AppResult<Mark> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let student_name: Option<String> = sqlx::query_scalar(
            "SELECT u.display_name FROM enrollments e JOIN users u ON u.id = e.student_id \
             WHERE e.class_id = $1 AND e.student_id = $2",
        )
        .bind(session.class_id)
        .bind(student_id)
        .fetch_optional(&mut *tx)
        .await?;
        let student_name = student_name
            .ok_or_else(|| AppError::not_found("That student is not on this class's roster."))?;
        let existing = current_mark(&mut tx, session.id, student_id).await?;
        if !teacher_mark_changes(existing.as_ref(), status) {
            return Ok(existing.expect("an unchanged mark exists"));
        }
        let version: i64 = sqlx::query_scalar(
            "INSERT INTO attendance \
             (session_id, student_id, status, source, marked_at_ms, marked_by, version) \
             VALUES ($1, $2, $3, $4, $5, $6, 1) \
             ON CONFLICT (session_id, student_id) DO UPDATE SET status = excluded.status, \
             source = excluded.source, marked_at_ms = excluded.marked_at_ms, \
             marked_by = excluded.marked_by, version = attendance.version + 1 \
             RETURNING version",
        )
        .bind(session.id)
        .bind(student_id)
        .bind(status.as_str())
        .bind(MarkSource::Teacher.as_str())
        .bind(now_ms)
        .bind(actor.user_id)
        .fetch_one(&mut *tx)
        .await?;
        let mut log = Vec::new();
        append_event(
            &mut tx,
            &mut log,
            &[
                Channel::Session(session.id),
                Channel::School,
                Channel::User(student_id),
            ],
            now_ms,
            &EventBody::AttendanceChanged {
                session_id: session.id,
                student_id,
                student_name,
                status,
                previous: existing.map(|m| m.status),
                source: MarkSource::Teacher,
                version,
                by_user_id: Some(actor.user_id),
                device: actor.device.clone(),
            },
        )
        .await?;
        self.commit(tx, log).await?;
        Ok(Mark {
            status,
            source: MarkSource::Teacher,
            marked_at_ms: now_ms,
            version,
        })
    }

    /// Closes the session and marks every still-unmarked student absent. Returns how many were
    /// marked; closing an already closed session changes nothing.
    pub async fn close_session(
        &self,
        session: &SessionRow,
        actor: &Actor,
        now_ms: i64,
    ) -> AppResult<u32> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let still_open: Option<i64> =
            sqlx::query_scalar("SELECT id FROM class_sessions WHERE id = $1 AND is_open = 1")
                .bind(session.id)
                .fetch_optional(&mut *tx)
                .await?;
        if still_open.is_none() {
            return Ok(0);
        }
        let unmarked: Vec<(i64, String)> = sqlx::query_as(
            "SELECT u.id, u.display_name FROM enrollments e JOIN users u ON u.id = e.student_id \
             WHERE e.class_id = $1 AND NOT EXISTS \
             (SELECT 1 FROM attendance a WHERE a.session_id = $2 AND a.student_id = u.id) \
             ORDER BY u.id",
        )
        .bind(session.class_id)
        .bind(session.id)
        .fetch_all(&mut *tx)
        .await?;
        let status = STATUS_WHEN_UNMARKED_AT_CLOSE;
        let mut log = Vec::new();
        for (student_id, student_name) in &unmarked {
            sqlx::query(
                "INSERT INTO attendance \
                 (session_id, student_id, status, source, marked_at_ms, marked_by, version) \
                 VALUES ($1, $2, $3, $4, $5, NULL, 1)",
            )
            .bind(session.id)
            .bind(student_id)
            .bind(status.as_str())
            .bind(MarkSource::Automatic.as_str())
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            append_event(
                &mut tx,
                &mut log,
                &[
                    Channel::Session(session.id),
                    Channel::School,
                    Channel::User(*student_id),
                ],
                now_ms,
                &EventBody::AttendanceChanged {
                    session_id: session.id,
                    student_id: *student_id,
                    student_name: student_name.clone(),
                    status,
                    previous: None,
                    source: MarkSource::Automatic,
                    version: 1,
                    by_user_id: None,
                    device: None,
                },
            )
            .await?;
        }
        sqlx::query("UPDATE class_sessions SET is_open = 0, closed_at_ms = $1 WHERE id = $2")
            .bind(now_ms)
            .bind(session.id)
            .execute(&mut *tx)
            .await?;
        let marked_absent = unmarked.len() as u32;
        append_event(
            &mut tx,
            &mut log,
            &[Channel::Session(session.id), Channel::School],
            now_ms,
            &EventBody::SessionClosed {
                session_id: session.id,
                marked_absent,
                by_user_id: actor.user_id,
            },
        )
        .await?;
        self.commit(tx, log).await?;
        Ok(marked_absent)
    }

    /// Sessions of the student's classes, newest first, with their mark if any.
    pub async fn student_history(
        &self,
        student_id: UserId,
        limit: i64,
    ) -> AppResult<Vec<HistoryRow>> {
        Ok(sqlx::query_as(
            "SELECT s.id AS session_id, c.name AS class_name, s.starts_at_ms, s.is_open, \
             a.status, a.source, a.marked_at_ms \
             FROM enrollments e JOIN class_sessions s ON s.class_id = e.class_id \
             JOIN classes c ON c.id = s.class_id \
             LEFT JOIN attendance a ON a.session_id = s.id AND a.student_id = e.student_id \
             WHERE e.student_id = $1 ORDER BY s.starts_at_ms DESC, s.id DESC LIMIT $2",
        )
        .bind(student_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Sessions starting in `[from_ms, to_ms)`, newest first, each with its roster statuses.
    pub async fn sessions_between(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> AppResult<(
        Vec<(SessionRow, Vec<Option<AttendanceStatus>>)>,
        StreamPosition,
    )> {
        self.channel_position(Channel::School).await?;
        let mut tx = self.read_tx().await?;
        let position = position_in(&mut tx, Channel::School).await?;
        let sessions: Vec<SessionRow> = sqlx::query_as(&format!(
            "SELECT {SESSION_COLUMNS} WHERE s.starts_at_ms >= $1 AND s.starts_at_ms < $2 \
             ORDER BY s.starts_at_ms DESC, s.id DESC"
        ))
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&mut *tx)
        .await?;
        let statuses: Vec<(i64, Option<String>)> = sqlx::query_as(
            "SELECT s.id, a.status FROM class_sessions s \
             JOIN enrollments e ON e.class_id = s.class_id \
             LEFT JOIN attendance a ON a.session_id = s.id AND a.student_id = e.student_id \
             WHERE s.starts_at_ms >= $1 AND s.starts_at_ms < $2",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let sessions = sessions
            .into_iter()
            .map(|session| {
                let of_session = statuses
                    .iter()
                    .filter(|(id, _)| *id == session.id)
                    .map(|(_, status)| status.as_deref().and_then(AttendanceStatus::parse))
                    .collect();
                (session, of_session)
            })
            .collect();
        Ok((sessions, position))
    }

    // ---- event log ----

    /// The channel's epoch and last seq, creating its (empty) log if needed.
    pub async fn channel_position(&self, channel: Channel) -> AppResult<StreamPosition> {
        let name = channel.to_string();
        let found: Option<(String, i64)> =
            sqlx::query_as("SELECT epoch, last_seq FROM channels WHERE name = $1")
                .bind(&name)
                .fetch_optional(&self.pool)
                .await?;
        if let Some((epoch, seq)) = found {
            return Ok(StreamPosition { epoch, seq });
        }
        {
            let _writer = self.writer().await;
            let mut conn = self.pool.acquire().await?;
            ensure_channel(&mut conn, &name).await?;
        }
        let (epoch, seq): (String, i64) =
            sqlx::query_as("SELECT epoch, last_seq FROM channels WHERE name = $1")
                .bind(&name)
                .fetch_one(&self.pool)
                .await?;
        Ok(StreamPosition { epoch, seq })
    }

    /// Events on the channel after `after_seq`, oldest first, at most `limit`.
    pub async fn events_after(
        &self,
        channel: Channel,
        after_seq: i64,
        limit: i64,
    ) -> AppResult<Vec<Event>> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT channel, seq, at_ms, body FROM events WHERE channel = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3",
        )
        .bind(channel.to_string())
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().filter_map(EventRow::into_event).collect())
    }
}

async fn is_enrolled(
    conn: &mut AnyConnection,
    class_id: ClassId,
    student_id: UserId,
) -> sqlx::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT student_id FROM enrollments WHERE class_id = $1 AND student_id = $2",
    )
    .bind(class_id)
    .bind(student_id)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

async fn current_mark(
    conn: &mut AnyConnection,
    session_id: SessionId,
    student_id: UserId,
) -> sqlx::Result<Option<Mark>> {
    let row: Option<MarkRow> = sqlx::query_as(
        "SELECT status, source, marked_at_ms, version FROM attendance \
         WHERE session_id = $1 AND student_id = $2",
    )
    .bind(session_id)
    .bind(student_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(MarkRow::into_mark))
}

/// Appends the event to each channel's log inside the caller's transaction, and to `log` for
/// publishing after commit.
async fn append_event(
    conn: &mut AnyConnection,
    log: &mut Vec<Event>,
    channels: &[Channel],
    at_ms: i64,
    body: &EventBody,
) -> sqlx::Result<()> {
    let text = serde_json::to_string(body).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    for &channel in channels {
        let name = channel.to_string();
        // The row update serialises concurrent writers per channel: seq has no gaps or repeats.
        let seq: Option<i64> = sqlx::query_scalar(
            "UPDATE channels SET last_seq = last_seq + 1 WHERE name = $1 RETURNING last_seq",
        )
        .bind(&name)
        .fetch_optional(&mut *conn)
        .await?;
        let seq = match seq {
            Some(seq) => seq,
            None => {
                ensure_channel(&mut *conn, &name).await?;
                sqlx::query_scalar(
                    "UPDATE channels SET last_seq = last_seq + 1 WHERE name = $1 RETURNING last_seq",
                )
                .bind(&name)
                .fetch_one(&mut *conn)
                .await?
            }
        };
        sqlx::query("INSERT INTO events (channel, seq, at_ms, body) VALUES ($1, $2, $3, $4)")
            .bind(&name)
            .bind(seq)
            .bind(at_ms)
            .bind(&text)
            .execute(&mut *conn)
            .await?;
        log.push(Event {
            channel,
            seq,
            at_ms,
            body: body.clone(),
        });
    }
    Ok(())
}

async fn position_in(conn: &mut AnyConnection, channel: Channel) -> sqlx::Result<StreamPosition> {
    let (epoch, seq): (String, i64) =
        sqlx::query_as("SELECT epoch, last_seq FROM channels WHERE name = $1")
            .bind(channel.to_string())
            .fetch_one(conn)
            .await?;
    Ok(StreamPosition { epoch, seq })
}

/// Creates the channel's log (empty, with a fresh epoch) unless it exists.
async fn ensure_channel(conn: &mut AnyConnection, name: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO channels (name, epoch, last_seq) VALUES ($1, $2, 0) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(super::auth::random_token(8))
    .execute(conn)
    .await?;
    Ok(())
}
