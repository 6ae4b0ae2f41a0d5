package smartcarsim

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
)

// v3AuthLocked checks the application token from client_credentials. A v2
// user token is not one.
func (s *Sim) v3AuthLocked(w http.ResponseWriter, r *http.Request) bool {
	exp, ok := s.appTokens[bearer(r)]
	if !ok || !s.clock.Now().Before(exp) {
		s.writeV3ErrorLocked(w, authenticationError())
		return false
	}
	return true
}

type jsonRef struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

type v3Connection struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Attributes struct {
		Permissions []string `json:"permissions"`
		Vehicle     struct {
			Make           string `json:"make"`
			Model          string `json:"model"`
			Year           int    `json:"year"`
			Mode           string `json:"mode"`
			PowertrainType string `json:"powertrainType"`
		} `json:"vehicle"`
	} `json:"attributes"`
	Relationships struct {
		Vehicle struct {
			Data  jsonRef           `json:"data"`
			Links map[string]string `json:"links"`
		} `json:"vehicle"`
		User struct {
			Data jsonRef `json:"data"`
		} `json:"user"`
	} `json:"relationships"`
	Meta struct {
		CreatedAt string `json:"createdAt"`
		UpdatedAt string `json:"updatedAt"`
	} `json:"meta"`
	Links map[string]string `json:"links"`
}

func renderConnection(c *connection, base string) v3Connection {
	var out v3Connection
	out.ID, out.Type = c.id, "connection"
	out.Attributes.Permissions = append([]string{}, c.permissions...)
	v := c.vehicle
	out.Attributes.Vehicle.Make, out.Attributes.Vehicle.Model, out.Attributes.Vehicle.Year = v.make, v.model, v.year
	out.Attributes.Vehicle.Mode, out.Attributes.Vehicle.PowertrainType = c.mode, "BEV"
	out.Relationships.Vehicle.Data = jsonRef{v.id, "vehicle"}
	out.Relationships.Vehicle.Links = map[string]string{"related": base + "/v3/vehicles/" + v.id}
	out.Relationships.User.Data = jsonRef{c.user.id, "user"}
	out.Meta.CreatedAt, out.Meta.UpdatedAt = isoTime(c.createdAt), isoTime(c.updatedAt)
	out.Links = map[string]string{"self": base + "/v3/connections/" + c.id}
	return out
}

func (s *Sim) v3Connections(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.v3AuthLocked(w, r) {
		return
	}
	q := r.URL.Query()
	number, size := 1, 10
	for _, p := range []struct {
		name string
		dst  *int
		max  int
	}{{"page[number]", &number, math.MaxInt32}, {"page[size]", &size, 100}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > p.max {
				s.writeV3ErrorLocked(w, validationError("INVALID_INPUT_FORMAT", p.name+" is out of range."))
				return
			}
			*p.dst = n
		}
	}
	userID := q.Get("filter[userId]")
	if h := r.Header.Get("sc-user-id"); h != "" && userID == "" {
		userID = h
	}
	vehicleID, externalID := q.Get("filter[vehicleId]"), q.Get("filter[user.externalId]")
	mode := q.Get("filter[vehicle.mode]")
	if mode == "" {
		mode = "live"
	}
	list := s.sortedConnectionsLocked(func(c *connection) bool {
		return (userID == "" || c.user.id == userID) && (vehicleID == "" || c.vehicle.id == vehicleID) &&
			(externalID == "" || c.user.externalID == externalID) && c.mode == mode
	})
	base := s.publicURL(r)
	data := []v3Connection{}
	for _, c := range pageOf(list, size, (number-1)*size) {
		data = append(data, renderConnection(c, base))
	}
	last := max(1, (len(list)+size-1)/size)
	link := func(n int) *string {
		if n < 1 || n > last {
			return nil
		}
		lq := url.Values{}
		for k, v := range q {
			lq[k] = v
		}
		lq.Set("page[number]", strconv.Itoa(n))
		lq.Set("page[size]", strconv.Itoa(size))
		u := base + "/v3/connections?" + lq.Encode()
		return &u
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"data": data,
		"meta": map[string]any{"pageNumber": number, "pageSize": size, "totalCount": len(list),
			"orderBy": "createdAt", "orderDirection": "desc"},
		"links": map[string]any{"self": link(number), "first": link(1), "prev": link(number - 1),
			"next": link(number + 1), "last": link(last)},
	})
}

func (s *Sim) v3Connection(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.v3AuthLocked(w, r) {
		return
	}
	c := s.conns[r.PathValue("id")]
	if c == nil {
		s.writeV3ErrorLocked(w, notFoundError("CONNECTION_NOT_FOUND", "No connection with this id."))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": renderConnection(c, s.publicURL(r))})
}

func (s *Sim) v3DeleteConnection(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.v3AuthLocked(w, r) {
		return
	}
	c := s.conns[r.PathValue("id")]
	if c == nil {
		s.writeV3ErrorLocked(w, notFoundError("CONNECTION_NOT_FOUND", "No connection with this id."))
		return
	}
	s.deleteConnectionLocked(c)
	w.WriteHeader(http.StatusNoContent)
}

// v3DeleteUser removes every connection of the user. The owner's account
// and user id live on, so connecting again returns the same user_id.
func (s *Sim) v3DeleteUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.v3AuthLocked(w, r) {
		return
	}
	u := s.users[r.PathValue("id")]
	if u == nil {
		s.writeV3ErrorLocked(w, notFoundError("USER_NOT_FOUND", "No user with this id."))
		return
	}
	for _, v := range u.vehicles {
		if c := s.connByVehicle[v.id]; c != nil {
			s.deleteConnectionLocked(c)
		}
	}
	u.externalID = ""
	w.WriteHeader(http.StatusNoContent)
}

// v3Vehicle answers without a data wrapper, as the SDK fixtures show.
func (s *Sim) v3Vehicle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.v3AuthLocked(w, r) {
		return
	}
	c := s.connByVehicle[r.PathValue("id")]
	if c == nil {
		s.writeV3ErrorLocked(w, notFoundError("VEHICLE_NOT_FOUND", "The vehicle is not connected to this application."))
		return
	}
	v := c.vehicle
	writeJSON(w, http.StatusOK, map[string]any{
		"id": v.id, "type": "vehicle",
		"attributes": map[string]any{"make": v.make, "model": v.model, "year": v.year},
		"links":      map[string]string{"self": s.publicURL(r) + "/v3/vehicles/" + v.id},
	})
}

// v3SignalVehicleLocked runs the checks both signal endpoints share.
func (s *Sim) v3SignalVehicleLocked(w http.ResponseWriter, r *http.Request) (*connection, bool) {
	if !s.v3AuthLocked(w, r) {
		return nil, false
	}
	userID := r.Header.Get("sc-user-id")
	if userID == "" {
		s.writeV3ErrorLocked(w, validationError("MISSING_PARAMETER", "missing userId"))
		return nil, false
	}
	c := s.connByVehicle[r.PathValue("id")]
	if c == nil || c.user.id != userID {
		s.writeV3ErrorLocked(w, notFoundError("VEHICLE_NOT_FOUND", "The vehicle is not connected for this user."))
		return nil, false
	}
	return c, true
}

type v3Signal struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Attributes struct {
		Code   string            `json:"code"`
		Name   string            `json:"name"`
		Group  string            `json:"group"`
		Status map[string]string `json:"status"`
		Body   map[string]any    `json:"body"`
	} `json:"attributes"`
	Meta  map[string]string `json:"meta"`
	Links map[string]string `json:"links"`
}

func (s *Sim) renderSignalLocked(d signalDef, v *vehicle, base string) v3Signal {
	var out v3Signal
	out.ID, out.Type = d.code, "signal"
	out.Attributes.Code, out.Attributes.Name, out.Attributes.Group = d.code, d.name, d.group
	out.Attributes.Status = map[string]string{"value": "SUCCESS"}
	out.Attributes.Body = d.body(v)
	now := isoTime(s.clock.Now())
	out.Meta = map[string]string{"retrievedAt": now, "oemUpdatedAt": now}
	out.Links = map[string]string{"self": base + "/v3/vehicles/" + v.id + "/signals/" + d.code}
	return out
}

func (s *Sim) v3Signals(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.v3SignalVehicleLocked(w, r)
	if !ok {
		return
	}
	if f := c.vehicle.failure; f != nil {
		s.writeV3ErrorLocked(w, s.errorFor(failureDefFor(*f), s.publicURL(r), c.vehicle.id))
		return
	}
	base := s.publicURL(r)
	data := []v3Signal{}
	for _, d := range signalDefs {
		if c.has(d.permission) {
			data = append(data, s.renderSignalLocked(d, c.vehicle, base))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data,
		"links": map[string]string{"self": base + "/v3/vehicles/" + c.vehicle.id + "/signals"}})
}

// v3Signal answers one signal without a data wrapper, like the vehicle.
func (s *Sim) v3Signal(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.v3SignalVehicleLocked(w, r)
	if !ok {
		return
	}
	d, ok := findSignal(r.PathValue("code"))
	if !ok {
		s.writeV3ErrorLocked(w, notFoundError("SIGNAL_NOT_FOUND", "No signal with code "+r.PathValue("code")+"."))
		return
	}
	if f := c.vehicle.failure; f != nil {
		s.writeV3ErrorLocked(w, s.errorFor(failureDefFor(*f), s.publicURL(r), c.vehicle.id))
		return
	}
	if !c.has(d.permission) {
		s.writeV3ErrorLocked(w, permissionError("This signal needs the "+d.permission+" permission."))
		return
	}
	writeJSON(w, http.StatusOK, s.renderSignalLocked(d, c.vehicle, s.publicURL(r)))
}

func (s *Sim) v3NotFound(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writeV3ErrorLocked(w, notFoundError("PATH", "The requested path does not exist."))
}
