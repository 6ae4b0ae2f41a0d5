package smartcarsim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Switches cover what Smartcar does not document or does inconsistently, and
// the misbehaviour a receiver must survive. Each can be flipped at run time.
type Switches struct {
	// Duplicates sends every webhook event twice (same eventId).
	Duplicates bool `json:"duplicates"`
	// Reorder shuffles each batch of events before delivery.
	Reorder bool `json:"reorder"`
	// Concurrency is how many deliveries may be in flight at once.
	Concurrency int `json:"concurrency"`
	// Pretty indents webhook bodies, to catch receivers that re-serialise
	// before checking SC-Signature.
	Pretty bool `json:"pretty"`
	// ISOTimestamps sends meta.deliveredAt as an ISO string, not epoch ms.
	ISOTimestamps bool `json:"iso_timestamps"`
	// LegacyResolution renders API errors' resolution as the old bare string
	// ("string") or as null ("null"); empty means the object.
	LegacyResolution string `json:"legacy_resolution"`
	// Noise adds a PERMISSION VEHICLE_ERROR for one unsupported signal to
	// every VEHICLE_STATE, while the vehicle keeps working.
	Noise bool `json:"noise"`
	// AutoSubscribe treats every connected vehicle as subscribed to the
	// webhook, like the dashboard's auto-subscribe setting.
	AutoSubscribe bool `json:"auto_subscribe"`
	// SignVerify adds SC-Signature to VERIFY too.
	SignVerify bool `json:"sign_verify"`
	// UnauthorizedMakes are refused at the token endpoint with
	// unauthorized_client.
	UnauthorizedMakes []string `json:"unauthorized_makes"`
	// RefreshGrace is how long a used refresh token still works.
	RefreshGrace Duration `json:"refresh_grace"`
	// ReauthMissingVehicleError is "no_vehicles" or "vehicle_incompatible".
	ReauthMissingVehicleError string `json:"reauth_missing_vehicle_error"`
}

// Duration reads and writes JSON as a Go duration string such as "10m".
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Switches returns the current switches.
func (s *Sim) Switches() Switches {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.switches
	out.UnauthorizedMakes = slices.Clone(out.UnauthorizedMakes)
	return out
}

// SetSwitches replaces every switch after checking the values.
func (s *Sim) SetSwitches(sw Switches) error {
	switch sw.LegacyResolution {
	case "", "string", "null":
	default:
		return fmt.Errorf("%w: legacy_resolution must be \"\", \"string\" or \"null\"", ErrInvalid)
	}
	switch sw.ReauthMissingVehicleError {
	case "no_vehicles", "vehicle_incompatible":
	default:
		return fmt.Errorf("%w: reauth_missing_vehicle_error must be no_vehicles or vehicle_incompatible", ErrInvalid)
	}
	if sw.Concurrency < 1 || sw.Concurrency > 256 {
		return fmt.Errorf("%w: concurrency must be 1 to 256", ErrInvalid)
	}
	if sw.RefreshGrace < 0 {
		return fmt.Errorf("%w: refresh_grace must not be negative", ErrInvalid)
	}
	makes := []string{}
	for _, m := range sw.UnauthorizedMakes {
		makes = append(makes, strings.ToUpper(strings.TrimSpace(m)))
	}
	sw.UnauthorizedMakes = makes
	s.mu.Lock()
	defer s.mu.Unlock()
	s.switches = sw
	s.pool.setLimit(sw.Concurrency)
	return nil
}
