-- Administration and timetables (see migrations/sqlite/0003 for the same schema explained).

ALTER TABLE users ADD COLUMN active BIGINT NOT NULL DEFAULT 1;
CREATE INDEX users_name ON users (display_name, id);

CREATE TABLE class_teachers (
    class_id BIGINT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    teacher_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (class_id, teacher_id)
);
INSERT INTO class_teachers (class_id, teacher_id) SELECT id, teacher_id FROM classes;
CREATE INDEX class_teachers_teacher ON class_teachers (teacher_id);
ALTER TABLE classes DROP COLUMN teacher_id;
ALTER TABLE classes ADD COLUMN archived BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX classes_name ON classes (name);

CREATE TABLE class_meetings (
    id BIGSERIAL PRIMARY KEY,
    class_id BIGINT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    weekdays BIGINT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    first_day TEXT NOT NULL,
    last_day TEXT NOT NULL,
    late_after_minutes BIGINT NOT NULL
);
CREATE INDEX class_meetings_class ON class_meetings (class_id);

CREATE TABLE holidays (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    first_day TEXT NOT NULL,
    last_day TEXT NOT NULL
);

ALTER TABLE class_sessions ADD COLUMN meeting_id BIGINT REFERENCES class_meetings (id) ON DELETE SET NULL;
ALTER TABLE class_sessions ADD COLUMN ends_at_ms BIGINT;
ALTER TABLE class_sessions ADD COLUMN opened_at_ms BIGINT;
ALTER TABLE class_sessions ADD COLUMN closed_by BIGINT REFERENCES users (id);
ALTER TABLE class_sessions ALTER COLUMN opened_by DROP NOT NULL;
ALTER TABLE class_sessions ALTER COLUMN join_code DROP NOT NULL;
UPDATE class_sessions SET opened_at_ms = starts_at_ms,
    ends_at_ms = CASE WHEN is_open = 1 THEN starts_at_ms + 90 * 60000 ELSE closed_at_ms END,
    closed_by = CASE WHEN is_open = 1 THEN NULL ELSE opened_by END;
CREATE INDEX class_sessions_class ON class_sessions (class_id, starts_at_ms);
CREATE INDEX class_sessions_pending ON class_sessions (starts_at_ms) WHERE closed_at_ms IS NULL;
CREATE UNIQUE INDEX class_sessions_meeting ON class_sessions (meeting_id, starts_at_ms);

CREATE TABLE attendance_changes (
    id BIGSERIAL PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES class_sessions (id),
    student_id BIGINT NOT NULL REFERENCES users (id),
    status_before TEXT,
    status_after TEXT NOT NULL,
    source TEXT NOT NULL,
    by_user_id BIGINT REFERENCES users (id),
    at_ms BIGINT NOT NULL
);
CREATE INDEX attendance_changes_session ON attendance_changes (session_id, id);
