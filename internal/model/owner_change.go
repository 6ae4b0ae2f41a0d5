package model

// OwnerChangeCause says how we learnt that a car changed hands. It is stored
// in the timeline entry and sent to the host, so the values never change.
type OwnerChangeCause string

// The causes.
const (
	// OwnerChangeHostAttached: the host attached the car to another owner
	// (PUT …/owners/{host_user_id}/vehicles/{vehicle_id}).
	OwnerChangeHostAttached OwnerChangeCause = "host_attached"
	// OwnerChangeConnect: another owner granted the car in a full Connect.
	OwnerChangeConnect OwnerChangeCause = "connect"
	// OwnerChangeSmartcarUser: Smartcar named the car under another
	// Smartcar user (a webhook).
	OwnerChangeSmartcarUser OwnerChangeCause = "smartcar_user"
	// OwnerChangeSold and OwnerChangeNotMine: the owner declined the car
	// with that reason.
	OwnerChangeSold    OwnerChangeCause = "declined_sold"
	OwnerChangeNotMine OwnerChangeCause = "declined_not_mine"
)

// OwnerChangeCauses lists every cause.
var OwnerChangeCauses = []OwnerChangeCause{
	OwnerChangeHostAttached, OwnerChangeConnect, OwnerChangeSmartcarUser, OwnerChangeSold, OwnerChangeNotMine,
}
