-- +goose Up
-- A launch commits the cohort and a job, which then writes each vehicle's
-- timeline entry and every notice the owners are owed; this is when that
-- job committed (NULL: not yet), so a job run twice writes them once.
-- Campaigns launched before the job existed wrote everything at launch.
ALTER TABLE campaigns ADD COLUMN launch_settled_at DATETIME;
UPDATE campaigns SET launch_settled_at = launched_at WHERE launched_at IS NOT NULL;

-- The funnel's counts read a campaign's rows through the primary key; this
-- index only made every launch write a fourth B-tree entry per vehicle.
-- (PostgreSQL also drops the foreign keys of campaign_vehicles and
-- campaign_notices; SQLite's checks are cheap and cannot be dropped without
-- rebuilding the tables.)
DROP INDEX campaign_vehicles_steps;

-- +goose Down
CREATE INDEX campaign_vehicles_steps ON campaign_vehicles (campaign_id, notified_at, completed_at, declined_at);
ALTER TABLE campaigns DROP COLUMN launch_settled_at;
