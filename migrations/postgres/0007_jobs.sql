-- Background jobs (notifications, scans): each enqueued once per key, claimed for a lease,
-- retried with backoff, and kept as a dead letter after the last attempt (domain::jobs).
CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    run_at_ms BIGINT NOT NULL,
    locked_until_ms BIGINT,
    last_error TEXT,
    created_at_ms BIGINT NOT NULL,
    finished_at_ms BIGINT
);
CREATE INDEX jobs_due ON jobs (state, run_at_ms);
