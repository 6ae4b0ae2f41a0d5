-- +goose Up
-- Support staff. Passwords are argon2id hashes; a new member (or one who
-- lost their password) gets a one-time link, kept here only as a hash.
CREATE TABLE staff (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    email                   TEXT NOT NULL UNIQUE,
    name                    TEXT NOT NULL DEFAULT '',
    role                    TEXT NOT NULL CHECK (role IN ('agent', 'admin')),
    password_hash           TEXT NOT NULL DEFAULT '',
    failed_attempts         INTEGER NOT NULL DEFAULT 0,
    locked_until            DATETIME,
    password_token_hash     TEXT UNIQUE,
    password_token_expires  DATETIME,
    disabled_at             DATETIME,
    last_login_at           DATETIME,
    created_at              DATETIME NOT NULL,
    updated_at              DATETIME NOT NULL
);

-- A signed-in browser. The cookie holds a random token; the row lets logout,
-- inactivity and a disabled account end the session on every instance.
CREATE TABLE staff_sessions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash    TEXT NOT NULL UNIQUE,
    staff_id      INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    ip            TEXT NOT NULL DEFAULT '',
    user_agent    TEXT NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL,
    last_seen_at  DATETIME NOT NULL,
    expires_at    DATETIME NOT NULL,
    ended_at      DATETIME
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);
CREATE INDEX staff_sessions_expires ON staff_sessions (expires_at);

-- "View as owner": bound to the console session that started it, so logging
-- out of the console ends it.
CREATE TABLE impersonations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id  INTEGER REFERENCES staff_sessions (id) ON DELETE SET NULL,
    staff_id    INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    owner_id    INTEGER NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    reason      TEXT NOT NULL,
    started_at  DATETIME NOT NULL,
    expires_at  DATETIME NOT NULL,
    ended_at    DATETIME,
    end_reason  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX impersonations_open ON impersonations (session_id) WHERE ended_at IS NULL;
CREATE INDEX impersonations_open_expiry ON impersonations (expires_at) WHERE ended_at IS NULL;

-- Every look into an owner's account and every staff action. No foreign keys:
-- the trail must outlive the owner and the staff row it names, which is why
-- both are copied in by name as well as by id.
CREATE TABLE audit_log (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id            INTEGER,
    staff_email         TEXT NOT NULL DEFAULT '',
    owner_id            INTEGER,
    owner_host_user_id  TEXT NOT NULL DEFAULT '',
    action              TEXT NOT NULL,
    reason              TEXT NOT NULL DEFAULT '',
    detail              TEXT NOT NULL DEFAULT '',
    ip                  TEXT NOT NULL DEFAULT '',
    user_agent          TEXT NOT NULL DEFAULT '',
    at                  DATETIME NOT NULL
);
CREATE INDEX audit_log_owner ON audit_log (owner_id, id);
CREATE INDEX audit_log_staff ON audit_log (staff_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

-- Append-only, enforced by the database and not only by the code.
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd

-- Console search needs no new index here: SQLite's indexes on vin,
-- smartcar_id, email and host_user_id end in the rowid, which is the id, so
-- they already serve a page ordered by (value, id).

-- +goose Down
DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_log_no_update;
DROP TABLE audit_log;
DROP TABLE impersonations;
DROP TABLE staff_sessions;
DROP TABLE staff;
