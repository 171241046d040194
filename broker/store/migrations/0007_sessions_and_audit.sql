-- Sessions that can be ended: a session cookie names the epoch of its user's sessions;
-- logging out, a password change or a reset moves the epoch on, and every cookie made
-- before (copied ones too) stops opening the console.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;

-- API tokens listed and revoked one by one, by a number that is not the secret.
ALTER TABLE api_tokens ADD COLUMN revoked TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used TEXT;

-- Who logged in, who failed, who logged out, which password and token changed: for the
-- managers, newest first.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    event    TEXT NOT NULL,
    username TEXT NOT NULL,
    address  TEXT NOT NULL,
    detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_time ON audit_log (at);
