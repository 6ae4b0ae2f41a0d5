-- +goose Up
-- Suspected migrations: many cars of one make needing re-authentication
-- within an hour, with no campaign covering them. One row per make and UTC
-- day (day is YYYY-MM-DD): the unique key is what makes it raised once,
-- however many instances check at the same time.
CREATE TABLE suspected_migrations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    make            TEXT NOT NULL,
    day             TEXT NOT NULL,
    vehicle_count   INTEGER NOT NULL,
    connected_count INTEGER NOT NULL,
    first_error     TEXT NOT NULL DEFAULT '',
    first_break_at  DATETIME NOT NULL,
    raised_at       DATETIME NOT NULL,
    UNIQUE (make, day)
);
CREATE INDEX suspected_migrations_raised ON suspected_migrations (raised_at);

-- The check counts the cars that newly needed re-authentication in the
-- window; this index holds only those events, so a burst of other events
-- costs it nothing.
CREATE INDEX vehicle_events_breaks ON vehicle_events (occurred_at)
    WHERE kind = 'state_changed' AND to_state = 'needs_reauth' AND from_state = 'connected';

-- Owners who need a person: one row per episode of a broken car. The
-- episode is named by the timeline entry of the break that started it
-- (episode_event_id; 0: none kept); once the car is reconnected and breaks
-- again, the row belongs to a past episode and the next escalation closes
-- it (resolved_at). The partial unique index keeps one open row per car, so
-- the escalation and its webhook happen once per episode, without any work
-- on the state changes themselves.
CREATE TABLE support_escalations (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    vehicle_id       INTEGER NOT NULL REFERENCES vehicles (id) ON DELETE CASCADE,
    owner_id         INTEGER REFERENCES owners (id) ON DELETE CASCADE,
    campaign_id      INTEGER REFERENCES campaigns (id) ON DELETE SET NULL,
    reason           TEXT NOT NULL,
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    episode_event_id INTEGER NOT NULL DEFAULT 0,
    raised_at        DATETIME NOT NULL,
    resolved_at      DATETIME
);
CREATE UNIQUE INDEX support_escalations_open ON support_escalations (vehicle_id) WHERE resolved_at IS NULL;
CREATE INDEX support_escalations_campaign ON support_escalations (campaign_id, id) WHERE resolved_at IS NULL;

-- +goose Down
DROP TABLE support_escalations;
DROP INDEX vehicle_events_breaks;
DROP TABLE suspected_migrations;
