package config_test

import (
	"errors"
	"testing"
	"time"

	"reconnect/internal/config"
)

func TestAlertsConfiguration(t *testing.T) {
	c, err := config.Load(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Alerts; a.MigrationMinVehicles != 50 || a.MigrationMinShare != 0.05 || a.MigrationWindow != time.Hour {
		t.Fatalf("defaults: %+v", a)
	}
	c, err = config.Load(map[string]string{"MIGRATION_ALERT_MIN_VEHICLES": "5", "MIGRATION_ALERT_MIN_SHARE": "0.2", "MIGRATION_ALERT_WINDOW": "30m"})
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Alerts; a.MigrationMinVehicles != 5 || a.MigrationMinShare != 0.2 || a.MigrationWindow != 30*time.Minute {
		t.Fatalf("parsed: %+v", a)
	}
	shown := map[string]string{}
	for _, kv := range c.Redacted() {
		shown[kv[0]] = kv[1]
	}
	if shown["MIGRATION_ALERT_MIN_VEHICLES"] != "5" || shown["MIGRATION_ALERT_WINDOW"] != "30m0s" {
		t.Fatalf("config lists: %v", shown)
	}
	for want, env := range map[string]map[string]string{
		"MIGRATION_ALERT_MIN_VEHICLES": {"MIGRATION_ALERT_MIN_VEHICLES": "0"},
		"MIGRATION_ALERT_MIN_SHARE":    {"MIGRATION_ALERT_MIN_SHARE": "1.5"},
		"MIGRATION_ALERT_WINDOW":       {"MIGRATION_ALERT_WINDOW": "10s"},
	} {
		_, err := config.Load(env)
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != want {
			t.Errorf("%v: want an error naming %s, got %v", env, want, err)
		}
	}
	// NaN is no fraction.
	if _, err := config.Load(map[string]string{"MIGRATION_ALERT_MIN_SHARE": "NaN"}); err == nil {
		t.Error("NaN share accepted")
	}
}
