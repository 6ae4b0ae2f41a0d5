-- +goose Up
-- A launch commits the cohort and a job, which then writes each vehicle's
-- timeline entry and every notice the owners are owed; this is when that
-- job committed (NULL: not yet), so a job run twice writes them once.
-- Campaigns launched before the job existed wrote everything at launch.
ALTER TABLE campaigns ADD COLUMN launch_settled_at TIMESTAMPTZ;
UPDATE campaigns SET launch_settled_at = launched_at WHERE launched_at IS NOT NULL;

-- A launch writes a row here per vehicle and one per owner and step there,
-- hundreds of thousands at once, each copied from the row it names; the
-- foreign-key checks (a lookup and a row lock on the named row, per row
-- written) were more than half of a 200,000-vehicle launch. Owners,
-- vehicles and campaigns are never deleted (erasure clears columns), so
-- the cascades never ran either. SQLite keeps its checks: they are cheap
-- there, and dropping one means rebuilding the table.
ALTER TABLE campaign_vehicles
    DROP CONSTRAINT campaign_vehicles_campaign_id_fkey,
    DROP CONSTRAINT campaign_vehicles_vehicle_id_fkey,
    DROP CONSTRAINT campaign_vehicles_owner_id_fkey;
ALTER TABLE campaign_notices
    DROP CONSTRAINT campaign_notices_campaign_id_fkey,
    DROP CONSTRAINT campaign_notices_owner_id_fkey;

-- The funnel's counts read a campaign's rows through the primary key; this
-- index only made every launch write a fourth B-tree entry per vehicle.
DROP INDEX campaign_vehicles_steps;

-- +goose Down
CREATE INDEX campaign_vehicles_steps ON campaign_vehicles (campaign_id, notified_at, completed_at, declined_at);
ALTER TABLE campaign_notices
    ADD CONSTRAINT campaign_notices_campaign_id_fkey FOREIGN KEY (campaign_id) REFERENCES campaigns (id) ON DELETE CASCADE,
    ADD CONSTRAINT campaign_notices_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES owners (id) ON DELETE CASCADE;
ALTER TABLE campaign_vehicles
    ADD CONSTRAINT campaign_vehicles_campaign_id_fkey FOREIGN KEY (campaign_id) REFERENCES campaigns (id) ON DELETE CASCADE,
    ADD CONSTRAINT campaign_vehicles_vehicle_id_fkey FOREIGN KEY (vehicle_id) REFERENCES vehicles (id) ON DELETE CASCADE,
    ADD CONSTRAINT campaign_vehicles_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES owners (id) ON DELETE SET NULL;
ALTER TABLE campaigns DROP COLUMN launch_settled_at;
