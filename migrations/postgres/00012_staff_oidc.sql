-- +goose Up
-- Staff who sign in through the company's OpenID Connect provider are known
-- by the provider's issuer and their subject there, which never change,
-- rather than by email, which can. NULL for accounts that have only a
-- password; one account per identity.
ALTER TABLE staff ADD COLUMN oidc_issuer TEXT;
ALTER TABLE staff ADD COLUMN oidc_subject TEXT;
CREATE UNIQUE INDEX staff_oidc_identity ON staff (oidc_issuer, oidc_subject);

-- The sign-in states already spent, by hash, so that a callback replayed
-- with the same cookie is refused on every instance. A row is useless once
-- its state has expired and is deleted by the next sign-in.
CREATE TABLE staff_oidc_states (
    state_hash  TEXT PRIMARY KEY,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX staff_oidc_states_expires ON staff_oidc_states (expires_at);

-- +goose Down
DROP TABLE staff_oidc_states;
DROP INDEX staff_oidc_identity;
ALTER TABLE staff DROP COLUMN oidc_subject;
ALTER TABLE staff DROP COLUMN oidc_issuer;
