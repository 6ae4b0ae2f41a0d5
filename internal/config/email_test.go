package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"reconnect/internal/config"
)

func TestEmailConfiguration(t *testing.T) {
	load := func(env map[string]string) (config.Config, error) {
		if env == nil {
			env = map[string]string{}
		}
		return config.Load(env)
	}
	c, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	e := c.Email
	if e.Enabled() || e.Debounce != 15*time.Minute || e.Max != 3 || len(e.Reminders) != 2 || e.Reminders[1] != 168*time.Hour ||
		e.QuietHours != (config.QuietHours{Start: 21 * 60, End: 8 * 60}) {
		t.Fatalf("defaults: %+v", e)
	}

	c, err = load(map[string]string{"SMTP_URL": "smtp://app:s3cret@mail.example.com:587", "MAIL_FROM": "ChargeWell <noreply@example.com>", "EMAIL_QUIET_HOURS": "off"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Email.Enabled() || c.Email.SMTP.TLS != config.TLSMandatory || !c.Email.QuietHours.Off {
		t.Fatalf("parsed: %+v", c.Email)
	}
	for _, kv := range c.Redacted() {
		if strings.Contains(kv[1], "s3cret") {
			t.Fatalf("%s shows the SMTP password: %s", kv[0], kv[1])
		}
	}

	for env, bad := range map[string]string{
		"SMTP_URL=smtp://mail.example.com":          "MAIL_FROM",
		"SMTP_URL=smtp://mail.example.com?tls=none": "SMTP_URL",
		"EMAIL_REMINDERS=168h,48h":                  "EMAIL_REMINDERS",
		"EMAIL_QUIET_HOURS=9pm-8am":                 "EMAIL_QUIET_HOURS",
		"EMAIL_TIME_ZONE=Europe/Atlantis":           "EMAIL_TIME_ZONE",
		"EMAIL_MAX=0":                               "EMAIL_MAX",
		"MAIL_REPLY_TO=not an address":              "MAIL_REPLY_TO",
	} {
		k, v, _ := strings.Cut(env, "=")
		_, err := load(map[string]string{k: v})
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != bad {
			t.Errorf("%s: want an error naming %s, got %v", env, bad, err)
		}
	}
}

func TestSupportResources(t *testing.T) {
	c, err := config.Load(map[string]string{"SUPPORT_URL": "https://help.example.com/reconnect", "SUPPORT_EMAIL": "help@example.com"})
	if err != nil || c.Support.URL != "https://help.example.com/reconnect" || c.Support.Email != "help@example.com" || !c.Support.Any() {
		t.Fatalf("%+v %v", c.Support, err)
	}
	for env, bad := range map[string]string{
		"SUPPORT_URL=http://help.example.com":          "SUPPORT_URL",
		"SUPPORT_URL=help.example.com":                 "SUPPORT_URL",
		"SUPPORT_URL=https://user:pw@help.example.com": "SUPPORT_URL",
		"SUPPORT_EMAIL=not an address":                 "SUPPORT_EMAIL",
		"SUPPORT_EMAIL=Help Desk <help@example.com>":   "SUPPORT_EMAIL",
	} {
		k, v, _ := strings.Cut(env, "=")
		_, err := config.Load(map[string]string{k: v})
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != bad {
			t.Errorf("%s: want an error naming %s, got %v", env, bad, err)
		}
	}
}
