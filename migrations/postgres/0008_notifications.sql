-- Notifications (issue 14): each person's inbox, their choices, their devices for push, the
-- bursts being gathered into one, the notifier's place in the school's log, the server's own
-- keys, the school's absence warning rules and the guardians' e-mail addresses.
-- `key` makes every notification once-only, whoever writes it and however often.
CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    subject BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    url TEXT NOT NULL,
    in_inbox BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    read_at_ms BIGINT,
    key TEXT NOT NULL UNIQUE
);
CREATE INDEX notifications_inbox ON notifications (user_id, id);
CREATE INDEX notifications_age ON notifications (created_at_ms);

CREATE TABLE notification_preferences (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    in_app BIGINT NOT NULL,
    push BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- Minutes after midnight in the school's time zone; start > end spans midnight.
CREATE TABLE quiet_hours (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    start_minute BIGINT NOT NULL,
    end_minute BIGINT NOT NULL
);

CREATE TABLE push_subscriptions (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint TEXT NOT NULL UNIQUE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    device TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);

CREATE TABLE notification_batches (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    subject BIGINT NOT NULL,
    class_name TEXT NOT NULL,
    url TEXT NOT NULL,
    due_at_ms BIGINT NOT NULL,
    closed BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notification_batches_open ON notification_batches (user_id, kind, subject, closed);
CREATE TABLE notification_batch_items (
    batch_id BIGINT NOT NULL REFERENCES notification_batches (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX notification_batch_items_batch ON notification_batch_items (batch_id);

CREATE TABLE notifier_cursor (
    name TEXT PRIMARY KEY,
    epoch TEXT NOT NULL,
    seq BIGINT NOT NULL
);

CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE absence_rules (
    id BIGSERIAL PRIMARY KEY,
    rule TEXT NOT NULL UNIQUE,
    notify_admins BIGINT NOT NULL,
    email_guardians BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE guardians (
    student_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    PRIMARY KEY (student_id, email)
);
