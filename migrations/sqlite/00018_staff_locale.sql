-- +goose Up
-- The language a staff member chose for the console; empty follows their
-- browser's Accept-Language.
ALTER TABLE staff ADD COLUMN locale TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE staff DROP COLUMN locale;
