package model

import "time"

// Owner is a host app's end user. Owners never have an account with us: they
// are known by the host's id for them (HostUserID) and reached by email.
type Owner struct {
	ID         int64
	HostUserID string
	Email      string
	Name       string
	Locale     string // BCP 47, e.g. "de" or "fr-CA"; "" for the visitor's browser language
	TimeZone   string // IANA, e.g. "Europe/Berlin"; "" for the configured default
	// Phone is an E.164 number (+4930123456) for support to call; "" when
	// the host gave none.
	Phone string
	// AuditID is the random pseudonym that names the owner in the audit
	// log, so the trail holds nothing personal and survives erasure as is.
	AuditID string
	// UnsubscribedAt is when the owner turned reconnect emails off.
	UnsubscribedAt *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}
