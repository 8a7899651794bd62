-- Set when an administrator resets a user's password: the user must choose a new one before
-- doing anything else. 0/1, like every boolean in this schema.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;

-- Ending every sign-in of a user (password change or reset) looks them up by user.
CREATE INDEX auth_sessions_user ON auth_sessions (user_id);
