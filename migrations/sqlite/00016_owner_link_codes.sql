-- +goose Up
-- A short code support staff read out over the phone beside a fresh link:
-- the owner types it at /code and the link it belongs to opens their page.
-- Only the code's hash is kept; a code works once and for 15 minutes.
CREATE TABLE owner_link_codes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    link_id     INTEGER NOT NULL REFERENCES owner_links (id) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL UNIQUE,
    expires_at  DATETIME NOT NULL,
    used_at     DATETIME,
    created_at  DATETIME NOT NULL
);
CREATE INDEX owner_link_codes_link ON owner_link_codes (link_id);
CREATE INDEX owner_link_codes_expires ON owner_link_codes (expires_at);

-- +goose Down
DROP TABLE owner_link_codes;
