-- +goose Up
-- The inbox: every Smartcar webhook and host-reported error, written before
-- it is acknowledged and processed later in batches. event_id deduplicates
-- Smartcar's retries; processed_at is set in the transaction that applies
-- the event, so a crash at any point leaves it either fully applied or
-- still pending.
CREATE TABLE webhook_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id      TEXT NOT NULL UNIQUE,
    source        TEXT NOT NULL,
    event_type    TEXT NOT NULL,
    vehicle_id    TEXT NOT NULL DEFAULT '',
    body          BLOB NOT NULL,
    delivered_at  DATETIME,
    received_at   DATETIME NOT NULL,
    processed_at  DATETIME,
    status        TEXT NOT NULL DEFAULT 'pending',
    error         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_events_pending ON webhook_events (id) WHERE processed_at IS NULL;
CREATE INDEX webhook_events_received ON webhook_events (received_at);

-- last_event_at is the time of the newest event that decided the vehicle's
-- state, so an older event delivered late never overrides it.
ALTER TABLE vehicles ADD COLUMN last_event_at DATETIME;
ALTER TABLE vehicles ADD COLUMN last_health_check_at DATETIME;

-- A refresh that failed for good is not retried until the pair is replaced
-- (updated_at moves past refresh_failed_at).
ALTER TABLE smartcar_tokens ADD COLUMN refresh_failed_at DATETIME;
ALTER TABLE smartcar_tokens ADD COLUMN refresh_error TEXT NOT NULL DEFAULT '';

-- Outgoing webhooks to the host app: one row per message, retried by the
-- job queue; the row is the delivery log.
CREATE TABLE host_webhook_deliveries (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id        TEXT NOT NULL UNIQUE,
    event_type        TEXT NOT NULL,
    vehicle_id        INTEGER REFERENCES vehicles (id) ON DELETE SET NULL,
    owner_id          INTEGER REFERENCES owners (id) ON DELETE SET NULL,
    url               TEXT NOT NULL,
    payload           TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending',
    attempts          INTEGER NOT NULL DEFAULT 0,
    last_status_code  INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT NOT NULL DEFAULT '',
    last_attempt_at   DATETIME,
    delivered_at      DATETIME,
    created_at        DATETIME NOT NULL
);
CREATE INDEX host_webhook_deliveries_vehicle ON host_webhook_deliveries (vehicle_id);
CREATE INDEX host_webhook_deliveries_created ON host_webhook_deliveries (created_at);

-- +goose Down
DROP TABLE host_webhook_deliveries;
ALTER TABLE smartcar_tokens DROP COLUMN refresh_error;
ALTER TABLE smartcar_tokens DROP COLUMN refresh_failed_at;
ALTER TABLE vehicles DROP COLUMN last_health_check_at;
ALTER TABLE vehicles DROP COLUMN last_event_at;
DROP TABLE webhook_events;
