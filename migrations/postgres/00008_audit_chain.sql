-- +goose Up
-- Owners appear in the audit log by a random pseudonym, never by a value
-- that identifies them (host user id, email), so erasing an owner changes
-- nothing in the trail and the trail keeps nothing to erase.
ALTER TABLE owners ADD COLUMN audit_id TEXT NOT NULL DEFAULT '';
UPDATE owners SET audit_id = replace(gen_random_uuid()::text, '-', '');

-- Rows written before this migration are rewritten once, here, before the
-- chain begins: the host user id becomes the owner's pseudonym, and the two
-- kinds of detail that held an owner's personal values lose them. Disabling
-- a trigger needs the table's owner, which is who migrates.
ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change;
ALTER TABLE audit_log RENAME COLUMN owner_host_user_id TO owner_ref;
UPDATE audit_log SET owner_ref = COALESCE((SELECT audit_id FROM owners WHERE owners.id = audit_log.owner_id), '');
UPDATE audit_log SET detail = 'to the owner''s address' WHERE action = 'link.emailed';
UPDATE audit_log SET detail = split_part(detail, '"', 1) || 'a query (not kept)'
    WHERE action = 'owner.searched' AND strpos(detail, '"') > 0;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change;

-- The hash chain: each row stores the previous row's hash and its own,
-- SHA-256 over its fields and the previous hash (internal/store/audit_log.go
-- has the encoding). Rows from before the chain keep an empty hash; the
-- first chained row's prev_hash covers them all. NOT VALID: the constraint
-- holds for every row written from now on.
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD CONSTRAINT audit_log_chained CHECK (hash <> '') NOT VALID;

-- +goose Down
ALTER TABLE audit_log DROP CONSTRAINT audit_log_chained;
ALTER TABLE audit_log DROP COLUMN hash;
ALTER TABLE audit_log DROP COLUMN prev_hash;
ALTER TABLE audit_log RENAME COLUMN owner_ref TO owner_host_user_id;
ALTER TABLE owners DROP COLUMN audit_id;
