package smartcarsim

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// v2TokenLocked checks the user access token and sets the headers every v2
// answer carries. It writes the 401 itself.
func (s *Sim) v2TokenLocked(w http.ResponseWriter, r *http.Request) (*accessToken, bool) {
	unit := "metric"
	if strings.EqualFold(r.Header.Get("SC-Unit-System"), "imperial") {
		unit = "imperial"
	}
	w.Header().Set("SC-Unit-System", unit)
	t := s.access[bearer(r)]
	if t == nil || t.revoked || !s.clock.Now().Before(t.expiresAt) {
		s.writeV2ErrorLocked(w, authenticationError())
		return nil, false
	}
	return t, true
}

// v2VehicleLocked finds a vehicle the token covers and the app is still
// connected to.
func (s *Sim) v2VehicleLocked(w http.ResponseWriter, r *http.Request, t *accessToken) (*vehicle, *connection, bool) {
	id := r.PathValue("id")
	c := s.connByVehicle[id]
	if c == nil || !slices.Contains(t.vehicleIDs, id) || c.user.id != t.userID {
		s.writeV2ErrorLocked(w, notFoundError("PATH", "The vehicle is not connected to this application or not covered by this access token."))
		return nil, nil, false
	}
	return c.vehicle, c, true
}

func (s *Sim) v2User(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.v2TokenLocked(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": t.userID})
}

// paging reads limit and offset; limit must be 1..max.
func paging(q url.Values, def, max int) (limit, offset int, problem string) {
	limit, offset = def, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > max {
			return 0, 0, "limit must be a whole number from 1 to " + strconv.Itoa(max) + "."
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, "offset must be a whole number of 0 or more."
		}
		offset = n
	}
	return limit, offset, ""
}

func pageOf[T any](items []T, limit, offset int) []T {
	if offset >= len(items) {
		return []T{}
	}
	return items[offset:min(len(items), offset+limit)]
}

type v2Paging struct {
	Count  int `json:"count"`
	Offset int `json:"offset"`
}

func (s *Sim) v2Vehicles(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.v2TokenLocked(w, r)
	if !ok {
		return
	}
	limit, offset, problem := paging(r.URL.Query(), 10, 50)
	if problem != "" {
		s.writeV2ErrorLocked(w, validationError("PARAMETER", problem))
		return
	}
	ids := []string{}
	for _, id := range t.vehicleIDs {
		if c := s.connByVehicle[id]; c != nil && c.user.id == t.userID {
			ids = append(ids, id)
		}
	}
	// count is the total for the query, not the size of this page.
	writeJSON(w, http.StatusOK, struct {
		Paging   v2Paging `json:"paging"`
		Vehicles []string `json:"vehicles"`
	}{v2Paging{len(ids), offset}, pageOf(ids, limit, offset)})
}

func (s *Sim) isAMT(token string) bool {
	return s.cfg.ManagementToken != "" && equalSecret(token, s.cfg.ManagementToken)
}

// v2Disconnect accepts the owner's token or, since 2023, the AMT.
func (s *Sim) v2Disconnect(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var c *connection
	if s.isAMT(bearer(r)) {
		c = s.connByVehicle[r.PathValue("id")]
		if c == nil {
			s.writeV2ErrorLocked(w, notFoundError("PATH", "The vehicle is not connected to this application."))
			return
		}
	} else {
		t, ok := s.v2TokenLocked(w, r)
		if !ok {
			return
		}
		if _, c, ok = s.v2VehicleLocked(w, r, t); !ok {
			return
		}
	}
	s.deleteConnectionLocked(c)
	writeJSON(w, http.StatusOK, map[string]string{"status": "success"})
}

func (s *Sim) deleteConnectionLocked(c *connection) {
	delete(s.conns, c.id)
	delete(s.connByVehicle, c.vehicle.id)
	c.vehicle.subscription = subDefault
}

func (s *Sim) v2Subscribe(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.v2TokenLocked(w, r)
	if !ok {
		return
	}
	v, _, ok := s.v2VehicleLocked(w, r, t)
	if !ok {
		return
	}
	if r.PathValue("webhookId") != s.cfg.WebhookID {
		s.writeV2ErrorLocked(w, notFoundError("PATH", "No webhook with this id."))
		return
	}
	v.subscription = subOn
	s.emitLocked([]*event{s.stateEventLocked(v, triggerFirstDelivery)})
	writeJSON(w, http.StatusOK, map[string]string{"webhookId": s.cfg.WebhookID, "vehicleId": v.id})
}

// v2Unsubscribe takes the AMT, not the owner's token.
func (s *Sim) v2Unsubscribe(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isAMT(bearer(r)) {
		s.writeV2ErrorLocked(w, authenticationError())
		return
	}
	v := s.vehicles[r.PathValue("id")]
	if v == nil || r.PathValue("webhookId") != s.cfg.WebhookID {
		s.writeV2ErrorLocked(w, notFoundError("PATH", "No such vehicle or webhook."))
		return
	}
	v.subscription = subOff
	writeJSON(w, http.StatusOK, struct{}{})
}

func (s *Sim) v2NotFound(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writeV2ErrorLocked(w, notFoundError("PATH", "The requested path does not exist."))
}
