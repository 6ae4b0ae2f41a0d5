package model

import (
	"slices"
	"time"
)

// SuspectedMigration is a make whose cars newly needed re-authentication in
// numbers that look like an unannounced carmaker migration. Raised at most
// once per make per UTC day.
type SuspectedMigration struct {
	ID   int64
	Make string
	// Day is the UTC day it was raised, YYYY-MM-DD.
	Day string
	// VehicleCount is how many cars of the make newly needed
	// re-authentication within the window; ConnectedCount how many of the
	// make were still connected when it was raised.
	VehicleCount   int
	ConnectedCount int
	// FirstError is the reason the first of those cars gave, as stored on
	// the car (e.g. AUTHENTICATION_FAILED).
	FirstError string
	// FirstBreakAt is when the first of them broke: a campaign started from
	// the alert takes it as its cut-over.
	FirstBreakAt time.Time
	RaisedAt     time.Time
}

// EscalationReason says why an owner needs a person. Stored, and sent in
// vehicle.needs_support, so the values never change.
type EscalationReason string

// The escalation reasons.
const (
	// EscalationFailedAttempts: the owner came back from Smartcar Connect
	// with an error (or unverified) three times while the car was broken.
	EscalationFailedAttempts EscalationReason = "reconnect_failures"
	// EscalationRemindersExhausted: every email and campaign notice the
	// schedule had for the owner went out, and the car is still broken.
	EscalationRemindersExhausted EscalationReason = "reminders_exhausted"
)

// EscalationReasons lists every reason.
var EscalationReasons = []EscalationReason{EscalationFailedAttempts, EscalationRemindersExhausted}

// Valid reports whether r is a known reason.
func (r EscalationReason) Valid() bool { return slices.Contains(EscalationReasons, r) }

// FailedAttemptsForSupport is how many failed trips to Connect within one
// episode of a broken car put its owner in the "Needs a person" queue.
const FailedAttemptsForSupport = 3

// Escalation is an owner who needs a person, for one episode of one car
// (it ends when the car is reconnected; a new breakage starts a new one).
type Escalation struct {
	ID         int64
	VehicleID  int64
	OwnerID    *int64
	CampaignID *int64
	Reason     EscalationReason
	// FailedAttempts counts the failed trips to Connect in the episode
	// when it was raised.
	FailedAttempts int
	// EpisodeEventID names the episode: the timeline entry of the break
	// that started it (0 when none is kept).
	EpisodeEventID int64
	RaisedAt       time.Time
	ResolvedAt     *time.Time
}
