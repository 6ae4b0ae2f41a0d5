package model

import "time"

// Vehicle is one Smartcar vehicle connection.
type Vehicle struct {
	ID             int64
	SmartcarID     string // Smartcar's vehicle_id
	OwnerID        *int64
	SmartcarUserID string
	ExternalID     string
	Make           string // Smartcar's make, e.g. TESLA
	Model          string
	Year           int
	VIN            string `gorm:"column:vin"`
	Nickname       string
	// Country is where the vehicle is registered, ISO 3166-1 alpha-2 ("DE");
	// "" when unknown (stored NULL).
	Country string `gorm:"default:null"`
	// Priority orders campaign waves: higher is told first. Set by the host.
	Priority       int
	State          State
	Reason         string // a Smartcar type:code, e.g. CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED
	ReasonDetail   string
	ResolutionURL  string
	StateChangedAt time.Time
	LastSignalAt   *time.Time
	// SnoozedUntil holds reminders back after "remind me later".
	SnoozedUntil *time.Time
	// OwnerChangedAt is when the car last changed hands, or seemed to; the
	// console flags the car from then on.
	OwnerChangedAt *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}
