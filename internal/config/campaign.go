package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Campaign tunes how a migration campaign's notices go out: the waves a
// launch sends in, and how fast mail may leave.
type Campaign struct {
	// FirstWaveRaw is the share of a cohort's owners told at launch, as a
	// percentage such as "5%"; "100%" sends everyone at once (no waves).
	FirstWaveRaw string `env:"CAMPAIGN_FIRST_WAVE" envDefault:"5%"`
	// WaveHold is how long the rest wait after the launch; the later wave
	// goes only once the hold has passed without an auto-pause.
	WaveHold time.Duration `env:"CAMPAIGN_WAVE_HOLD" envDefault:"2h"`
	// Rate caps one campaign's emails per minute; 0: no cap of its own.
	Rate int `env:"CAMPAIGN_RATE" envDefault:"0"`
	// EmailRate caps every email Reconnect sends per minute, of every kind
	// and every campaign together, across instances; 0: no cap.
	EmailRate int `env:"EMAIL_RATE" envDefault:"0"`

	// FirstWave is FirstWaveRaw parsed by Load: 1–100.
	FirstWave int `env:"-"`
}

// ParsePercent reads a whole percentage from 1 to 100, with or without
// the "%" sign ("5%", "100").
func ParsePercent(raw string) (int, error) {
	s := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(raw), "%"))
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 100 {
		return 0, fmt.Errorf("%q is not a whole percentage from 1%% to 100%%", raw)
	}
	return n, nil
}

// maxRate bounds the rates: a million emails a minute is past any mail
// server, so a larger number is a typo.
const maxRate = 1_000_000

func (c *Campaign) validate() error {
	n, err := ParsePercent(c.FirstWaveRaw)
	if err != nil {
		return &Error{"CAMPAIGN_FIRST_WAVE", `the share of owners told at launch, a percentage from 1% to 100% such as "5%" ("100%": no waves)`}
	}
	c.FirstWave = n
	if c.WaveHold < 0 || c.WaveHold > 30*24*time.Hour {
		return &Error{"CAMPAIGN_WAVE_HOLD", "how long the later wave waits after the launch, a duration from 0s to 720h such as 2h"}
	}
	if c.Rate < 0 || c.Rate > maxRate {
		return &Error{"CAMPAIGN_RATE", "emails per minute for one campaign, a whole number from 0 (no cap) to 1000000"}
	}
	if c.EmailRate < 0 || c.EmailRate > maxRate {
		return &Error{"EMAIL_RATE", "emails per minute in all, a whole number from 0 (no cap) to 1000000"}
	}
	return nil
}
