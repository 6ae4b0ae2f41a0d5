-- +goose Up
-- How a trip to Connect ended, so that reloading the result page shows the
-- success again instead of "this page has expired" ('' until it ends;
-- 'fixed', 'failed' or 'unverified'). prev_scopes is the grant the car had
-- before a full Connect, to notice when Smartcar grants less.
ALTER TABLE connect_states ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE connect_states ADD COLUMN prev_scopes TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE connect_states DROP COLUMN prev_scopes;
ALTER TABLE connect_states DROP COLUMN outcome;
