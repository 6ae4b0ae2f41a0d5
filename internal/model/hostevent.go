package model

// HostEvent is the type of a webhook Reconnect sends to the host app, the
// `type` of its Standard Webhooks body. Its payload type is in
// internal/hostwebhook; the README describes each (a test checks).
type HostEvent string

// The host events.
const (
	// HostDisconnected: a working vehicle broke and needs its owner.
	HostDisconnected HostEvent = "vehicle.disconnected"
	// HostReconnected: the owner repaired it through Reconnect.
	HostReconnected HostEvent = "vehicle.reconnected"
	// HostResolvedElsewhere: it works again without the owner going through
	// Reconnect (Smartcar reported RESOLVED, or a call succeeded).
	HostResolvedElsewhere HostEvent = "vehicle.resolved_elsewhere"
	// HostDeclined: the owner said they will not reconnect.
	HostDeclined HostEvent = "vehicle.declined"
	// HostOwnerChanged: the car changed hands, or seems to have.
	HostOwnerChanged HostEvent = "vehicle.owner_changed"
	// HostNeedsSupport: an owner needs a person, once per episode of a
	// broken car.
	HostNeedsSupport HostEvent = "vehicle.needs_support"
	// HostCampaignVehicleCompleted: a vehicle in a migration campaign was
	// re-authenticated in a way the campaign counts.
	HostCampaignVehicleCompleted HostEvent = "campaign.vehicle_completed"
	// HostCampaignPaused: a running campaign paused itself (PauseReason)
	// and sends nothing until staff resume it.
	HostCampaignPaused HostEvent = "campaign.paused"
	// HostMigrationSuspected: many cars of one make need re-authentication
	// at once, as if the carmaker had migrated without notice. At most once
	// per make per UTC day.
	HostMigrationSuspected HostEvent = "migration.suspected"
)

// HostEvents lists every HostEvent.
var HostEvents = []HostEvent{
	HostDisconnected, HostReconnected, HostResolvedElsewhere, HostDeclined, HostOwnerChanged,
	HostNeedsSupport, HostCampaignVehicleCompleted, HostCampaignPaused, HostMigrationSuspected,
}
