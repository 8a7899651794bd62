-- Absence excuses, one row per student and class: a student (or staff for them) explains an
-- absence over inclusive local dates; a teacher of the class or an admin decides. `from_ms` and
-- `until_ms` are the range on the school's clock when it was submitted ([from, until)), so
-- sessions are matched by their start without time-zone work in SQL.
CREATE TABLE excuses (
    id BIGSERIAL PRIMARY KEY,
    student_id BIGINT NOT NULL REFERENCES users (id),
    class_id BIGINT NOT NULL REFERENCES classes (id),
    first_day TEXT NOT NULL,
    last_day TEXT NOT NULL,
    from_ms BIGINT NOT NULL,
    until_ms BIGINT NOT NULL,
    reason TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'declined', 'withdrawn')),
    submitted_by BIGINT NOT NULL REFERENCES users (id),
    submitted_at_ms BIGINT NOT NULL,
    decided_by BIGINT REFERENCES users (id),
    decided_at_ms BIGINT
);
CREATE INDEX excuses_class ON excuses (class_id, state, from_ms);
CREATE INDEX excuses_student ON excuses (student_id, from_ms);
-- Sending the same excuse twice (a retry, a double click) finds the first one.
CREATE UNIQUE INDEX excuses_same ON excuses (student_id, class_id, first_day, last_day)
    WHERE state IN ('pending', 'approved');
