-- +goose Up
-- What the host's mail provider reported late about an email we sent (by
-- its Message-ID): a bounce (permanent or not) and a spam complaint. A
-- permanent bounce makes an owner unreachable in a campaign's funnel when
-- no other email reached them; a complaint unsubscribes them.
ALTER TABLE email_messages ADD COLUMN bounced_at TIMESTAMPTZ;
ALTER TABLE email_messages ADD COLUMN bounce_permanent BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE email_messages ADD COLUMN complained_at TIMESTAMPTZ;

-- Why a campaign paused itself (empty: staff paused it, or it never did)
-- and the numbers that tripped it (JSON), for the console's banner; and
-- when it was last resumed, from which the safety checks count again.
ALTER TABLE campaigns ADD COLUMN pause_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN pause_detail TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN resumed_at TIMESTAMPTZ;

-- A phone number (E.164) for support to call an owner who is stuck.
ALTER TABLE owners ADD COLUMN phone TEXT NOT NULL DEFAULT '';

-- The email a bounce or complaint names leads to the campaigns whose
-- notices it carried.
CREATE INDEX campaign_notices_email ON campaign_notices (email_message_id) WHERE email_message_id <> '';

-- +goose Down
DROP INDEX campaign_notices_email;
ALTER TABLE owners DROP COLUMN phone;
ALTER TABLE campaigns DROP COLUMN resumed_at;
ALTER TABLE campaigns DROP COLUMN pause_detail;
ALTER TABLE campaigns DROP COLUMN pause_reason;
ALTER TABLE email_messages DROP COLUMN complained_at;
ALTER TABLE email_messages DROP COLUMN bounce_permanent;
ALTER TABLE email_messages DROP COLUMN bounced_at;
