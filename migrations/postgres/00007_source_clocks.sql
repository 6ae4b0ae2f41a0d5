-- +goose Up
-- Each source's own clock, so that its events are ordered against each other
-- by the time (or sequence) it sends, while events from different sources
-- are ordered by when we received them (last_event_at, our clock). A sender
-- whose clock runs behind or ahead then never outranks another source.
-- webhook_sequence is Smartcar's per-webhook sequence, comparable only
-- within the webhook named in webhook_sequence_scope.
ALTER TABLE vehicles ADD COLUMN webhook_sent_at TIMESTAMPTZ;
ALTER TABLE vehicles ADD COLUMN webhook_sequence BIGINT;
ALTER TABLE vehicles ADD COLUMN webhook_sequence_scope TEXT NOT NULL DEFAULT '';
ALTER TABLE vehicles ADD COLUMN report_sent_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE vehicles DROP COLUMN report_sent_at;
ALTER TABLE vehicles DROP COLUMN webhook_sequence_scope;
ALTER TABLE vehicles DROP COLUMN webhook_sequence;
ALTER TABLE vehicles DROP COLUMN webhook_sent_at;
