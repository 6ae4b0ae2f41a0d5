-- +goose Up
-- The campaign funnel is read from counters, not from a pass over the
-- cohort: a 200,000-vehicle campaign's funnel took seconds to compute.
-- Every change to a vehicle's part in a campaign (or to what its step
-- depends on: its owner's address, the campaign emails' outcome, its model)
-- queues the vehicle in campaign_funnel_dirty; the funnel's reader first
-- moves each queued vehicle's contribution, recorded in the counted_*
-- columns, from the counters of what it was counted as to those of what it
-- is now, and then reads the few counter rows. claimed marks the vehicles a
-- recount took, so a vehicle queued meanwhile waits for the next one.
CREATE TABLE campaign_funnel_dirty (
    campaign_id  BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    vehicle_id   BIGINT NOT NULL,
    claimed      BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (campaign_id, vehicle_id)
);
ALTER TABLE campaign_vehicles ADD COLUMN counted_step TEXT NOT NULL DEFAULT '';
ALTER TABLE campaign_vehicles ADD COLUMN counted_wave INTEGER NOT NULL DEFAULT 0;
ALTER TABLE campaign_vehicles ADD COLUMN counted_model TEXT NOT NULL DEFAULT '';
ALTER TABLE campaign_vehicles ADD COLUMN counted_country TEXT NOT NULL DEFAULT '';
ALTER TABLE campaign_vehicles ADD COLUMN counted_notice TEXT NOT NULL DEFAULT '';
ALTER TABLE campaign_vehicles ADD COLUMN counted_detail TEXT NOT NULL DEFAULT '';
ALTER TABLE campaign_vehicles ADD COLUMN counted_notified_day TEXT NOT NULL DEFAULT '';
ALTER TABLE campaign_vehicles ADD COLUMN counted_opened_day TEXT NOT NULL DEFAULT '';
ALTER TABLE campaign_vehicles ADD COLUMN counted_completed_day TEXT NOT NULL DEFAULT '';
-- An owner's rows in every campaign, marked when their address, their
-- subscription or a campaign email's outcome changes.
CREATE INDEX campaign_vehicles_owner_any ON campaign_vehicles (owner_id);
-- The last successful trip to Connect of a vehicle, for attribution.
CREATE INDEX connect_states_vehicle ON connect_states (vehicle_id, id);

-- Vehicles by their one step, per wave, model, country, attributed notice
-- ("kind:offset_seconds:revision", '' for none) and declined reason or
-- Connect error.
CREATE TABLE campaign_funnel_counts (
    campaign_id  BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    wave         INTEGER NOT NULL,
    model        TEXT NOT NULL,
    country      TEXT NOT NULL,
    step         TEXT NOT NULL,
    notice       TEXT NOT NULL,
    detail       TEXT NOT NULL,
    vehicles     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, wave, model, country, step, notice, detail)
);

-- Vehicles first notified, opened and completed on each UTC day
-- (YYYY-MM-DD), per wave, model and country.
CREATE TABLE campaign_funnel_days (
    campaign_id  BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    wave         INTEGER NOT NULL,
    model        TEXT NOT NULL,
    country      TEXT NOT NULL,
    day          TEXT NOT NULL,
    notified     BIGINT NOT NULL DEFAULT 0,
    opened       BIGINT NOT NULL DEFAULT 0,
    completed    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, wave, model, country, day)
);

-- Notices sent per step of a campaign's schedule, counted as each is sent.
CREATE TABLE campaign_notice_counts (
    campaign_id     BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    offset_seconds  BIGINT NOT NULL,
    revision        INTEGER NOT NULL,
    sent            BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, kind, offset_seconds, revision)
);
INSERT INTO campaign_notice_counts (campaign_id, kind, offset_seconds, revision, sent)
    SELECT campaign_id, kind, offset_seconds, revision, COUNT(*) FROM campaign_notices
    WHERE status = 'sent' GROUP BY campaign_id, kind, offset_seconds, revision;

-- +goose Down
DROP TABLE campaign_notice_counts;
DROP TABLE campaign_funnel_days;
DROP TABLE campaign_funnel_counts;
DROP INDEX connect_states_vehicle;
DROP INDEX campaign_vehicles_owner_any;
ALTER TABLE campaign_vehicles DROP COLUMN counted_completed_day;
ALTER TABLE campaign_vehicles DROP COLUMN counted_opened_day;
ALTER TABLE campaign_vehicles DROP COLUMN counted_notified_day;
ALTER TABLE campaign_vehicles DROP COLUMN counted_detail;
ALTER TABLE campaign_vehicles DROP COLUMN counted_notice;
ALTER TABLE campaign_vehicles DROP COLUMN counted_country;
ALTER TABLE campaign_vehicles DROP COLUMN counted_model;
ALTER TABLE campaign_vehicles DROP COLUMN counted_wave;
ALTER TABLE campaign_vehicles DROP COLUMN counted_step;
DROP TABLE campaign_funnel_dirty;
