-- Administration and timetables: users can be deactivated, classes archived and taught by
-- several teachers, classes meet on a timetable whose sessions exist ahead of time, holidays
-- suspend it, and every change of a mark is kept.
--
-- SQLite cannot drop a column used by a foreign key or relax NOT NULL, so `classes` and
-- `class_sessions` are rebuilt the documented way (https://www.sqlite.org/lang_altertable.html):
-- copy, drop, rename, in the migration's transaction. Store::open runs migrations with foreign
-- keys off (dropping the old table must not cascade) and checks every key afterwards.

ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
CREATE INDEX users_name ON users (display_name, id);

CREATE TABLE classes_new (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0
);
INSERT INTO classes_new (id, name) SELECT id, name FROM classes;

-- Who runs a class: its teachers (a co-teacher or substitute is one more row).
CREATE TABLE class_teachers (
    class_id INTEGER NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    teacher_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (class_id, teacher_id)
);
INSERT INTO class_teachers (class_id, teacher_id) SELECT id, teacher_id FROM classes;
CREATE INDEX class_teachers_teacher ON class_teachers (teacher_id);

DROP TABLE classes;
ALTER TABLE classes_new RENAME TO classes;
CREATE UNIQUE INDEX classes_name ON classes (name);

-- A weekly meeting of a class: on the given weekdays (bit 0 = Monday … bit 6 = Sunday), from
-- `starts_at` to `ends_at` (local wall-clock `HH:MM:SS` in the school's time zone), on every
-- such day from `first_day` to `last_day` (`YYYY-MM-DD`, inclusive) that is not a holiday.
CREATE TABLE class_meetings (
    id INTEGER PRIMARY KEY,
    class_id INTEGER NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    weekdays INTEGER NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    first_day TEXT NOT NULL,
    last_day TEXT NOT NULL,
    late_after_minutes INTEGER NOT NULL
);
CREATE INDEX class_meetings_class ON class_meetings (class_id);

-- School holidays (inclusive local dates): no scheduled session falls on one.
CREATE TABLE holidays (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    first_day TEXT NOT NULL,
    last_day TEXT NOT NULL
);

-- A session is upcoming (not open, not closed), open, or closed. Scheduled sessions exist ahead
-- of time (`meeting_id` set, no code, no opener); `opened_at_ms` stays empty for one that never
-- opened. `ends_at_ms`: when an open session closes by itself.
CREATE TABLE class_sessions_new (
    id INTEGER PRIMARY KEY,
    class_id INTEGER NOT NULL REFERENCES classes (id),
    meeting_id INTEGER REFERENCES class_meetings (id) ON DELETE SET NULL,
    opened_by INTEGER REFERENCES users (id),
    starts_at_ms INTEGER NOT NULL,
    ends_at_ms INTEGER,
    late_after_minutes INTEGER NOT NULL,
    join_code TEXT,
    is_open INTEGER NOT NULL,
    opened_at_ms INTEGER,
    closed_at_ms INTEGER,
    closed_by INTEGER REFERENCES users (id)
);
INSERT INTO class_sessions_new
    (id, class_id, opened_by, starts_at_ms, ends_at_ms, late_after_minutes, join_code, is_open,
     opened_at_ms, closed_at_ms, closed_by)
SELECT id, class_id, opened_by, starts_at_ms,
    CASE WHEN is_open = 1 THEN starts_at_ms + 90 * 60000 ELSE closed_at_ms END,
    late_after_minutes, join_code, is_open, starts_at_ms, closed_at_ms,
    CASE WHEN is_open = 1 THEN NULL ELSE opened_by END
FROM class_sessions;
DROP TABLE class_sessions;
ALTER TABLE class_sessions_new RENAME TO class_sessions;

-- A join code names at most one open session, and a class has at most one open session.
CREATE UNIQUE INDEX class_sessions_open_code ON class_sessions (join_code) WHERE is_open = 1;
CREATE UNIQUE INDEX class_sessions_open_class ON class_sessions (class_id) WHERE is_open = 1;
CREATE INDEX class_sessions_code ON class_sessions (join_code);
CREATE INDEX class_sessions_class ON class_sessions (class_id, starts_at_ms);
CREATE INDEX class_sessions_starts ON class_sessions (starts_at_ms);
-- What the scheduler looks at: sessions not yet closed.
CREATE INDEX class_sessions_pending ON class_sessions (starts_at_ms) WHERE closed_at_ms IS NULL;
-- One session per meeting and start: scheduling the same term twice adds nothing.
CREATE UNIQUE INDEX class_sessions_meeting ON class_sessions (meeting_id, starts_at_ms);

-- Every change of a mark: who, when, before and after (the audit trail of corrections).
CREATE TABLE attendance_changes (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES class_sessions (id),
    student_id INTEGER NOT NULL REFERENCES users (id),
    status_before TEXT,
    status_after TEXT NOT NULL,
    source TEXT NOT NULL,
    by_user_id INTEGER REFERENCES users (id),
    at_ms INTEGER NOT NULL
);
CREATE INDEX attendance_changes_session ON attendance_changes (session_id, id);
