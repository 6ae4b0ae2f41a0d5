package config

import "time"

// Retention says how long personal data that is only history is kept. The
// hourly prune job removes what is older, a small batch at a time. The audit
// log has its own, longer retention, run by hand (reconnect admin
// prune-audit), because pruning it is itself an event the chain records.
type Retention struct {
	// Timeline is how long timeline events (vehicle_events) are kept.
	Timeline time.Duration `env:"RETENTION_TIMELINE" envDefault:"9600h"`
	// Emails is how long an email's address, subject and SMTP reply are
	// kept; the row (its status, for counts) stays.
	Emails time.Duration `env:"RETENTION_EMAILS" envDefault:"2160h"`
}

func (r Retention) validate() error {
	// Below a week the timeline would lose what support needs to answer an
	// owner, and an email its record before the reminders of its episode
	// have gone out.
	switch {
	case r.Timeline < 7*24*time.Hour:
		return &Error{"RETENTION_TIMELINE", "a duration of at least 168h (7 days), e.g. 9600h for 400 days"}
	case r.Emails < 7*24*time.Hour:
		return &Error{"RETENTION_EMAILS", "a duration of at least 168h (7 days), e.g. 2160h for 90 days"}
	}
	return nil
}
