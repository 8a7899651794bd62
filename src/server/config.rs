//! Run-time settings, all from environment variables with working defaults (see README).

use super::client_ip::{IpRanges, TrustedProxies};
use crate::domain::zone::SchoolZone;
use std::net::SocketAddr;

#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite:<file>` (default `sqlite:rollcall.db`) or `postgres://…`.
    pub database_url: String,
    /// Where to listen.
    pub addr: SocketAddr,
    /// The address people reach the site at; used in QR codes and for the WebSocket Origin check.
    pub public_url: String,
    /// The school's IANA time zone: timetables, "today" and clock times.
    pub time_zone: SchoolZone,
    /// How many minutes before its start a scheduled session opens for check-in.
    pub check_in_opens_minutes: u32,
    /// How long a session opened by hand stays open before it closes by itself.
    pub unscheduled_session_minutes: u32,
    /// How often the scheduler looks for sessions to open and close.
    pub scheduler_interval_ms: u64,
    /// Seed a demo school into an empty database (off unless asked for: its passwords are
    /// published).
    pub seed_demo: bool,
    /// Failed sign-ins an account may have before each further one makes it wait (1 s, 2 s,
    /// 4 s … up to `login_max_backoff_seconds`).
    pub login_free_failures: u32,
    pub login_max_backoff_seconds: u64,
    /// Failed sign-ins one client address (IPv6: one /64) may have per minute.
    pub login_failures_per_address_per_minute: u32,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` name the client.
    pub trusted_proxies: TrustedProxies,
    /// The school's networks (`ROLLCALL_CHECK_IN_NETWORKS`): where a class that guards its
    /// check-ins by network, without a list of its own, accepts them from.
    pub check_in_networks: IpRanges,
    /// Days the audit trail keeps devices (IP address and browser) before erasing them.
    pub device_retention_days: u32,
    pub check_in_attempts_per_minute: u32,
    /// How long a sign-in lasts.
    pub sign_in_hours: i64,
    /// Mark the sign-in cookie `Secure` (on when the public URL is https).
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Server heartbeat interval; a client that misses two is dropped.
    pub heartbeat_ms: u64,
    /// Frames a connection may have queued before it counts as too slow and is cut off.
    pub ws_queue: usize,
    /// Most events replayed on resume; further behind, the client reloads its snapshot.
    pub max_replay: usize,
    /// Most WebSockets one user may have open; a newer one closes the oldest.
    pub ws_per_user: usize,
    /// Lets a Prometheus scraper read /metrics with this bearer token (admins always can).
    pub metrics_token: Option<String>,
    /// Push, e-mail and the inbox.
    pub notify: super::notify::config::NotifyConfig,
}

impl Config {
    /// Every setting at its default, listening on `addr`: what `from_env` starts from and what
    /// tests adjust.
    pub fn defaults(addr: SocketAddr) -> Config {
        Config {
            database_url: "sqlite:rollcall.db".into(),
            addr,
            public_url: format!("http://{addr}"),
            time_zone: SchoolZone::utc(),
            check_in_opens_minutes: 10,
            unscheduled_session_minutes: 120,
            scheduler_interval_ms: 5_000,
            seed_demo: false,
            login_free_failures: 5,
            login_max_backoff_seconds: 900,
            login_failures_per_address_per_minute: 100,
            trusted_proxies: TrustedProxies::default(),
            check_in_networks: IpRanges::default(),
            device_retention_days: 90,
            check_in_attempts_per_minute: 20,
            sign_in_hours: 12,
            secure_cookies: false,
            max_body_bytes: 64 * 1024,
            heartbeat_ms: 15_000,
            ws_queue: 256,
            max_replay: 1000,
            ws_per_user: 8,
            metrics_token: None,
            notify: super::notify::config::NotifyConfig::defaults(),
        }
    }

    /// Reads the environment; `default_addr` comes from Leptos.toml's `site-addr`.
    pub fn from_env(default_addr: SocketAddr) -> Result<Config, String> {
        Config::from_vars(default_addr, |name| std::env::var(name).ok())
    }

    /// `from_env` over any source of variables (tests pass a map).
    pub fn from_vars(
        default_addr: SocketAddr,
        source: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, String> {
        let var = |name: &str| source(name).filter(|v| !v.trim().is_empty());
        let mut c = Config::defaults(var_parsed(&var, "ROLLCALL_ADDR", default_addr)?);
        c.public_url = var("ROLLCALL_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{}", c.addr))
            .trim_end_matches('/')
            .to_string();
        let secure_default = c.public_url.starts_with("https://");
        c.database_url = var("DATABASE_URL").unwrap_or(c.database_url);
        c.secure_cookies = var_parsed(&var, "ROLLCALL_SECURE_COOKIES", secure_default)?;
        if var("ROLLCALL_UTC_OFFSET_MINUTES").is_some() {
            return Err(
                "ROLLCALL_UTC_OFFSET_MINUTES is gone: set ROLLCALL_TIME_ZONE to the \
                 school's IANA time zone (e.g. Europe/Berlin), which also knows daylight saving."
                    .into(),
            );
        }
        if let Some(name) = var("ROLLCALL_TIME_ZONE") {
            c.time_zone =
                SchoolZone::parse(&name).map_err(|e| format!("ROLLCALL_TIME_ZONE: {e}"))?;
        }
        c.check_in_opens_minutes = var_parsed(
            &var,
            "ROLLCALL_CHECK_IN_OPENS_MINUTES",
            c.check_in_opens_minutes,
        )?;
        c.unscheduled_session_minutes = var_parsed(
            &var,
            "ROLLCALL_UNSCHEDULED_SESSION_MINUTES",
            c.unscheduled_session_minutes,
        )?;
        c.scheduler_interval_ms = var_parsed(
            &var,
            "ROLLCALL_SCHEDULER_INTERVAL_MS",
            c.scheduler_interval_ms,
        )?;
        c.seed_demo = var_parsed(&var, "ROLLCALL_SEED_DEMO", c.seed_demo)?;
        c.login_free_failures =
            var_parsed(&var, "ROLLCALL_LOGIN_FREE_FAILURES", c.login_free_failures)?;
        c.login_max_backoff_seconds = var_parsed(
            &var,
            "ROLLCALL_LOGIN_MAX_BACKOFF_SECONDS",
            c.login_max_backoff_seconds,
        )?;
        // ROLLCALL_LOGIN_PER_MINUTE is the old name (it counted every attempt, now only failures).
        let per_address_name = if var("ROLLCALL_LOGIN_FAILURES_PER_MINUTE").is_some() {
            "ROLLCALL_LOGIN_FAILURES_PER_MINUTE"
        } else {
            "ROLLCALL_LOGIN_PER_MINUTE"
        };
        c.login_failures_per_address_per_minute = var_parsed(
            &var,
            per_address_name,
            c.login_failures_per_address_per_minute,
        )?;
        if let Some(list) = var("ROLLCALL_TRUSTED_PROXIES") {
            c.trusted_proxies = TrustedProxies::parse(&list)
                .map_err(|error| format!("ROLLCALL_TRUSTED_PROXIES: {error}"))?;
        }
        if let Some(list) = var("ROLLCALL_CHECK_IN_NETWORKS") {
            c.check_in_networks = IpRanges::parse(&list)
                .map_err(|error| format!("ROLLCALL_CHECK_IN_NETWORKS: {error}"))?;
        }
        c.device_retention_days = var_parsed(
            &var,
            "ROLLCALL_DEVICE_RETENTION_DAYS",
            c.device_retention_days,
        )?;
        c.check_in_attempts_per_minute = var_parsed(
            &var,
            "ROLLCALL_CHECKIN_PER_MINUTE",
            c.check_in_attempts_per_minute,
        )?;
        // ROLLCALL_SESSION_HOURS is the old name, kept so existing deployments keep working.
        let hours_name = if var("ROLLCALL_SIGN_IN_HOURS").is_some() {
            "ROLLCALL_SIGN_IN_HOURS"
        } else {
            "ROLLCALL_SESSION_HOURS"
        };
        c.sign_in_hours = var_parsed(&var, hours_name, c.sign_in_hours)?;
        c.max_body_bytes = var_parsed(&var, "ROLLCALL_MAX_BODY_BYTES", c.max_body_bytes)?;
        c.heartbeat_ms = var_parsed(&var, "ROLLCALL_WS_HEARTBEAT_MS", c.heartbeat_ms)?;
        c.ws_queue = var_parsed(&var, "ROLLCALL_WS_QUEUE", c.ws_queue)?;
        c.max_replay = var_parsed(&var, "ROLLCALL_WS_MAX_REPLAY", c.max_replay)?;
        c.ws_per_user = var_parsed(&var, "ROLLCALL_WS_PER_USER", c.ws_per_user)?;
        c.metrics_token = var("ROLLCALL_METRICS_TOKEN");
        c.notify = super::notify::config::NotifyConfig::from_vars(&var)?;
        c.validate()?;
        Ok(c)
    }

    /// Refuses settings that cannot work, with the variable's name in the message.
    pub fn validate(&self) -> Result<(), String> {
        let check = |ok: bool, message: &str| if ok { Ok(()) } else { Err(message.to_string()) };
        check(
            self.check_in_opens_minutes <= 240,
            "ROLLCALL_CHECK_IN_OPENS_MINUTES must be between 0 and 240.",
        )?;
        check(
            (5..=720).contains(&self.unscheduled_session_minutes),
            "ROLLCALL_UNSCHEDULED_SESSION_MINUTES must be between 5 and 720.",
        )?;
        check(
            (100..=600_000).contains(&self.scheduler_interval_ms),
            "ROLLCALL_SCHEDULER_INTERVAL_MS must be between 100 and 600000.",
        )?;
        check(
            (10..=3_600_000).contains(&self.heartbeat_ms),
            "ROLLCALL_WS_HEARTBEAT_MS must be between 10 and 3600000.",
        )?;
        check(
            (1..=24 * 365).contains(&self.sign_in_hours),
            "ROLLCALL_SIGN_IN_HOURS must be between 1 and 8760.",
        )?;
        check(self.ws_queue >= 1, "ROLLCALL_WS_QUEUE must be at least 1.")?;
        check(
            self.ws_per_user >= 1,
            "ROLLCALL_WS_PER_USER must be at least 1.",
        )?;
        check(
            self.max_body_bytes >= 1024,
            "ROLLCALL_MAX_BODY_BYTES must be at least 1024.",
        )?;
        check(
            self.login_failures_per_address_per_minute >= 1
                && self.check_in_attempts_per_minute >= 1,
            "ROLLCALL_LOGIN_FAILURES_PER_MINUTE and ROLLCALL_CHECKIN_PER_MINUTE must be at least 1.",
        )?;
        check(
            (1..=86_400).contains(&self.login_max_backoff_seconds),
            "ROLLCALL_LOGIN_MAX_BACKOFF_SECONDS must be between 1 and 86400.",
        )?;
        check(
            (1..=36_500).contains(&self.device_retention_days),
            "ROLLCALL_DEVICE_RETENTION_DAYS must be between 1 and 36500.",
        )
    }

    /// The sign-in throttle's rules.
    pub fn login_policy(&self) -> super::login_throttle::LoginPolicy {
        super::login_throttle::LoginPolicy {
            free_failures: self.login_free_failures,
            max_backoff: std::time::Duration::from_secs(self.login_max_backoff_seconds),
            address_failures_per_minute: self.login_failures_per_address_per_minute,
        }
    }
}

fn var_parsed<T: std::str::FromStr>(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: T,
) -> Result<T, String> {
    match var(name) {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("{name}={text:?} is not valid")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(vars: &[(&str, &str)]) -> Result<Config, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_vars("127.0.0.1:3000".parse().unwrap(), |name| {
            map.get(name).cloned()
        })
    }

    #[test]
    fn empty_environment_gives_the_defaults() {
        let config = from(&[]).unwrap();
        assert_eq!(config.public_url, "http://127.0.0.1:3000");
        assert_eq!(config.heartbeat_ms, 15_000);
        assert!(!config.secure_cookies);
        // The demo school, with its published passwords, only when asked for.
        assert!(!config.seed_demo);
        assert_eq!(config.ws_per_user, 8);
    }

    #[test]
    fn the_demo_and_the_socket_cap_are_read() {
        let config = from(&[
            ("ROLLCALL_SEED_DEMO", "true"),
            ("ROLLCALL_WS_PER_USER", "3"),
        ])
        .unwrap();
        assert!(config.seed_demo);
        assert_eq!(config.ws_per_user, 3);
        assert!(from(&[("ROLLCALL_WS_PER_USER", "0")]).is_err());
        assert!(from(&[("ROLLCALL_SEED_DEMO", "yes please")]).is_err());
    }

    #[test]
    fn settings_are_read_and_checked() {
        let config = from(&[
            ("ROLLCALL_PUBLIC_URL", "https://school.example/"),
            ("ROLLCALL_SESSION_HOURS", "3"),
        ])
        .unwrap();
        assert_eq!(config.public_url, "https://school.example");
        assert!(config.secure_cookies);
        assert_eq!(config.sign_in_hours, 3);
        // A heartbeat this long would overflow the clock arithmetic; it is refused up front.
        let huge = from(&[("ROLLCALL_WS_HEARTBEAT_MS", "18446744073709551615")]).unwrap_err();
        assert!(huge.contains("ROLLCALL_WS_HEARTBEAT_MS"), "{huge}");
        // The fixed offset is gone; saying so beats silently showing the wrong times.
        let offset = from(&[("ROLLCALL_UTC_OFFSET_MINUTES", "60")]).unwrap_err();
        assert!(offset.contains("ROLLCALL_TIME_ZONE"), "{offset}");
        let zone = from(&[("ROLLCALL_TIME_ZONE", "Europe/Berlin")]).unwrap();
        assert_eq!(zone.time_zone.name(), "Europe/Berlin");
        assert!(from(&[("ROLLCALL_TIME_ZONE", "Berlin")]).is_err());
        assert!(from(&[("ROLLCALL_CHECK_IN_OPENS_MINUTES", "241")]).is_err());
        assert!(from(&[("ROLLCALL_UNSCHEDULED_SESSION_MINUTES", "1")]).is_err());
        assert!(from(&[("ROLLCALL_WS_QUEUE", "many")]).is_err());
    }

    #[test]
    fn sign_in_limits_proxies_and_retention_are_read() {
        let config = from(&[
            ("ROLLCALL_LOGIN_PER_MINUTE", "7"),
            ("ROLLCALL_TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
            ("ROLLCALL_CHECK_IN_NETWORKS", "192.0.2.0/24"),
            ("ROLLCALL_DEVICE_RETENTION_DAYS", "30"),
        ])
        .unwrap();
        assert_eq!(config.login_failures_per_address_per_minute, 7);
        assert!(config.trusted_proxies.contains("10.1.2.3".parse().unwrap()));
        assert!(config
            .check_in_networks
            .contains("192.0.2.9".parse().unwrap()));
        assert!(!config
            .check_in_networks
            .contains("10.1.2.3".parse().unwrap()));
        assert_eq!(config.device_retention_days, 30);
        let newer = from(&[
            ("ROLLCALL_LOGIN_PER_MINUTE", "7"),
            ("ROLLCALL_LOGIN_FAILURES_PER_MINUTE", "300"),
        ])
        .unwrap();
        assert_eq!(newer.login_failures_per_address_per_minute, 300);
        let defaults = from(&[]).unwrap();
        assert_eq!(defaults.trusted_proxies, TrustedProxies::default());
        assert_eq!(defaults.device_retention_days, 90);
        let bad = from(&[("ROLLCALL_TRUSTED_PROXIES", "gateway")]).unwrap_err();
        assert!(bad.contains("ROLLCALL_TRUSTED_PROXIES"), "{bad}");
        let bad = from(&[("ROLLCALL_CHECK_IN_NETWORKS", "10.0.0.0/33")]).unwrap_err();
        assert!(
            bad.contains("ROLLCALL_CHECK_IN_NETWORKS") && bad.contains("10.0.0.0/33"),
            "{bad}"
        );
        assert!(from(&[("ROLLCALL_DEVICE_RETENTION_DAYS", "0")]).is_err());
    }
}
