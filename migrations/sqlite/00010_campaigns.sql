-- +goose Up
-- Where a vehicle is registered (ISO 3166-1 alpha-2; NULL: unknown) and how
-- early a campaign's waves reach it (higher first), both from the host.
ALTER TABLE vehicles ADD COLUMN country TEXT;
ALTER TABLE vehicles ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
-- Cohort matching: a campaign names a make, then narrows by model, year and
-- country, in that order.
CREATE INDEX vehicles_cohort ON vehicles (make, model, year, country);

-- Migration campaigns. models, countries and notice_offsets (seconds from
-- the cut-over, ascending) are JSON arrays; custom_message is a JSON object
-- by language tag. request_hash is a digest of the create request, so that
-- a retry with the same idempotency_key and another body is refused.
CREATE TABLE campaigns (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    name                TEXT NOT NULL,
    state               TEXT NOT NULL DEFAULT 'draft',
    make                TEXT NOT NULL,
    models              TEXT NOT NULL DEFAULT '[]',
    year_from           INTEGER NOT NULL DEFAULT 0,
    year_to             INTEGER NOT NULL DEFAULT 0,
    countries           TEXT NOT NULL DEFAULT '[]',
    has_vehicle_list    INTEGER NOT NULL DEFAULT 0,
    reason              TEXT NOT NULL,
    custom_message      TEXT NOT NULL DEFAULT '{}',
    cutover_at          DATETIME NOT NULL,
    cutover_revision    INTEGER NOT NULL DEFAULT 0,
    breaks_connections  INTEGER NOT NULL DEFAULT 1,
    repair_flow         TEXT NOT NULL,
    notice_offsets      TEXT NOT NULL DEFAULT '[]',
    first_wave          INTEGER NOT NULL DEFAULT 100,
    wave_hold           INTEGER NOT NULL DEFAULT 0,
    idempotency_key     TEXT UNIQUE,
    request_hash        TEXT NOT NULL DEFAULT '',
    created_at          DATETIME NOT NULL,
    updated_at          DATETIME NOT NULL,
    launched_at         DATETIME,
    paused_at           DATETIME,
    finished_at         DATETIME,
    cancelled_at        DATETIME
);
CREATE INDEX campaigns_state ON campaigns (state, cutover_at);

-- A campaign's explicit vehicle list: each line a Smartcar vehicle id or a
-- VIN, matched against both when the cohort is drawn.
CREATE TABLE campaign_targets (
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    ref          TEXT NOT NULL,
    PRIMARY KEY (campaign_id, ref)
);

-- A launched campaign's cohort, one row per vehicle, with the clock of each
-- step of its funnel.
CREATE TABLE campaign_vehicles (
    campaign_id       INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    vehicle_id        INTEGER NOT NULL REFERENCES vehicles (id) ON DELETE CASCADE,
    owner_id          INTEGER REFERENCES owners (id) ON DELETE SET NULL,
    joined_at         DATETIME NOT NULL,
    wave              INTEGER NOT NULL DEFAULT 1,
    released_at       DATETIME NOT NULL,
    notified_at       DATETIME,
    opened_at         DATETIME,
    started_at        DATETIME,
    completed_at      DATETIME,
    completed_source  TEXT NOT NULL DEFAULT '',
    declined_at       DATETIME,
    declined_reason   TEXT NOT NULL DEFAULT '',
    failed_at         DATETIME,
    failed_error      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, vehicle_id)
);
-- A vehicle's campaigns (completion, the owner's card); an owner's vehicles
-- in a campaign (ending notices); the funnel's counts by step.
CREATE INDEX campaign_vehicles_vehicle ON campaign_vehicles (vehicle_id);
CREATE INDEX campaign_vehicles_owner ON campaign_vehicles (campaign_id, owner_id);
CREATE INDEX campaign_vehicles_steps ON campaign_vehicles (campaign_id, notified_at, completed_at, declined_at);

-- Each notice a campaign owes an owner, written before it is sent (at launch,
-- when a vehicle joins, when the cut-over moves), so that a crash loses and
-- duplicates nothing: the unique key makes each step exist once however
-- often it is written. revision is 0 for the schedule and the cut-over's
-- revision for a "new date" notice.
CREATE TABLE campaign_notices (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id       INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    owner_id          INTEGER NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    kind              TEXT NOT NULL DEFAULT 'scheduled',
    offset_seconds    INTEGER NOT NULL,
    revision          INTEGER NOT NULL DEFAULT 0,
    due_at            DATETIME NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending',
    skip_reason       TEXT NOT NULL DEFAULT '',
    email_message_id  TEXT NOT NULL DEFAULT '',
    sent_at           DATETIME,
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL,
    UNIQUE (campaign_id, owner_id, offset_seconds, revision)
);
-- The sender's query; an owner's notices in a campaign are found through
-- the unique key.
CREATE INDEX campaign_notices_due ON campaign_notices (due_at) WHERE status = 'pending';

-- +goose Down
DROP TABLE campaign_notices;
DROP TABLE campaign_vehicles;
DROP TABLE campaign_targets;
DROP TABLE campaigns;
DROP INDEX vehicles_cohort;
ALTER TABLE vehicles DROP COLUMN priority;
ALTER TABLE vehicles DROP COLUMN country;
