-- Notifications (issue 14): each person's inbox, their choices, their devices for push, the
-- bursts being gathered into one, the notifier's place in the school's log, the server's own
-- keys, the school's absence warning rules and the guardians' e-mail addresses.
-- `key` makes every notification once-only, whoever writes it and however often.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    subject INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    url TEXT NOT NULL,
    in_inbox INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    read_at_ms INTEGER,
    key TEXT NOT NULL UNIQUE
);
CREATE INDEX notifications_inbox ON notifications (user_id, id);
CREATE INDEX notifications_age ON notifications (created_at_ms);

CREATE TABLE notification_preferences (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    in_app INTEGER NOT NULL,
    push INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- Minutes after midnight in the school's time zone; start > end spans midnight.
CREATE TABLE quiet_hours (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    start_minute INTEGER NOT NULL,
    end_minute INTEGER NOT NULL
);

CREATE TABLE push_subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint TEXT NOT NULL UNIQUE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    device TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);

CREATE TABLE notification_batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    subject INTEGER NOT NULL,
    class_name TEXT NOT NULL,
    url TEXT NOT NULL,
    due_at_ms INTEGER NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notification_batches_open ON notification_batches (user_id, kind, subject, closed);
CREATE TABLE notification_batch_items (
    batch_id INTEGER NOT NULL REFERENCES notification_batches (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE INDEX notification_batch_items_batch ON notification_batch_items (batch_id);

CREATE TABLE notifier_cursor (
    name TEXT PRIMARY KEY,
    epoch TEXT NOT NULL,
    seq INTEGER NOT NULL
);

CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE absence_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule TEXT NOT NULL UNIQUE,
    notify_admins INTEGER NOT NULL,
    email_guardians INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE guardians (
    student_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    PRIMARY KEY (student_id, email)
);
