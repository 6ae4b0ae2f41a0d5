package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"reconnect/internal/config"
)

func TestDetectionConfiguration(t *testing.T) {
	c, err := config.Load(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	d := c.Detection
	if d.HostWebhookURL != "" || d.HostWebhookAttempts != 12 || d.TokenRefreshWindow != 14*24*time.Hour ||
		d.TokenKeepAliveEvery != time.Hour || d.HealthCheckEvery != 0 || d.HealthCheckRate != 1 {
		t.Fatalf("defaults: %+v", d)
	}

	secret := "whsec_" + strings.Repeat("QUJD", 8) // 24 bytes
	c, err = config.Load(map[string]string{"HOST_WEBHOOK_URL": "https://app.example.com/hooks", "HOST_WEBHOOK_SECRET": secret,
		"HEALTH_CHECK_INTERVAL": "24h", "HEALTH_CHECK_RATE": "0.5"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Detection.HealthCheckEvery != 24*time.Hour || c.Detection.HealthCheckRate != 0.5 {
		t.Fatalf("parsed: %+v", c.Detection)
	}
	for _, kv := range c.Redacted() {
		if strings.Contains(kv[1], "QUJD") {
			t.Fatalf("%s shows the webhook secret", kv[0])
		}
	}

	for want, env := range map[string]map[string]string{
		"HOST_WEBHOOK_URL":          {"HOST_WEBHOOK_URL": "ftp://x"},
		"HOST_WEBHOOK_SECRET":       {"HOST_WEBHOOK_URL": "https://app.example.com/hooks"},
		"HOST_WEBHOOK_MAX_ATTEMPTS": {"HOST_WEBHOOK_MAX_ATTEMPTS": "0"},
		"TOKEN_REFRESH_WINDOW":      {"TOKEN_REFRESH_WINDOW": "1500h"},
		"TOKEN_KEEPALIVE_INTERVAL":  {"TOKEN_KEEPALIVE_INTERVAL": "1s"},
		"HEALTH_CHECK_INTERVAL":     {"HEALTH_CHECK_INTERVAL": "10s"},
		"HEALTH_CHECK_RATE":         {"HEALTH_CHECK_RATE": "0"},
	} {
		_, err := config.Load(env)
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != want {
			t.Errorf("%v: want an error naming %s, got %v", env, want, err)
		}
	}
	// A bad secret is refused even with a valid prefix.
	_, err = config.Load(map[string]string{"HOST_WEBHOOK_URL": "https://a.example", "HOST_WEBHOOK_SECRET": "whsec_c2hvcnQ="})
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Var != "HOST_WEBHOOK_SECRET" {
		t.Fatalf("short secret: %v", err)
	}
}
