-- Rollcall schema (SQLite dialect; migrations/postgres holds the same schema for PostgreSQL).
-- Times are unix milliseconds; booleans are 0/1 integers so both dialects read the same types.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'teacher', 'student')),
    password_hash TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE auth_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
);

CREATE TABLE classes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    teacher_id INTEGER NOT NULL REFERENCES users (id)
);

CREATE TABLE enrollments (
    class_id INTEGER NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    student_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (class_id, student_id)
);
CREATE INDEX enrollments_student ON enrollments (student_id);

CREATE TABLE class_sessions (
    id INTEGER PRIMARY KEY,
    class_id INTEGER NOT NULL REFERENCES classes (id),
    opened_by INTEGER NOT NULL REFERENCES users (id),
    starts_at_ms INTEGER NOT NULL,
    late_after_minutes INTEGER NOT NULL,
    join_code TEXT NOT NULL,
    is_open INTEGER NOT NULL,
    closed_at_ms INTEGER
);
-- A join code names at most one open session, and a class has at most one open session.
CREATE UNIQUE INDEX class_sessions_open_code ON class_sessions (join_code) WHERE is_open = 1;
CREATE UNIQUE INDEX class_sessions_open_class ON class_sessions (class_id) WHERE is_open = 1;
CREATE INDEX class_sessions_code ON class_sessions (join_code);
CREATE INDEX class_sessions_starts ON class_sessions (starts_at_ms);

CREATE TABLE attendance (
    session_id INTEGER NOT NULL REFERENCES class_sessions (id),
    student_id INTEGER NOT NULL REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('present', 'late', 'excused', 'absent')),
    source TEXT NOT NULL CHECK (source IN ('self', 'teacher', 'automatic')),
    marked_at_ms INTEGER NOT NULL,
    marked_by INTEGER REFERENCES users (id),
    version INTEGER NOT NULL,
    PRIMARY KEY (session_id, student_id)
);
CREATE INDEX attendance_student ON attendance (student_id);

-- The durable event log: per channel, seq increases by one with every event.
CREATE TABLE channels (
    name TEXT PRIMARY KEY,
    epoch TEXT NOT NULL,
    last_seq INTEGER NOT NULL
);

CREATE TABLE events (
    channel TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (channel, seq)
);
