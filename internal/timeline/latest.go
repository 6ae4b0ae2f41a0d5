package timeline

import (
	"encoding/json"

	"reconnect/internal/model"
)

// IsError reports whether e records an error about the car: one Smartcar
// or the host reported (applied or not), a failed health check, or a
// failed trip to Connect.
func IsError(e model.Event) bool {
	switch e.Kind {
	case model.EventErrorReported, model.EventErrorIgnored, model.EventReconnectFailed:
		return true
	case model.EventWebhookReceived, model.EventHealthCheck:
		var d detail
		return json.Unmarshal([]byte(e.Detail), &d) == nil && len(d.Errors) > 0
	}
	return false
}

// LastErrors picks, from events newest first, the newest error of each car
// (see IsError), by vehicle id.
func LastErrors(evs []model.Event) map[int64]model.Event {
	out := map[int64]model.Event{}
	for _, e := range evs {
		if e.VehicleID == nil || !IsError(e) {
			continue
		}
		if _, seen := out[*e.VehicleID]; !seen {
			out[*e.VehicleID] = e
		}
	}
	return out
}
