//! Notification settings, from environment variables (see README, "Notifications").

/// Push services Rollcall sends to unless told otherwise: Chrome's, Firefox's, Safari's and
/// Edge's. A subscription naming any other host is refused, so nobody can make the server
/// post to an address of their choosing.
pub const DEFAULT_PUSH_HOSTS: &str = "fcm.googleapis.com,*.push.services.mozilla.com,\
updates.push.services.mozilla.com,web.push.apple.com,*.push.apple.com,*.notify.windows.com";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConfig {
    /// The contact in every VAPID signature (`mailto:` or `https:`), so a push service can
    /// reach whoever runs the server.
    pub vapid_subject: String,
    /// Host patterns a push subscription's endpoint may name (`*.` matches subdomains).
    pub push_hosts: Vec<String>,
    /// Accept `http://` endpoints (only for a test push service on this machine).
    pub push_allow_http: bool,
    /// `smtp://…` or `smtps://…` (lettre's URL form); unset: no e-mail is sent.
    pub smtp_url: Option<String>,
    /// The From of guardian e-mails.
    pub smtp_from: String,
    /// Days notifications stay in the inbox.
    pub retention_days: u32,
    /// One batch window for every batched kind instead of each kind's own (60 s for
    /// check-ins, 30 s for late arrivals).
    pub batch_window_ms: Option<i64>,
    /// How often every instance looks for due jobs (the one that queued a job wakes at once).
    pub job_poll_ms: u64,
}

impl NotifyConfig {
    pub fn defaults() -> NotifyConfig {
        NotifyConfig {
            vapid_subject: "mailto:rollcall@localhost".into(),
            push_hosts: split(DEFAULT_PUSH_HOSTS),
            push_allow_http: false,
            smtp_url: None,
            smtp_from: "Rollcall <rollcall@localhost>".into(),
            retention_days: 90,
            batch_window_ms: None,
            job_poll_ms: 1000,
        }
    }

    pub fn from_vars(var: &impl Fn(&str) -> Option<String>) -> Result<NotifyConfig, String> {
        let mut c = NotifyConfig::defaults();
        if let Some(subject) = var("ROLLCALL_VAPID_SUBJECT") {
            if !(subject.starts_with("mailto:") || subject.starts_with("https://")) {
                return Err("ROLLCALL_VAPID_SUBJECT must be a mailto: or https: address.".into());
            }
            c.vapid_subject = subject;
        }
        if let Some(hosts) = var("ROLLCALL_PUSH_SERVICES") {
            c.push_hosts = split(&hosts);
        }
        if let Some(allow) = var("ROLLCALL_PUSH_ALLOW_HTTP") {
            c.push_allow_http = allow
                .trim()
                .parse()
                .map_err(|_| "ROLLCALL_PUSH_ALLOW_HTTP must be true or false.".to_string())?;
        }
        c.smtp_url = var("ROLLCALL_SMTP_URL");
        if let Some(from) = var("ROLLCALL_SMTP_FROM") {
            c.smtp_from = from;
        }
        let number = |name: &str, default: u64| match var(name) {
            None => Ok(default),
            Some(text) => text
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("{name}={text:?} is not valid")),
        };
        c.retention_days = number(
            "ROLLCALL_NOTIFICATION_RETENTION_DAYS",
            c.retention_days.into(),
        )?
        .clamp(1, 36_500) as u32;
        c.job_poll_ms = number("ROLLCALL_JOB_POLL_MS", c.job_poll_ms)?.clamp(50, 60_000);
        if var("ROLLCALL_BATCH_WINDOW_SECONDS").is_some() {
            let seconds = number("ROLLCALL_BATCH_WINDOW_SECONDS", 60)?.clamp(1, 3600);
            c.batch_window_ms = Some(seconds as i64 * 1000);
        }
        Ok(c)
    }

    /// Whether a push endpoint may be sent to: https (or http when allowed) to a listed host.
    pub fn endpoint_allowed(&self, endpoint: &str) -> Result<(), String> {
        let url = url::Url::parse(endpoint).map_err(|_| "The push endpoint is not a URL.")?;
        match url.scheme() {
            "https" => {}
            "http" if self.push_allow_http => {}
            _ => return Err("The push endpoint must be an https address.".into()),
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let listed = self
            .push_hosts
            .iter()
            .any(|pattern| match pattern.strip_prefix("*.") {
                Some(domain) => host.ends_with(&format!(".{domain}")),
                None => host == *pattern,
            });
        if listed {
            Ok(())
        } else {
            Err(format!(
                "Rollcall does not send to the push service at {host} (ROLLCALL_PUSH_SERVICES)."
            ))
        }
    }
}

fn split(list: &str) -> Vec<String> {
    list.split(',')
        .map(|host| host.trim().to_ascii_lowercase())
        .filter(|host| !host.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_push_services_over_https() {
        let c = NotifyConfig::defaults();
        assert!(c
            .endpoint_allowed("https://fcm.googleapis.com/fcm/send/abc")
            .is_ok());
        assert!(c
            .endpoint_allowed("https://updates.push.services.mozilla.com/wpush/v2/x")
            .is_ok());
        assert!(c
            .endpoint_allowed("https://wns2-par02p.notify.windows.com/w/?t=1")
            .is_ok());
        assert!(c.endpoint_allowed("http://fcm.googleapis.com/x").is_err());
        assert!(c
            .endpoint_allowed("https://169.254.169.254/latest")
            .is_err());
        assert!(c
            .endpoint_allowed("https://evilnotify.windows.com.example/x")
            .is_err());
        assert!(c.endpoint_allowed("not a url").is_err());
        let test = NotifyConfig {
            push_hosts: vec!["127.0.0.1".into()],
            push_allow_http: true,
            ..NotifyConfig::defaults()
        };
        assert!(test.endpoint_allowed("http://127.0.0.1:9/push/1").is_ok());
    }

    #[test]
    fn settings_are_read_and_checked() {
        let vars = |name: &str| match name {
            "ROLLCALL_VAPID_SUBJECT" => Some("https://school.example".to_string()),
            "ROLLCALL_NOTIFICATION_RETENTION_DAYS" => Some("30".to_string()),
            _ => None,
        };
        let c = NotifyConfig::from_vars(&vars).unwrap();
        assert_eq!(c.vapid_subject, "https://school.example");
        assert_eq!(c.retention_days, 30);
        let bad = |name: &str| (name == "ROLLCALL_VAPID_SUBJECT").then(|| "me".to_string());
        assert!(NotifyConfig::from_vars(&bad).is_err());
    }
}
