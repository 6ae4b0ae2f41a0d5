package config

import (
	"fmt"
	"time"
)

// Alerts tunes the suspected-migration alert: a make whose cars newly need
// re-authentication in numbers within a sliding window.
type Alerts struct {
	// MigrationMinVehicles: at least this many cars of one make…
	MigrationMinVehicles int `env:"MIGRATION_ALERT_MIN_VEHICLES" envDefault:"50"`
	// MigrationMinShare: …and at least this fraction (0.05 = 5 %) of that
	// make's cars that were connected…
	MigrationMinShare float64 `env:"MIGRATION_ALERT_MIN_SHARE" envDefault:"0.05"`
	// MigrationWindow: …within this long.
	MigrationWindow time.Duration `env:"MIGRATION_ALERT_WINDOW" envDefault:"1h"`
}

func (a *Alerts) validate() error {
	if a.MigrationMinVehicles < 1 || a.MigrationMinVehicles > 1_000_000 {
		return &Error{"MIGRATION_ALERT_MIN_VEHICLES", "a whole number from 1 to 1000000, such as 50"}
	}
	if !(a.MigrationMinShare >= 0 && a.MigrationMinShare <= 1) {
		return &Error{"MIGRATION_ALERT_MIN_SHARE", "a fraction from 0 to 1, such as 0.05 for 5 %"}
	}
	if a.MigrationWindow < time.Minute || a.MigrationWindow > 24*time.Hour {
		return &Error{"MIGRATION_ALERT_WINDOW", "a duration from 1m to 24h, such as 1h"}
	}
	return nil
}

func (a Alerts) redacted() [][2]string {
	return [][2]string{
		{"MIGRATION_ALERT_MIN_VEHICLES", fmt.Sprint(a.MigrationMinVehicles)},
		{"MIGRATION_ALERT_MIN_SHARE", fmt.Sprint(a.MigrationMinShare)},
		{"MIGRATION_ALERT_WINDOW", a.MigrationWindow.String()},
	}
}
