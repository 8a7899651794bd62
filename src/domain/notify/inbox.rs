//! A notification as its recipient sees it: in the inbox, in the live event on their own
//! channel, and as the payload of a push to their devices (with the actions a click offers).

use super::NotificationKind;
use serde::{Deserialize, Serialize};

/// One notification in a person's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub id: i64,
    pub kind: NotificationKind,
    pub title: String,
    /// The details ("Ava Adams, Ben Brown and 10 others", the dates missed).
    pub body: String,
    /// The page it is about (site-relative).
    pub url: String,
    pub at_ms: i64,
    pub read: bool,
}

/// Which notifications were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum InboxRead {
    One {
        id: i64,
    },
    /// Every notification up to and including `id` ("Mark all read").
    AllThrough {
        id: i64,
    },
}

impl InboxRead {
    pub fn covers(&self, notice_id: i64) -> bool {
        match *self {
            InboxRead::One { id } => id == notice_id,
            InboxRead::AllThrough { id } => notice_id <= id,
        }
    }
}

/// A button on a shown push (Chromium shows up to two; other browsers open `url` on click).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushAction {
    pub action: String,
    pub title: String,
    pub url: String,
}

/// What the service worker receives (encrypted) and shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushPayload {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub url: String,
    /// A newer push with the same tag replaces the shown one (and a push sent twice shows once).
    pub tag: String,
    pub actions: Vec<PushAction>,
}

/// The most a payload may be: push services take about 4 KB after encryption.
pub const MAX_PAYLOAD_BYTES: usize = 3000;

impl PushPayload {
    /// The push for a notice; `subject_tag` is the notice's push topic (one shown per subject).
    pub fn of(notice: &Notice, subject_tag: String) -> PushPayload {
        let action = |action: &str, title: &str, url: String| PushAction {
            action: action.into(),
            title: title.into(),
            url,
        };
        let actions = match notice.kind {
            NotificationKind::CheckIns | NotificationKind::LateArrival => {
                vec![action("open", "Open dashboard", notice.url.clone())]
            }
            NotificationKind::CheckInHeld => vec![
                action("review", "Review", format!("{}#review", notice.url)),
                action("open", "Open dashboard", notice.url.clone()),
            ],
            NotificationKind::MarkedByTeacher | NotificationKind::AbsenceWarning => vec![
                action("excuse", "Send an excuse", "/excuses".into()),
                action("open", "My attendance", "/attendance".into()),
            ],
        };
        let mut payload = PushPayload {
            id: notice.id,
            title: notice.title.clone(),
            body: notice.body.clone(),
            url: notice.url.clone(),
            tag: subject_tag,
            actions,
        };
        // A long body (many names) is cut: the inbox has the whole of it.
        while payload.to_json().len() > MAX_PAYLOAD_BYTES && !payload.body.is_empty() {
            let keep = payload.body.chars().count().saturating_sub(200);
            payload.body = payload.body.chars().take(keep).collect::<String>();
            if keep > 0 {
                payload.body.push('…');
            }
        }
        payload
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(kind: NotificationKind, body: String) -> Notice {
        Notice {
            id: 7,
            kind,
            title: "Check-in waiting for review".into(),
            body,
            url: "/teacher/sessions/3".into(),
            at_ms: 0,
            read: false,
        }
    }

    #[test]
    fn teachers_get_review_and_students_an_excuse_action() {
        let held = PushPayload::of(
            &notice(NotificationKind::CheckInHeld, "x".into()),
            "held-3".into(),
        );
        assert_eq!(held.actions[0].title, "Review");
        assert_eq!(held.actions[0].url, "/teacher/sessions/3#review");
        let marked = PushPayload::of(
            &notice(NotificationKind::MarkedByTeacher, "x".into()),
            "mark-3".into(),
        );
        assert_eq!(marked.actions[0].title, "Send an excuse");
        assert_eq!(marked.tag, "mark-3");
    }

    #[test]
    fn a_long_body_is_cut_to_fit_a_push() {
        let long = "Ava Adams, ".repeat(1000);
        let payload = PushPayload::of(&notice(NotificationKind::CheckIns, long), "ci-3".into());
        assert!(payload.to_json().len() <= MAX_PAYLOAD_BYTES);
        assert!(payload.body.ends_with('…'));
    }

    #[test]
    fn read_scopes_cover_what_they_say() {
        assert!(InboxRead::One { id: 4 }.covers(4));
        assert!(!InboxRead::One { id: 4 }.covers(3));
        assert!(InboxRead::AllThrough { id: 4 }.covers(3));
        assert!(!InboxRead::AllThrough { id: 4 }.covers(5));
    }
}

/// A device's name for the person's list of push devices, from its browser's User-Agent
/// ("Chrome on Android"); only for telling one's own devices apart.
pub fn device_name(user_agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .into_iter()
    .find(|(needle, _)| user_agent.contains(needle))
    .map_or("A browser", |(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "Mac"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(needle, _)| user_agent.contains(needle))
    .map(|(_, name)| name);
    match system {
        Some(system) => format!("{browser} on {system}"),
        None => browser.to_string(),
    }
}

#[cfg(test)]
mod device_tests {
    use super::device_name;

    #[test]
    fn devices_are_named_by_browser_and_system() {
        let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like \
                       Gecko) Chrome/126.0 Mobile Safari/537.36";
        assert_eq!(device_name(android), "Chrome on Android");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(device_name(iphone), "Safari on iPhone");
        assert_eq!(device_name(""), "A browser");
    }
}
