-- +goose Up
-- An erased owner's row stays, emptied, so counts and the audit trail's
-- pseudonym still have something to point at; erased_at says why it is
-- empty.
ALTER TABLE owners ADD COLUMN erased_at DATETIME;

-- Retention walks email_messages and vehicle_events by age.
CREATE INDEX email_messages_created ON email_messages (created_at);
CREATE INDEX vehicle_events_occurred ON vehicle_events (occurred_at);

-- +goose Down
DROP INDEX vehicle_events_occurred;
DROP INDEX email_messages_created;
ALTER TABLE owners DROP COLUMN erased_at;
