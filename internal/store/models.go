package store

import "time"

// State is a vehicle's connection state; a vehicle is in exactly one.
type State string

// The connection states of the product brief.
const (
	StateConnected       State = "connected"
	StateNeedsReauth     State = "needs_reauth"
	StateNeedsOEMAction  State = "needs_oem_action"
	StateNeedsVirtualKey State = "needs_virtual_key"
	StateReconnecting    State = "reconnecting"
	StateDeclined        State = "declined"
)

// States lists every state in display order.
var States = []State{StateNeedsReauth, StateNeedsOEMAction, StateNeedsVirtualKey, StateReconnecting, StateDeclined, StateConnected}

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	for _, k := range States {
		if s == k {
			return true
		}
	}
	return false
}

// NeedsOwner reports whether the owner has something to do.
func (s State) NeedsOwner() bool {
	return s == StateNeedsReauth || s == StateNeedsOEMAction || s == StateNeedsVirtualKey || s == StateReconnecting
}

// Owner is a host app's end user. Owners never have an account with us.
type Owner struct {
	ID         int64
	HostUserID string
	Email      string
	Name       string
	Locale     string
	TimeZone   string
	// UnsubscribedAt is when the owner turned reconnect emails off.
	UnsubscribedAt *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Vehicle is one Smartcar vehicle connection.
type Vehicle struct {
	ID             int64
	SmartcarID     string
	OwnerID        *int64
	SmartcarUserID string
	ExternalID     string
	Make           string
	Model          string
	Year           int
	VIN            string `gorm:"column:vin"`
	Nickname       string
	State          State
	Reason         string // a Smartcar type:code, e.g. CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED
	ReasonDetail   string
	ResolutionURL  string
	StateChangedAt time.Time
	LastSignalAt   *time.Time
	// SnoozedUntil holds reminders back after "remind me later".
	SnoozedUntil *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Event is one entry on a vehicle's (or owner's) timeline. Append-only.
type Event struct {
	ID         int64
	VehicleID  *int64
	OwnerID    *int64
	Kind       string
	Source     string
	FromState  State
	ToState    State
	Detail     string
	OccurredAt time.Time
	CreatedAt  time.Time
}

// TableName pins the table, since "events" would be GORM's guess.
func (Event) TableName() string { return "vehicle_events" }

// Event kinds written by the core; later features add their own.
const (
	EventStateChanged = "state_changed"
	EventVehicleAdded = "vehicle_added"
)
