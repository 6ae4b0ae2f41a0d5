// Tables: every one. The classification of every column as personal or not,
// and erasing an owner's personal data by it.

package store

import (
	"context"
	"fmt"
	"strings"
)

// Column classifies one column. Personal says why it is personal data ("" for
// a column that is not); Erase is the SQL expression an owner's erasure sets
// it to in the owner's rows (see ownerRows), "" when the erasure deletes
// those rows instead (see erasedRows) or when the person is not an owner
// (staff).
//
// Every column of every table is listed; a test reads the database's
// catalog after migrations and fails on a column missing here. A new
// personal column of an owner's needs an Erase (or its table in
// erasedRows), and a new table holding owners' rows needs its rows in
// ownerRows: then the erasure clears it with no other change.
type Column struct {
	Table, Name string
	Personal    string
	Erase       string
}

// Columns is the classification. Columns not named personal hold states,
// counts, times, our own ids, hashes of secrets we minted, or product
// vocabulary.
var Columns = []Column{
	column("owners", "id", "", ""),
	column("owners", "host_user_id", "the host app's id for the person; the host can name them by it", "'erased-' || audit_id"),
	column("owners", "email", "their email address", "''"),
	column("owners", "name", "their name", "''"),
	column("owners", "locale", "their language, a trait of the person", "''"),
	column("owners", "time_zone", "where they live, roughly", "''"),
	column("owners", "created_at", "", ""),
	column("owners", "updated_at", "", ""),
	column("owners", "unsubscribed_at", "", ""),
	column("owners", "audit_id", "", ""), // random; names them in the audit log and nowhere else
	column("owners", "erased_at", "", ""),
	column("owners", "phone", "their phone number, for support to call", "''"),

	column("vehicles", "id", "", ""),
	column("vehicles", "smartcar_id", "Smartcar's id of their car, which Smartcar and the host can name them by", "'erased-' || CAST(id AS TEXT)"),
	column("vehicles", "owner_id", "", ""),
	column("vehicles", "smartcar_user_id", "Smartcar's id of the person", "''"),
	column("vehicles", "external_id", "the host user id, as Smartcar carries it", "''"),
	column("vehicles", "make", "", ""),
	column("vehicles", "model", "", ""),
	column("vehicles", "year", "", ""),
	column("vehicles", "vin", "the car's VIN identifies it and, through registers, its keeper", "''"),
	column("vehicles", "nickname", "a name they gave their car", "''"),
	column("vehicles", "state", "", ""),
	column("vehicles", "reason", "", ""),
	column("vehicles", "reason_detail", "Smartcar's description of the error, which can quote account details", "''"),
	column("vehicles", "resolution_url", "a carmaker URL that can carry account identifiers", "''"),
	column("vehicles", "state_changed_at", "", ""),
	column("vehicles", "last_signal_at", "", ""),
	column("vehicles", "created_at", "", ""),
	column("vehicles", "updated_at", "", ""),
	column("vehicles", "snoozed_until", "", ""),
	column("vehicles", "last_event_at", "", ""),
	column("vehicles", "last_health_check_at", "", ""),

	column("vehicle_events", "id", "", ""),
	column("vehicle_events", "vehicle_id", "", ""),
	column("vehicle_events", "owner_id", "", ""),
	column("vehicle_events", "kind", "", ""),
	column("vehicle_events", "source", "", ""),
	column("vehicle_events", "from_state", "", ""),
	column("vehicle_events", "to_state", "", ""),
	column("vehicle_events", "detail", "event details: Smartcar error texts, email outcomes, the owner's own reasons", "''"),
	column("vehicle_events", "occurred_at", "", ""),
	column("vehicle_events", "created_at", "", ""),

	column("owner_links", "id", "", ""),
	column("owner_links", "token_hash", "a credential to their page", ""),
	column("owner_links", "owner_id", "", ""),
	column("owner_links", "vehicle_id", "", ""),
	column("owner_links", "purpose", "", ""),
	column("owner_links", "return_url", "a host URL that can carry their ids", ""),
	column("owner_links", "source", "", ""),
	column("owner_links", "source_ref", "the email that carried the link", ""),
	column("owner_links", "expires_at", "", ""),
	column("owner_links", "used_at", "", ""),
	column("owner_links", "opened_at", "", ""),
	column("owner_links", "created_at", "", ""),

	column("owner_link_codes", "id", "", ""),
	column("owner_link_codes", "link_id", "", ""),
	column("owner_link_codes", "code_hash", "a credential to their page", ""),
	column("owner_link_codes", "expires_at", "", ""),
	column("owner_link_codes", "used_at", "", ""),
	column("owner_link_codes", "created_at", "", ""),

	column("connect_states", "id", "", ""),
	column("connect_states", "outcome", "", ""),
	column("connect_states", "prev_scopes", "", ""),
	column("connect_states", "state_hash", "", ""),
	column("connect_states", "session_id", "their browser session", ""),
	column("connect_states", "owner_id", "", ""),
	column("connect_states", "vehicle_id", "", ""),
	column("connect_states", "link_id", "", ""),
	column("connect_states", "flow", "", ""),
	column("connect_states", "prev_state", "", ""),
	column("connect_states", "prev_reason", "", ""),
	column("connect_states", "expires_at", "", ""),
	column("connect_states", "used_at", "", ""),
	column("connect_states", "created_at", "", ""),

	column("smartcar_tokens", "id", "", ""),
	column("smartcar_tokens", "smartcar_user_id", "Smartcar's id of the person", ""),
	column("smartcar_tokens", "owner_id", "", ""),
	column("smartcar_tokens", "access_token", "access to their car's data (sealed)", ""),
	column("smartcar_tokens", "refresh_token", "access to their car's data (sealed)", ""),
	column("smartcar_tokens", "access_expires_at", "", ""),
	column("smartcar_tokens", "refresh_expires_at", "", ""),
	column("smartcar_tokens", "created_at", "", ""),
	column("smartcar_tokens", "updated_at", "", ""),
	column("smartcar_tokens", "refresh_failed_at", "", ""),
	column("smartcar_tokens", "refresh_error", "Smartcar's refusal text", ""),

	column("api_keys", "id", "", ""),
	column("api_keys", "name", "", ""),
	column("api_keys", "prefix", "", ""),
	column("api_keys", "key_hash", "", ""),
	column("api_keys", "last_used_at", "", ""),
	column("api_keys", "revoked_at", "", ""),
	column("api_keys", "created_at", "", ""),

	column("rate_limits", "bucket", "a staff member's sign-in address (staff, not owners)", ""),
	column("rate_limits", "window_start", "", ""),
	column("rate_limits", "hits", "", ""),

	column("webhook_events", "id", "", ""),
	column("webhook_events", "event_id", "", ""),
	column("webhook_events", "source", "", ""),
	column("webhook_events", "event_type", "", ""),
	column("webhook_events", "vehicle_id", "Smartcar's id of their car", "''"),
	column("webhook_events", "body", "the event as received: VIN, Smartcar user id, the host user id, signals", "'{}'"),
	column("webhook_events", "delivered_at", "", ""),
	column("webhook_events", "received_at", "", ""),
	column("webhook_events", "processed_at", "", ""),
	column("webhook_events", "status", "", ""),
	column("webhook_events", "error", "a processing error that can quote the event", "''"),

	column("host_webhook_deliveries", "id", "", ""),
	column("host_webhook_deliveries", "message_id", "", ""),
	column("host_webhook_deliveries", "event_type", "", ""),
	column("host_webhook_deliveries", "vehicle_id", "", ""),
	column("host_webhook_deliveries", "owner_id", "", ""),
	column("host_webhook_deliveries", "url", "", ""),
	column("host_webhook_deliveries", "payload", "the message to the host: their host user id, the car's ids", "'{}'"),
	column("host_webhook_deliveries", "status", "", ""),
	column("host_webhook_deliveries", "attempts", "", ""),
	column("host_webhook_deliveries", "last_status_code", "", ""),
	column("host_webhook_deliveries", "last_error", "the host's answer, which can echo the payload", "''"),
	column("host_webhook_deliveries", "last_attempt_at", "", ""),
	column("host_webhook_deliveries", "delivered_at", "", ""),
	column("host_webhook_deliveries", "created_at", "", ""),

	column("email_messages", "id", "", ""),
	column("email_messages", "message_id", "", ""),
	column("email_messages", "dedupe_key", "", ""),
	column("email_messages", "owner_id", "", ""),
	column("email_messages", "vehicle_id", "", ""),
	column("email_messages", "kind", "", ""),
	column("email_messages", "source", "", ""),
	column("email_messages", "episode", "", ""),
	column("email_messages", "seq", "", ""),
	column("email_messages", "status", "", ""),
	column("email_messages", "attempts", "", ""),
	column("email_messages", "to_address", "their email address", "''"),
	column("email_messages", "subject", "names their cars", "''"),
	column("email_messages", "vehicle_ids", "", ""),
	column("email_messages", "error_code", "", ""),
	column("email_messages", "error", "the SMTP server's reply, which often quotes the address", "''"),
	column("email_messages", "sent_at", "", ""),
	column("email_messages", "created_at", "", ""),
	column("email_messages", "updated_at", "", ""),
	column("email_messages", "attempted_at", "", ""),
	column("email_messages", "bounced_at", "", ""),
	column("email_messages", "bounce_permanent", "", ""),
	column("email_messages", "complained_at", "", ""),

	column("owner_notifications", "owner_id", "", ""),
	column("owner_notifications", "episode", "", ""),
	column("owner_notifications", "active", "", ""),
	column("owner_notifications", "started_at", "", ""),
	column("owner_notifications", "due_at", "", ""),
	column("owner_notifications", "sent_count", "", ""),
	column("owner_notifications", "first_sent_at", "", ""),
	column("owner_notifications", "last_sent_at", "", ""),
	column("owner_notifications", "updated_at", "", ""),

	column("unsubscribe_tokens", "id", "", ""),
	column("unsubscribe_tokens", "token_hash", "a credential acting for them", ""),
	column("unsubscribe_tokens", "owner_id", "", ""),
	column("unsubscribe_tokens", "email_id", "", ""),
	column("unsubscribe_tokens", "used_at", "", ""),
	column("unsubscribe_tokens", "created_at", "", ""),

	column("staff", "id", "", ""),
	column("staff", "email", "a staff member's address (staff, not owners)", ""),
	column("staff", "name", "a staff member's name (staff, not owners)", ""),
	column("staff", "role", "", ""),
	column("staff", "password_hash", "", ""),
	column("staff", "failed_attempts", "", ""),
	column("staff", "locked_until", "", ""),
	column("staff", "password_token_hash", "", ""),
	column("staff", "password_token_expires", "", ""),
	column("staff", "disabled_at", "", ""),
	column("staff", "last_login_at", "", ""),
	column("staff", "created_at", "", ""),
	column("staff", "updated_at", "", ""),

	column("staff_sessions", "id", "", ""),
	column("staff_sessions", "token_hash", "", ""),
	column("staff_sessions", "staff_id", "", ""),
	column("staff_sessions", "ip", "a staff member's address (staff, not owners)", ""),
	column("staff_sessions", "user_agent", "a staff member's browser (staff, not owners)", ""),
	column("staff_sessions", "created_at", "", ""),
	column("staff_sessions", "last_seen_at", "", ""),
	column("staff_sessions", "expires_at", "", ""),
	column("staff_sessions", "ended_at", "", ""),

	column("impersonations", "id", "", ""),
	column("impersonations", "session_id", "", ""),
	column("impersonations", "staff_id", "", ""),
	column("impersonations", "owner_id", "", ""),
	column("impersonations", "reason", "the staff member's note on the owner's case", "''"),
	column("impersonations", "started_at", "", ""),
	column("impersonations", "expires_at", "", ""),
	column("impersonations", "ended_at", "", ""),
	column("impersonations", "end_reason", "", ""),

	// The audit log names owners only by owner_id and their pseudonym, so
	// erasure leaves it as it is; what is personal in it is the staff's.
	column("audit_log", "id", "", ""),
	column("audit_log", "staff_id", "", ""),
	column("audit_log", "staff_email", "the staff member's address (staff, not owners)", ""),
	column("audit_log", "owner_id", "", ""),
	column("audit_log", "owner_ref", "", ""),
	column("audit_log", "action", "", ""),
	column("audit_log", "reason", "the staff member's own words; staff are told not to write owners' details there", ""),
	column("audit_log", "detail", "", ""),
	column("audit_log", "ip", "the staff member's address (staff, not owners)", ""),
	column("audit_log", "user_agent", "the staff member's browser (staff, not owners)", ""),
	column("audit_log", "at", "", ""),
	column("audit_log", "prev_hash", "", ""),
	column("audit_log", "hash", "", ""),
	// Staff sign-in through the company's identity provider: staff are not
	// owners, and erasure is about owners.
	column("staff", "oidc_issuer", "", ""),
	column("staff", "oidc_subject", "", ""),
	column("staff_oidc_states", "state_hash", "", ""),
	column("staff_oidc_states", "expires_at", "", ""),
	// The console language a staff member chose: a setting, not about owners.
	column("staff", "locale", "", ""),
	// Campaigns: the definitions name no person; a campaign's explicit
	// vehicle list does, and its rows of the owner's cars are deleted.
	column("campaign_notices", "campaign_id", "", ""),
	column("campaign_notices", "created_at", "", ""),
	column("campaign_notices", "due_at", "", ""),
	column("campaign_notices", "email_message_id", "", ""),
	column("campaign_notices", "id", "", ""),
	column("campaign_notices", "kind", "", ""),
	column("campaign_notices", "offset_seconds", "", ""),
	column("campaign_notices", "owner_id", "", ""),
	column("campaign_notices", "revision", "", ""),
	column("campaign_notices", "sent_at", "", ""),
	column("campaign_notices", "skip_reason", "", ""),
	column("campaign_notices", "status", "", ""),
	column("campaign_notices", "updated_at", "", ""),
	column("campaign_targets", "campaign_id", "", ""),
	column("campaign_targets", "ref", "a Smartcar id or VIN pasted into a campaign's list names the car", ""),
	column("campaign_vehicles", "campaign_id", "", ""),
	column("campaign_vehicles", "completed_at", "", ""),
	column("campaign_vehicles", "completed_source", "", ""),
	column("campaign_vehicles", "declined_at", "", ""),
	column("campaign_vehicles", "declined_reason", "", ""),
	column("campaign_vehicles", "failed_at", "", ""),
	column("campaign_vehicles", "failed_error", "", ""),
	column("campaign_vehicles", "joined_at", "", ""),
	column("campaign_vehicles", "notified_at", "", ""),
	column("campaign_vehicles", "opened_at", "", ""),
	column("campaign_vehicles", "owner_id", "", ""),
	column("campaign_vehicles", "released_at", "", ""),
	column("campaign_vehicles", "started_at", "", ""),
	column("campaign_vehicles", "vehicle_id", "", ""),
	column("campaign_vehicles", "wave", "", ""),
	column("campaign_vehicles", "counted_step", "", ""),
	column("campaign_vehicles", "counted_wave", "", ""),
	column("campaign_vehicles", "counted_model", "", ""),
	column("campaign_vehicles", "counted_country", "", ""),
	column("campaign_vehicles", "counted_notice", "", ""),
	column("campaign_vehicles", "counted_detail", "", ""), // a copy of declined_reason or failed_error
	column("campaign_vehicles", "counted_notified_day", "", ""),
	column("campaign_vehicles", "counted_opened_day", "", ""),
	column("campaign_vehicles", "counted_completed_day", "", ""),
	column("campaign_funnel_dirty", "campaign_id", "", ""),
	column("campaign_funnel_dirty", "vehicle_id", "", ""),
	column("campaign_funnel_dirty", "claimed", "", ""),
	column("campaign_funnel_counts", "campaign_id", "", ""),
	column("campaign_funnel_counts", "wave", "", ""),
	column("campaign_funnel_counts", "model", "", ""),
	column("campaign_funnel_counts", "country", "", ""),
	column("campaign_funnel_counts", "step", "", ""),
	column("campaign_funnel_counts", "notice", "", ""),
	column("campaign_funnel_counts", "detail", "", ""),
	column("campaign_funnel_counts", "vehicles", "", ""),
	column("campaign_funnel_days", "campaign_id", "", ""),
	column("campaign_funnel_days", "wave", "", ""),
	column("campaign_funnel_days", "model", "", ""),
	column("campaign_funnel_days", "country", "", ""),
	column("campaign_funnel_days", "day", "", ""),
	column("campaign_funnel_days", "notified", "", ""),
	column("campaign_funnel_days", "opened", "", ""),
	column("campaign_funnel_days", "completed", "", ""),
	column("campaign_notice_counts", "campaign_id", "", ""),
	column("campaign_notice_counts", "kind", "", ""),
	column("campaign_notice_counts", "offset_seconds", "", ""),
	column("campaign_notice_counts", "revision", "", ""),
	column("campaign_notice_counts", "sent", "", ""),
	column("campaigns", "breaks_connections", "", ""),
	column("campaigns", "cancelled_at", "", ""),
	column("campaigns", "countries", "", ""),
	column("campaigns", "created_at", "", ""),
	column("campaigns", "custom_message", "", ""),
	column("campaigns", "cutover_at", "", ""),
	column("campaigns", "cutover_revision", "", ""),
	column("campaigns", "finished_at", "", ""),
	column("campaigns", "first_wave", "", ""),
	column("campaigns", "has_vehicle_list", "", ""),
	column("campaigns", "id", "", ""),
	column("campaigns", "idempotency_key", "", ""),
	column("campaigns", "launch_settled_at", "", ""),
	column("campaigns", "launched_at", "", ""),
	column("campaigns", "make", "", ""),
	column("campaigns", "models", "", ""),
	column("campaigns", "name", "", ""),
	column("campaigns", "notice_offsets", "", ""),
	column("campaigns", "paused_at", "", ""),
	column("campaigns", "pause_reason", "", ""),
	column("campaigns", "pause_detail", "", ""),
	column("campaigns", "resumed_at", "", ""),
	column("campaigns", "reason", "", ""),
	column("campaigns", "repair_flow", "", ""),
	column("campaigns", "request_hash", "", ""),
	column("campaigns", "state", "", ""),
	column("campaigns", "updated_at", "", ""),
	column("campaigns", "wave_hold", "", ""),
	column("campaigns", "year_from", "", ""),
	column("campaigns", "year_to", "", ""),
	column("vehicles", "country", "the country the car is in, a trait of the person", "NULL"),
	column("vehicles", "priority", "", ""),
	column("vehicles", "report_sent_at", "", ""),
	column("vehicles", "webhook_sent_at", "", ""),
	column("vehicles", "webhook_sequence", "", ""),
	column("vehicles", "webhook_sequence_scope", "", ""),
	column("vehicles", "owner_changed_at", "", ""),
	// Alerts: a suspected migration names a make; an escalation names a
	// car and its owner by our ids only, and goes with the car.
	column("suspected_migrations", "id", "", ""),
	column("suspected_migrations", "make", "", ""),
	column("suspected_migrations", "day", "", ""),
	column("suspected_migrations", "vehicle_count", "", ""),
	column("suspected_migrations", "connected_count", "", ""),
	column("suspected_migrations", "first_error", "", ""), // an error code Smartcar gave, no person's
	column("suspected_migrations", "first_break_at", "", ""),
	column("suspected_migrations", "raised_at", "", ""),
	column("support_escalations", "id", "", ""),
	column("support_escalations", "vehicle_id", "", ""),
	column("support_escalations", "owner_id", "", ""),
	column("support_escalations", "campaign_id", "", ""),
	column("support_escalations", "reason", "", ""),
	column("support_escalations", "failed_attempts", "", ""),
	column("support_escalations", "episode_event_id", "", ""),
	column("support_escalations", "raised_at", "", ""),
	column("support_escalations", "resolved_at", "", ""),
}

// column is one entry of Columns; a call, so that its table and column
// names (some spelled like the model's words) are plainly names.
func column(table, name, personal, erase string) Column {
	return Column{Table: table, Name: name, Personal: personal, Erase: erase}
}

// ForeignTables are tables another library owns, classified as a whole:
// their columns change with that library's versions, not with ours.
var ForeignTables = map[string]string{
	"goose_db_version":   "migration bookkeeping",
	"river_job":          "job arguments name owners by our ids only (owner_id, email_id, delivery_id); erasure cancels and deletes the owner's jobs",
	"river_leader":       "which instance leads",
	"river_migration":    "River's schema version",
	"river_notification": "wake-ups between instances",
	"river_queue":        "queue settings",
	"river_client":       "River's client registry",
	"river_client_queue": "River's client registry",
}

// ownerVehicles selects the ids of the owner's cars, including the ones
// that arrived (with the host user id as Smartcar's external id) before
// the owner was joined to them.
const ownerVehicles = "SELECT id FROM vehicles WHERE owner_id = @owner_id OR (owner_id IS NULL AND external_id = @host AND @host <> '')"

// ownerRows selects, per table, the owner's rows that the erasure clears.
// The order is the order of the erasure: tables found through the cars'
// Smartcar ids come before the cars lose them.
var ownerRows = []struct{ table, where string }{
	{"webhook_events", "vehicle_id IN (SELECT smartcar_id FROM vehicles WHERE id IN (" + ownerVehicles + "))"},
	// A car's history is split by owner (see lifecycle.ChangeOwner): the
	// erasure takes the owner's own entries and the car's entries written
	// before anyone was named its owner, never a previous or later owner's.
	{"vehicle_events", "owner_id = @owner_id OR (owner_id IS NULL AND vehicle_id IN (" + ownerVehicles + "))"},
	{"host_webhook_deliveries", "owner_id = @owner_id OR (owner_id IS NULL AND vehicle_id IN (" + ownerVehicles + "))"},
	{"email_messages", "owner_id = @owner_id"},
	{"impersonations", "owner_id = @owner_id"},
	{"vehicles", "id IN (" + ownerVehicles + ")"},
	{"owners", "id = @owner_id"},
}

// erasedRows lists the tables whose owner's rows the erasure deletes: a
// credential or a session has nothing worth keeping once its owner is gone.
var erasedRows = []struct{ table, where string }{
	{"campaign_targets", "ref IN (SELECT smartcar_id FROM vehicles WHERE id IN (" + ownerVehicles + ")) OR ref IN (SELECT vin FROM vehicles WHERE id IN (" + ownerVehicles + ") AND vin <> '')"},
	{"smartcar_tokens", "owner_id = @owner_id OR smartcar_user_id IN (SELECT smartcar_user_id FROM vehicles WHERE id IN (" + ownerVehicles + ") AND smartcar_user_id <> '')"},
	{"connect_states", "owner_id = @owner_id"},
	{"unsubscribe_tokens", "owner_id = @owner_id"},
	{"owner_link_codes", "link_id IN (SELECT id FROM owner_links WHERE owner_id = @owner_id)"},
	{"owner_links", "owner_id = @owner_id"},
}

// ErasedTables lists the tables whose rows EraseOwner deletes (tests).
func ErasedTables() []string {
	out := make([]string, len(erasedRows))
	for i, e := range erasedRows {
		out[i] = e.table
	}
	return out
}

// ClearedTables lists the tables EraseOwner clears columns in (tests).
func ClearedTables() []string {
	out := make([]string, len(ownerRows))
	for i, e := range ownerRows {
		out[i] = e.table
	}
	return out
}

// EraseOwner deletes the owner's credentials and sessions and clears every
// personal column of their rows, as Columns says, and stops their email
// schedule. Call it inside the transaction that cancels their jobs and
// records the erasure. What stays: the rows themselves (states, counts,
// times) and the owner's pseudonym.
func (s *Store) EraseOwner(ctx context.Context, ownerID int64, hostUserID string) error {
	args := map[string]any{"owner_id": ownerID, "host": hostUserID}
	// Deletions first: the token query finds the Smartcar user through the
	// cars, before the cars lose that id.
	for _, e := range erasedRows {
		if err := s.q(ctx).Exec("DELETE FROM "+e.table+" WHERE "+e.where, args).Error; err != nil {
			return wrap(err, "erase %s", e.table)
		}
	}
	for _, r := range ownerRows {
		var set []string
		for _, c := range Columns {
			if c.Table == r.table && c.Erase != "" {
				set = append(set, c.Name+" = "+c.Erase)
			}
		}
		switch r.table {
		case "owners":
			set = append(set, "erased_at = @now", "updated_at = @now")
		case "webhook_events":
			// An event not applied yet has nothing left to apply.
			set = append(set, "status = CASE WHEN processed_at IS NULL THEN '"+InboxProcessed+"' ELSE status END",
				"processed_at = COALESCE(processed_at, @now)")
		}
		if len(set) == 0 {
			return fmt.Errorf("store: erase %s: no column to clear", r.table)
		}
		args["now"] = s.now()
		if err := s.q(ctx).Exec("UPDATE "+r.table+" SET "+strings.Join(set, ", ")+" WHERE "+r.where, args).Error; err != nil {
			return wrap(err, "erase %s", r.table)
		}
	}
	// No more email: the schedule ends.
	err := s.q(ctx).Exec("UPDATE owner_notifications SET active = ?, due_at = NULL, updated_at = ? WHERE owner_id = ?", false, s.now(), ownerID).Error
	if err != nil {
		return wrap(err, "erase owner schedule #%d", ownerID)
	}
	// Without an address their campaign vehicles are unreachable now.
	return s.MarkOwnerFunnelDirty(ctx, ownerID)
}
