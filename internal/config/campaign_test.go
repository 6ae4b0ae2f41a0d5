package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"reconnect/internal/config"
)

func TestCampaignSendingSettings(t *testing.T) {
	c, err := config.Load(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Campaign; got.FirstWave != 5 || got.WaveHold != 2*time.Hour || got.Rate != 0 || got.EmailRate != 0 {
		t.Fatalf("defaults: %+v", got)
	}
	c, err = config.Load(map[string]string{"CAMPAIGN_FIRST_WAVE": "100%", "CAMPAIGN_WAVE_HOLD": "24h", "CAMPAIGN_RATE": "120", "EMAIL_RATE": "600"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Campaign; got.FirstWave != 100 || got.WaveHold != 24*time.Hour || got.Rate != 120 || got.EmailRate != 600 {
		t.Fatalf("parsed: %+v", got)
	}
	if c, err = config.Load(map[string]string{"CAMPAIGN_FIRST_WAVE": " 20 "}); err != nil || c.Campaign.FirstWave != 20 {
		t.Fatalf("a percentage without its sign: %d, %v", c.Campaign.FirstWave, err)
	}
	for env, bad := range map[string]string{
		"CAMPAIGN_FIRST_WAVE=0%":     "CAMPAIGN_FIRST_WAVE",
		"CAMPAIGN_FIRST_WAVE=101%":   "CAMPAIGN_FIRST_WAVE",
		"CAMPAIGN_FIRST_WAVE=2.5%":   "CAMPAIGN_FIRST_WAVE",
		"CAMPAIGN_FIRST_WAVE=half":   "CAMPAIGN_FIRST_WAVE",
		"CAMPAIGN_WAVE_HOLD=-1h":     "CAMPAIGN_WAVE_HOLD",
		"CAMPAIGN_WAVE_HOLD=2 hours": "CAMPAIGN_WAVE_HOLD",
		"CAMPAIGN_RATE=-5":           "CAMPAIGN_RATE",
		"CAMPAIGN_RATE=fast":         "CAMPAIGN_RATE",
		"EMAIL_RATE=-1":              "EMAIL_RATE",
		"EMAIL_RATE=2000000":         "EMAIL_RATE",
	} {
		k, v, _ := strings.Cut(env, "=")
		_, err := config.Load(map[string]string{k: v})
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != bad {
			t.Errorf("%s: want an error naming %s, got %v", env, bad, err)
		}
	}
}
