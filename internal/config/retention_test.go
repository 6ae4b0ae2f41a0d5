package config_test

import (
	"errors"
	"testing"
	"time"

	"reconnect/internal/config"
)

func TestRetentionDefaultsTo400DaysOfTimelineAnd90DaysOfEmail(t *testing.T) {
	c, err := config.Load(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Retention.Timeline != 400*24*time.Hour || c.Retention.Emails != 90*24*time.Hour {
		t.Fatalf("defaults %+v", c.Retention)
	}
}

func TestRetentionShorterThanAWeekIsRefusedNamingTheVariable(t *testing.T) {
	for _, v := range []string{"RETENTION_TIMELINE", "RETENTION_EMAILS"} {
		for _, bad := range []string{"24h", "0s", "-1h", "soon"} {
			_, err := config.Load(map[string]string{v: bad})
			var ce *config.Error
			if !errors.As(err, &ce) || ce.Var != v {
				t.Errorf("%s=%s: %v", v, bad, err)
			}
		}
	}
}
