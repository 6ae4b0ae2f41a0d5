package config

import (
	"encoding/base64"
	"net/url"
	"strings"
	"time"
)

func (d *Detection) validate() error {
	if d.HostWebhookURL != "" {
		u, err := url.Parse(d.HostWebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return &Error{"HOST_WEBHOOK_URL", "an absolute http(s) URL such as https://app.example.com/webhooks/reconnect"}
		}
		raw, ok := strings.CutPrefix(strings.TrimSpace(d.HostWebhookSecret), "whsec_")
		key, err := base64.StdEncoding.DecodeString(raw)
		if !ok || err != nil || len(key) < 24 || len(key) > 64 {
			return &Error{"HOST_WEBHOOK_SECRET", `"whsec_" followed by base64 of 24 to 64 random bytes (required with HOST_WEBHOOK_URL), e.g. whsec_$(openssl rand -base64 32)`}
		}
	}
	if d.HostWebhookAttempts < 1 || d.HostWebhookAttempts > 25 {
		return &Error{"HOST_WEBHOOK_MAX_ATTEMPTS", "a whole number from 1 to 25"}
	}
	if d.TokenRefreshWindow < time.Hour || d.TokenRefreshWindow > 59*24*time.Hour {
		return &Error{"TOKEN_REFRESH_WINDOW", "a duration from 1h to 1416h (59 days), such as 336h"}
	}
	if d.TokenKeepAliveEvery < time.Minute {
		return &Error{"TOKEN_KEEPALIVE_INTERVAL", "a duration of at least 1m, such as 1h"}
	}
	if d.HealthCheckEvery != 0 && d.HealthCheckEvery < time.Minute {
		return &Error{"HEALTH_CHECK_INTERVAL", "0s (off) or a duration of at least 1m, such as 24h"}
	}
	if d.HealthCheckRate <= 0 || d.HealthCheckRate > 100 {
		return &Error{"HEALTH_CHECK_RATE", "calls per second, more than 0 and at most 100"}
	}
	return nil
}
