//! Run-time settings, all from environment variables with working defaults (see README).

use std::net::SocketAddr;

#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite:<file>` (default `sqlite:rollcall.db`) or `postgres://…`.
    pub database_url: String,
    /// Where to listen.
    pub addr: SocketAddr,
    /// The address people reach the site at; used in QR codes and for the WebSocket Origin check.
    pub public_url: String,
    /// The school's offset from UTC in minutes, for "today" and clock times.
    pub utc_offset_minutes: i32,
    /// Seed a demo school into an empty database.
    pub seed_demo: bool,
    pub login_attempts_per_minute: u32,
    pub check_in_attempts_per_minute: u32,
    /// How long a sign-in lasts.
    pub session_hours: i64,
    /// Mark the session cookie `Secure` (on when the public URL is https).
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Server heartbeat interval; a client that misses two is dropped.
    pub heartbeat_ms: u64,
    /// Frames a connection may have queued before it counts as too slow and is cut off.
    pub ws_queue: usize,
    /// Most events replayed on resume; further behind, the client reloads its snapshot.
    pub max_replay: usize,
    /// Lets a Prometheus scraper read /metrics with this bearer token (admins always can).
    pub metrics_token: Option<String>,
}

impl Config {
    /// Reads the environment; `default_addr` comes from Leptos.toml's `site-addr`.
    pub fn from_env(default_addr: SocketAddr) -> Result<Config, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        fn parsed<T: std::str::FromStr>(
            name: &str,
            value: Option<String>,
            default: T,
        ) -> Result<T, String> {
            match value {
                None => Ok(default),
                Some(text) => text
                    .trim()
                    .parse()
                    .map_err(|_| format!("{name}={text:?} is not valid")),
            }
        }
        let addr: SocketAddr = parsed("ROLLCALL_ADDR", var("ROLLCALL_ADDR"), default_addr)?;
        let public_url = var("ROLLCALL_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_string();
        let secure_default = public_url.starts_with("https://");
        Ok(Config {
            database_url: var("DATABASE_URL").unwrap_or_else(|| "sqlite:rollcall.db".into()),
            addr,
            secure_cookies: parsed(
                "ROLLCALL_SECURE_COOKIES",
                var("ROLLCALL_SECURE_COOKIES"),
                secure_default,
            )?,
            public_url,
            utc_offset_minutes: parsed(
                "ROLLCALL_UTC_OFFSET_MINUTES",
                var("ROLLCALL_UTC_OFFSET_MINUTES"),
                0,
            )?,
            seed_demo: parsed("ROLLCALL_SEED_DEMO", var("ROLLCALL_SEED_DEMO"), true)?,
            login_attempts_per_minute: parsed(
                "ROLLCALL_LOGIN_PER_MINUTE",
                var("ROLLCALL_LOGIN_PER_MINUTE"),
                10,
            )?,
            check_in_attempts_per_minute: parsed(
                "ROLLCALL_CHECKIN_PER_MINUTE",
                var("ROLLCALL_CHECKIN_PER_MINUTE"),
                20,
            )?,
            session_hours: parsed("ROLLCALL_SESSION_HOURS", var("ROLLCALL_SESSION_HOURS"), 12)?,
            max_body_bytes: parsed(
                "ROLLCALL_MAX_BODY_BYTES",
                var("ROLLCALL_MAX_BODY_BYTES"),
                64 * 1024,
            )?,
            heartbeat_ms: parsed(
                "ROLLCALL_WS_HEARTBEAT_MS",
                var("ROLLCALL_WS_HEARTBEAT_MS"),
                15_000,
            )?,
            ws_queue: parsed("ROLLCALL_WS_QUEUE", var("ROLLCALL_WS_QUEUE"), 256)?,
            max_replay: parsed(
                "ROLLCALL_WS_MAX_REPLAY",
                var("ROLLCALL_WS_MAX_REPLAY"),
                1000,
            )?,
            metrics_token: var("ROLLCALL_METRICS_TOKEN"),
        })
    }
}
