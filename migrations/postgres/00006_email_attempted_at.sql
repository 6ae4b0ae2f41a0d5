-- +goose Up
-- When the last SMTP attempt of an email started. A row still "sending"
-- after an attempt whose outcome is unknown (no reply before the timeout, a
-- crash, a database outage while recording it) is not tried again until
-- EMAIL_UNKNOWN_RETRY_AFTER has passed since then.
ALTER TABLE email_messages ADD COLUMN attempted_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE email_messages DROP COLUMN attempted_at;
