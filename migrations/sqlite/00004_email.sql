-- +goose Up
-- An owner who unsubscribed gets no more reconnect emails; a link they ask
-- for themselves still arrives.
ALTER TABLE owners ADD COLUMN unsubscribed_at DATETIME;

-- The email log: one row per email we decided to send, written before the
-- SMTP attempt. dedupe_key makes each scheduled step (owner, episode, seq)
-- exist once, so a retry or a restart finds the row and never makes a second
-- email; message_id is fixed with the row, so every attempt carries the same
-- Message-ID and links minted for it name it as their source.
CREATE TABLE email_messages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id   TEXT NOT NULL UNIQUE,
    dedupe_key   TEXT NOT NULL UNIQUE,
    owner_id     INTEGER NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    vehicle_id   INTEGER REFERENCES vehicles (id) ON DELETE SET NULL,
    kind         TEXT NOT NULL,
    source       TEXT NOT NULL DEFAULT '',
    episode      INTEGER NOT NULL DEFAULT 0,
    seq          INTEGER NOT NULL DEFAULT 0,
    status       TEXT NOT NULL DEFAULT 'pending',
    attempts     INTEGER NOT NULL DEFAULT 0,
    to_address   TEXT NOT NULL DEFAULT '',
    subject      TEXT NOT NULL DEFAULT '',
    vehicle_ids  TEXT NOT NULL DEFAULT '',
    error_code   INTEGER NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT '',
    sent_at      DATETIME,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL
);
CREATE INDEX email_messages_owner ON email_messages (owner_id, id);

-- The reminder schedule, one row per owner. An episode starts when an owner
-- first has a car that needs them and ends when none does; due_at is when
-- the next email should go out (NULL: nothing planned). The row, not the job
-- queue, is the truth: jobs only wake the sender, which re-reads it.
CREATE TABLE owner_notifications (
    owner_id       INTEGER PRIMARY KEY REFERENCES owners (id) ON DELETE CASCADE,
    episode        INTEGER NOT NULL DEFAULT 0,
    active         INTEGER NOT NULL DEFAULT 0,
    started_at     DATETIME,
    due_at         DATETIME,
    sent_count     INTEGER NOT NULL DEFAULT 0,
    first_sent_at  DATETIME,
    last_sent_at   DATETIME,
    updated_at     DATETIME NOT NULL
);
CREATE INDEX owner_notifications_due ON owner_notifications (due_at) WHERE due_at IS NOT NULL;

-- One unsubscribe token per email attempt, kept as a hash; every email ever
-- sent keeps a working unsubscribe link.
CREATE TABLE unsubscribe_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT NOT NULL UNIQUE,
    owner_id    INTEGER NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    email_id    INTEGER REFERENCES email_messages (id) ON DELETE SET NULL,
    used_at     DATETIME,
    created_at  DATETIME NOT NULL
);

-- +goose Down
DROP TABLE unsubscribe_tokens;
DROP TABLE owner_notifications;
DROP TABLE email_messages;
ALTER TABLE owners DROP COLUMN unsubscribed_at;
