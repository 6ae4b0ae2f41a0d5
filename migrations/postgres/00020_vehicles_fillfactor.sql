-- +goose Up
-- Applying a backlog rewrites each vehicle's row for its event clocks
-- (last_event_at, the source clocks), none of which is indexed. With full
-- pages every such update put a new row version on another page and a new
-- entry in each of the table's eleven indexes; with room left on the page,
-- PostgreSQL keeps the new version beside the old one and touches no index
-- (a heap-only tuple). New pages keep a fifth free; pages already written
-- keep theirs until the table is rewritten (VACUUM FULL), so an existing
-- install gains as its table grows or after a rewrite at a quiet hour.
ALTER TABLE vehicles SET (fillfactor = 80);

-- +goose Down
ALTER TABLE vehicles RESET (fillfactor);
