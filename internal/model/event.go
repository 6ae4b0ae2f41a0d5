package model

import "time"

// Event is one entry on a vehicle's (or owner's) timeline. Append-only.
type Event struct {
	ID         int64
	VehicleID  *int64
	OwnerID    *int64
	Kind       EventKind
	Source     Source
	FromState  State
	ToState    State
	Detail     string // JSON, shaped by Kind
	OccurredAt time.Time
	CreatedAt  time.Time
}

// TableName pins the table, since "events" would be GORM's guess.
func (Event) TableName() string { return "vehicle_events" }

// EventKind says what a timeline event records. The values are stored and
// returned by the events API, so they never change.
type EventKind string

// The kinds of timeline event, by the part of the product that writes them.
const (
	// The vehicle itself.
	EventStateChanged EventKind = "state_changed"
	EventVehicleAdded EventKind = "vehicle_added"

	// Detection.
	EventWebhookReceived EventKind = "webhook_received"
	EventErrorReported   EventKind = "error_reported"
	EventErrorIgnored    EventKind = "error_ignored"
	EventHealthCheck     EventKind = "health_check"
	EventTokenRefreshed  EventKind = "token_refreshed"

	// Links and the owner's repair.
	EventLinkOpened EventKind = "link_opened"
	// EventLinkScanned: a machine (a mail security gateway, a headless
	// browser) pressed the link's button; it opened nothing.
	EventLinkScanned         EventKind = "link_scanned"
	EventFreshLinkRequested  EventKind = "fresh_link_requested"
	EventReconnectStarted    EventKind = "reconnect_started"
	EventReconnectFailed     EventKind = "reconnect_failed"
	EventReconnectCompleted  EventKind = "reconnect_completed"
	EventReconnectUnverified EventKind = "reconnect_unverified"
	// EventReconnectAbandoned: the owner did not come back from Connect
	// within the state's lifetime; the car was checked and settled.
	EventReconnectAbandoned EventKind = "reconnect_abandoned"
	EventDeclined           EventKind = "declined"
	EventSnoozed            EventKind = "reminders_snoozed"
	EventTokensStored       EventKind = "tokens_stored"
	// EventPermissionsNarrowed: a full Connect granted less than the car had.
	EventPermissionsNarrowed EventKind = "permissions_narrowed"

	// Email.
	EventEmailSent        EventKind = "email_sent"
	EventEmailFailed      EventKind = "email_failed"
	EventEmailSkipped     EventKind = "email_skipped"
	EventUnsubscribed     EventKind = "unsubscribed"
	EventRemindersStopped EventKind = "email_reminders_stopped"

	// Migration campaigns.
	EventCampaignJoined    EventKind = "campaign_joined"    // the vehicle entered a campaign's cohort
	EventCampaignCompleted EventKind = "campaign_completed" // the vehicle was re-authenticated for a campaign

	// A car that changed hands. Each is written twice when both owners are
	// known, once on each owner's timeline, so that neither sees the other's.
	EventOwnerChanged EventKind = "owner_changed"
	// EventOwnerChangeSuspected: only a sign of it (the owner said "sold" or
	// "not mine", or a new Smartcar user connected the car without the host
	// naming a new owner).
	EventOwnerChangeSuspected EventKind = "owner_change_suspected"
)

// EventKinds lists every kind, so that labels and tests can cover them all.
var EventKinds = []EventKind{
	EventStateChanged, EventVehicleAdded,
	EventWebhookReceived, EventErrorReported, EventErrorIgnored, EventHealthCheck, EventTokenRefreshed,
	EventLinkOpened, EventLinkScanned, EventFreshLinkRequested, EventReconnectStarted, EventReconnectFailed,
	EventReconnectCompleted, EventReconnectUnverified, EventReconnectAbandoned, EventDeclined, EventSnoozed, EventTokensStored,
	EventPermissionsNarrowed,
	EventEmailSent, EventEmailFailed, EventEmailSkipped, EventUnsubscribed, EventRemindersStopped,
	EventCampaignJoined, EventCampaignCompleted,
	EventOwnerChanged, EventOwnerChangeSuspected,
}

// Source says who or what caused an event, a state change, a link or an
// email. It is stored, and it decides behaviour: a change to connected whose
// source is SourceCallback is the owner's own repair ("reconnected"), any
// other is "resolved elsewhere".
type Source string

// The sources.
const (
	SourceOwner       Source = "owner"        // the owner, on their page
	SourceStaff       Source = "staff"        // a support staff member, in the console
	SourceCallback    Source = "callback"     // Smartcar Connect's redirect back to us
	SourceWebhook     Source = "webhook"      // a signed Smartcar webhook
	SourceAPI         Source = "api"          // the host app's backend, through our API
	SourceHealthCheck Source = "health_check" // our own probe of the vehicle
	SourceSystem      Source = "system"       // Reconnect itself (keep-alive, email rules)
	SourceSchedule    Source = "schedule"     // the email schedule
	SourceEmail       Source = "email"        // an email we sent (a link in it)
	SourceCLI         Source = "cli"          // an operator's command
	SourceDemo        Source = "demo"         // the demo's seed
	SourceResend      Source = "resend"       // the owner asked for a fresh link on the expired-link page
	// SourceRestore is Reconnect putting back the state a car had before
	// the owner left for Connect, when the trip did not finish: not a repair.
	SourceRestore  Source = "restore"
	SourceCampaign Source = "campaign" // a migration campaign's rules (a launch, a late match)
)

// Sources lists every source.
var Sources = []Source{
	SourceOwner, SourceStaff, SourceCallback, SourceWebhook, SourceAPI, SourceHealthCheck,
	SourceSystem, SourceSchedule, SourceEmail, SourceCLI, SourceDemo, SourceResend, SourceCampaign, SourceRestore,
}
