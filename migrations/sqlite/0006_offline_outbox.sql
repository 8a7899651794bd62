-- The offline outbox: per user and device, the last entry applied. Entries are taken in order,
-- each once: this row moves in the same transaction as the change an entry makes.
CREATE TABLE outbox_devices (
    user_id INTEGER NOT NULL REFERENCES users (id),
    device_id TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    synced_at_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, device_id)
);
