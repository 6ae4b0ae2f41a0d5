-- +goose Up
-- PostgreSQL leaves room on the vehicles table's pages for updates in place
-- (fillfactor). SQLite has no such setting; the version is kept so that both
-- databases share their numbering.
SELECT 1;

-- +goose Down
SELECT 1;
