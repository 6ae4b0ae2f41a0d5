-- +goose Up
-- Owners appear in the audit log by a random pseudonym, never by a value
-- that identifies them (host user id, email), so erasing an owner changes
-- nothing in the trail and the trail keeps nothing to erase.
ALTER TABLE owners ADD COLUMN audit_id TEXT NOT NULL DEFAULT '';
UPDATE owners SET audit_id = lower(hex(randomblob(16)));

-- Rows written before this migration are rewritten once, here, before the
-- chain begins: the host user id becomes the owner's pseudonym, and the two
-- kinds of detail that held an owner's personal values lose them.
DROP TRIGGER audit_log_no_update;
ALTER TABLE audit_log RENAME COLUMN owner_host_user_id TO owner_ref;
UPDATE audit_log SET owner_ref = COALESCE((SELECT audit_id FROM owners WHERE owners.id = audit_log.owner_id), '');
UPDATE audit_log SET detail = 'to the owner''s address' WHERE action = 'link.emailed';
UPDATE audit_log SET detail = substr(detail, 1, instr(detail, '"') - 1) || 'a query (not kept)'
    WHERE action = 'owner.searched' AND instr(detail, '"') > 0;
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd

-- The hash chain: each row stores the previous row's hash and its own,
-- SHA-256 over its fields and the previous hash (internal/store/audit_log.go
-- has the encoding). Rows from before the chain keep an empty hash; the
-- first chained row's prev_hash covers them all.
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN hash TEXT NOT NULL DEFAULT '';

-- INSERT OR REPLACE (and REPLACE INTO) would delete the old row without
-- firing the delete trigger and write a new one under the same id, so an
-- insert that names an existing id is refused; so is a row outside the chain.
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_chained BEFORE INSERT ON audit_log
WHEN NEW.hash = ''
BEGIN
    SELECT RAISE(ABORT, 'audit_log rows must carry their chain hash');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_log_chained;
DROP TRIGGER audit_log_no_replace;
ALTER TABLE audit_log DROP COLUMN hash;
ALTER TABLE audit_log DROP COLUMN prev_hash;
ALTER TABLE audit_log RENAME COLUMN owner_ref TO owner_host_user_id;
ALTER TABLE owners DROP COLUMN audit_id;
