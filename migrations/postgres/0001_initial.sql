-- Rollcall schema (PostgreSQL dialect; migrations/sqlite holds the same schema for SQLite).
-- Times are unix milliseconds; booleans are 0/1 integers so both dialects read the same types.

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'teacher', 'student')),
    password_hash TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE auth_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);

CREATE TABLE classes (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    teacher_id BIGINT NOT NULL REFERENCES users (id)
);

CREATE TABLE enrollments (
    class_id BIGINT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    student_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (class_id, student_id)
);
CREATE INDEX enrollments_student ON enrollments (student_id);

CREATE TABLE class_sessions (
    id BIGSERIAL PRIMARY KEY,
    class_id BIGINT NOT NULL REFERENCES classes (id),
    opened_by BIGINT NOT NULL REFERENCES users (id),
    starts_at_ms BIGINT NOT NULL,
    late_after_minutes BIGINT NOT NULL,
    join_code TEXT NOT NULL,
    is_open BIGINT NOT NULL,
    closed_at_ms BIGINT
);
-- A join code names at most one open session, and a class has at most one open session.
CREATE UNIQUE INDEX class_sessions_open_code ON class_sessions (join_code) WHERE is_open = 1;
CREATE UNIQUE INDEX class_sessions_open_class ON class_sessions (class_id) WHERE is_open = 1;
CREATE INDEX class_sessions_code ON class_sessions (join_code);
CREATE INDEX class_sessions_starts ON class_sessions (starts_at_ms);

CREATE TABLE attendance (
    session_id BIGINT NOT NULL REFERENCES class_sessions (id),
    student_id BIGINT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('present', 'late', 'excused', 'absent')),
    source TEXT NOT NULL CHECK (source IN ('self', 'teacher', 'automatic')),
    marked_at_ms BIGINT NOT NULL,
    marked_by BIGINT REFERENCES users (id),
    version BIGINT NOT NULL,
    PRIMARY KEY (session_id, student_id)
);
CREATE INDEX attendance_student ON attendance (student_id);

-- The durable event log: per channel, seq increases by one with every event.
CREATE TABLE channels (
    name TEXT PRIMARY KEY,
    epoch TEXT NOT NULL,
    last_seq BIGINT NOT NULL
);

CREATE TABLE events (
    channel TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (channel, seq)
);
