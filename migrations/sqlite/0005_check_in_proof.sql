-- Check-in that proves presence. A class's check-in rules (JSON: rotating code, one student per
-- device, allowed networks), which a session may override with its own; NULL: the defaults.
-- `code_secret` (hex) is the key a session's rotating codes are derived from, drawn when it opens.
ALTER TABLE classes ADD COLUMN check_in_rules TEXT;
ALTER TABLE class_sessions ADD COLUMN check_in_rules TEXT;
ALTER TABLE class_sessions ADD COLUMN code_secret TEXT;

-- Every check-in attempt that got past the sign-in: accepted, held for review or refused, with
-- the device (a random id the browser keeps), address and browser it came from. Held ones
-- carry the teacher's review. `ip` and `user_agent` are erased after the retention period.
CREATE TABLE check_in_attempts (
    id INTEGER PRIMARY KEY,
    session_id INTEGER REFERENCES class_sessions (id),
    student_id INTEGER NOT NULL REFERENCES users (id),
    at_ms INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'held', 'refused')),
    -- The refusal, or the hold reasons (comma-separated).
    reason TEXT,
    -- The mark it gave (accepted) or would give once accepted (held).
    status TEXT CHECK (status IN ('present', 'late')),
    code TEXT NOT NULL,
    -- The rotating code's window; NULL for a fixed code.
    code_window INTEGER,
    device_id TEXT,
    ip TEXT,
    user_agent TEXT,
    review TEXT CHECK (review IN ('pending', 'accepted', 'rejected', 'superseded')),
    reviewed_by INTEGER REFERENCES users (id),
    reviewed_at_ms INTEGER
);
CREATE INDEX check_in_attempts_session ON check_in_attempts (session_id, id);
CREATE INDEX check_in_attempts_device ON check_in_attempts (session_id, device_id);
CREATE INDEX check_in_attempts_at ON check_in_attempts (at_ms);
-- One check-in per student waits for review at a time: a retry finds it.
CREATE UNIQUE INDEX check_in_attempts_pending ON check_in_attempts (session_id, student_id)
    WHERE review = 'pending';
