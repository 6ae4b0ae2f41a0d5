-- +goose Up
ALTER TABLE vehicles ADD COLUMN snoozed_until DATETIME;

CREATE TABLE owner_links (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT NOT NULL UNIQUE,
    owner_id    INTEGER NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    vehicle_id  INTEGER REFERENCES vehicles (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL,
    return_url  TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '',
    source_ref  TEXT NOT NULL DEFAULT '',
    expires_at  DATETIME NOT NULL,
    used_at     DATETIME,
    opened_at   DATETIME,
    created_at  DATETIME NOT NULL
);
CREATE INDEX owner_links_owner ON owner_links (owner_id);
CREATE INDEX owner_links_expires ON owner_links (expires_at);

CREATE TABLE connect_states (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    state_hash   TEXT NOT NULL UNIQUE,
    session_id   TEXT NOT NULL,
    owner_id     INTEGER NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    vehicle_id   INTEGER REFERENCES vehicles (id) ON DELETE CASCADE,
    link_id      INTEGER REFERENCES owner_links (id) ON DELETE SET NULL,
    flow         TEXT NOT NULL,
    prev_state   TEXT NOT NULL DEFAULT '',
    prev_reason  TEXT NOT NULL DEFAULT '',
    expires_at   DATETIME NOT NULL,
    used_at      DATETIME,
    created_at   DATETIME NOT NULL
);
CREATE INDEX connect_states_expires ON connect_states (expires_at);

CREATE TABLE smartcar_tokens (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    smartcar_user_id    TEXT NOT NULL UNIQUE,
    owner_id            INTEGER REFERENCES owners (id) ON DELETE SET NULL,
    access_token        TEXT NOT NULL,
    refresh_token       TEXT NOT NULL,
    access_expires_at   DATETIME NOT NULL,
    refresh_expires_at  DATETIME NOT NULL,
    created_at          DATETIME NOT NULL,
    updated_at          DATETIME NOT NULL
);
CREATE INDEX smartcar_tokens_refresh ON smartcar_tokens (refresh_expires_at);

CREATE TABLE api_keys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    last_used_at  DATETIME,
    revoked_at    DATETIME,
    created_at    DATETIME NOT NULL
);

CREATE TABLE rate_limits (
    bucket       TEXT NOT NULL,
    window_start DATETIME NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

-- +goose Down
DROP TABLE rate_limits;
DROP TABLE api_keys;
DROP TABLE smartcar_tokens;
DROP TABLE connect_states;
DROP TABLE owner_links;
ALTER TABLE vehicles DROP COLUMN snoozed_until;
