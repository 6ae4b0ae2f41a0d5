package smartcarsim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// The control API is the simulator's own dashboard. It is not part of
// Smartcar and has no authentication: the simulator is a development tool.

func decodeBody(w http.ResponseWriter, r *http.Request, dst any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid JSON body: " + err.Error()})
		return false
	}
	return true
}

// writeControlError maps the package's errors to statuses.
func writeControlError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	var verr *VerifyError
	switch {
	case errors.As(err, &verr):
		writeJSON(w, verr.Status, map[string]any{"error": verr.Message, "statusCode": verr.Status})
		return
	case errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, ErrConflict):
		status = http.StatusConflict
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrNoWebhook):
		status = http.StatusBadRequest
	case errors.Is(err, ErrNoFakeClock):
		status = http.StatusConflict
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func (s *Sim) controlCreateUser(w http.ResponseWriter, r *http.Request) {
	var spec UserSpec
	if !decodeBody(w, r, &spec) {
		return
	}
	info, err := s.CreateUser(spec)
	if err != nil {
		writeControlError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, info)
}

func (s *Sim) controlListUsers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"users": s.Users()})
}

func (s *Sim) controlIssueTokens(w http.ResponseWriter, r *http.Request) {
	t, err := s.IssueTokens(r.PathValue("id"))
	if err != nil {
		writeControlError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

func (s *Sim) controlListVehicles(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"vehicles": s.Vehicles()})
}

func (s *Sim) controlVehicle(w http.ResponseWriter, id string) {
	for _, v := range s.Vehicles() {
		if v.ID == id {
			writeJSON(w, http.StatusOK, v)
			return
		}
	}
	writeControlError(w, ErrNotFound)
}

func (s *Sim) controlSetFailure(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Type string `json:"type"`
		Code string `json:"code"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if err := s.SetFailure(r.PathValue("id"), body.Type, body.Code); err != nil {
		writeControlError(w, err)
		return
	}
	s.controlVehicle(w, r.PathValue("id"))
}

func (s *Sim) controlClearFailure(w http.ResponseWriter, r *http.Request) {
	if err := s.ClearFailure(r.PathValue("id")); err != nil {
		writeControlError(w, err)
		return
	}
	s.controlVehicle(w, r.PathValue("id"))
}

func (s *Sim) controlSendState(w http.ResponseWriter, r *http.Request) {
	if err := s.SendVehicleState(r.PathValue("id")); err != nil {
		writeControlError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "queued"})
}

func (s *Sim) controlSendNoise(w http.ResponseWriter, r *http.Request) {
	if err := s.SendNoise(r.PathValue("id")); err != nil {
		writeControlError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "queued"})
}

func (s *Sim) controlMigrate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Make         string `json:"make"`
		RevokeTokens bool   `json:"revoke_tokens"`
		// At schedules the break for the cut-over (RFC 3339, on the
		// simulator's clock); without it the make breaks at once.
		At *time.Time `json:"at"`
		// SpareReauthenticatedAfter leaves working the vehicles whose
		// owners signed in again after this time.
		SpareReauthenticatedAfter *time.Time `json:"spare_reauthenticated_after"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	opts := []MigrateOption{RevokeTokens(body.RevokeTokens)}
	if body.SpareReauthenticatedAfter != nil {
		opts = append(opts, SpareReauthenticatedAfter(*body.SpareReauthenticatedAfter))
	}
	if body.At != nil && body.At.After(s.clock.Now()) {
		if _, err := s.ScheduleMigration(body.Make, *body.At, opts...); err != nil {
			writeControlError(w, err)
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]any{"scheduled": true, "at": body.At.UTC()})
		return
	}
	n, err := s.Migrate(body.Make, opts...)
	if err != nil {
		writeControlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"vehicles": n})
}

func (s *Sim) controlGetWebhook(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Webhook())
}

func (s *Sim) controlSetWebhook(w http.ResponseWriter, r *http.Request) {
	var body struct {
		URL             string `json:"url"`
		ManagementToken string `json:"management_token"`
		Format          string `json:"format"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	info, err := s.SetWebhook(body.URL, body.ManagementToken, body.Format)
	if err != nil {
		writeControlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Sim) controlVerifyWebhook(w http.ResponseWriter, r *http.Request) {
	if err := s.VerifyWebhook(r.Context()); err != nil {
		writeControlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.Webhook())
}

func (s *Sim) controlDeliveries(w http.ResponseWriter, r *http.Request) {
	list := s.Deliveries()
	if id := r.URL.Query().Get("event_id"); id != "" {
		filtered := []Delivery{}
		for _, d := range list {
			if d.EventID == id {
				filtered = append(filtered, d)
			}
		}
		list = filtered
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < len(list) {
			list = list[len(list)-n:]
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": list})
}

func (s *Sim) controlGetSwitches(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Switches())
}

// controlSetSwitches changes only the switches named in the body.
func (s *Sim) controlSetSwitches(w http.ResponseWriter, r *http.Request) {
	sw := s.Switches()
	if !decodeBody(w, r, &sw) {
		return
	}
	if err := s.SetSwitches(sw); err != nil {
		writeControlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.Switches())
}

func (s *Sim) controlClock(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Advance string `json:"advance"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	d, err := time.ParseDuration(body.Advance)
	if err != nil || d < 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "advance must be a positive Go duration such as \"90m\""})
		return
	}
	if err := s.Advance(d); err != nil {
		writeControlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"now": isoTime(s.Now())})
}
