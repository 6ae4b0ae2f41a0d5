package smartcarsim

import (
	"net/http"
	"net/url"
	"strings"
)

// v2Read is one GET endpoint of a vehicle. Its own route and batch both
// answer through it, so an item of a batch gets exactly what the single call
// would have got.
type v2Read struct {
	// permission is the scope the read needs; "" for none.
	permission string
	// vehicleData marks reads that reach the car: the vehicle's failure
	// state answers instead of data, and the data headers are set.
	// /permissions is Smartcar's own record and works on a broken car.
	vehicleData bool
	render      func(c *connection, q url.Values, imperial bool) (any, *apiError)
}

// v2Reads is keyed by the path below /v2.0/vehicles/{id}, written the way
// batch items name it: "/" is the attributes.
var v2Reads = map[string]v2Read{
	"/": {permission: "read_vehicle_info", vehicleData: true, render: func(c *connection, _ url.Values, _ bool) (any, *apiError) {
		v := c.vehicle
		return struct {
			ID    string `json:"id"`
			Make  string `json:"make"`
			Model string `json:"model"`
			Year  int    `json:"year"`
		}{v.id, v.make, v.model, v.year}, nil
	}},
	"/vin": {permission: "read_vin", vehicleData: true, render: func(c *connection, _ url.Values, _ bool) (any, *apiError) {
		return map[string]string{"vin": c.vehicle.vin}, nil
	}},
	"/odometer": {permission: "read_odometer", vehicleData: true, render: func(c *connection, _ url.Values, imperial bool) (any, *apiError) {
		distance := c.vehicle.odometer
		if imperial {
			distance = float64(int(distance/1.609344*10)) / 10
		}
		return map[string]float64{"distance": distance}, nil
	}},
	"/permissions": {render: func(c *connection, q url.Values, _ bool) (any, *apiError) {
		limit, offset, problem := paging(q, 25, 50)
		if problem != "" {
			e := validationError("PARAMETER", problem)
			return nil, &e
		}
		return struct {
			Permissions []string `json:"permissions"`
			Paging      v2Paging `json:"paging"`
		}{pageOf(c.permissions, limit, offset), v2Paging{len(c.permissions), offset}}, nil
	}},
}

// v2ReadLocked answers one read for a connection the token covers: the
// vehicle's failure first, then the scope, then the data.
func (s *Sim) v2ReadLocked(rd v2Read, c *connection, q url.Values, publicURL string, imperial bool) (any, *apiError) {
	if rd.vehicleData && c.vehicle.failure != nil {
		e := s.errorFor(failureDefFor(*c.vehicle.failure), publicURL, c.vehicle.id)
		return nil, &e
	}
	if rd.permission != "" && !c.has(rd.permission) {
		e := permissionError("This request needs the " + rd.permission + " permission.")
		return nil, &e
	}
	return rd.render(c, q, imperial)
}

// v2DataHeaders are the headers of an answer that reached the car.
func (s *Sim) v2DataHeaders() map[string]string {
	now := isoTime(s.clock.Now())
	return map[string]string{"SC-Data-Age": now, "SC-Fetched-At": now}
}

// v2ReadRoute serves one entry of v2Reads as its own route.
func (s *Sim) v2ReadRoute(name string) http.HandlerFunc {
	rd := v2Reads[name]
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		t, ok := s.v2TokenLocked(w, r)
		if !ok {
			return
		}
		_, c, ok := s.v2VehicleLocked(w, r, t)
		if !ok {
			return
		}
		body, e := s.v2ReadLocked(rd, c, r.URL.Query(), s.publicURL(r), w.Header().Get("SC-Unit-System") == "imperial")
		if e != nil {
			s.writeV2ErrorLocked(w, *e)
			return
		}
		if rd.vehicleData {
			for k, v := range s.v2DataHeaders() {
				w.Header().Set(k, v)
			}
		}
		writeJSON(w, http.StatusOK, body)
	}
}

// batchPath writes an item's path the way the answer names it: a leading
// slash, no trailing one ("odometer/" is "/odometer"), "/" for the
// attributes. The query, if any, is kept apart.
func batchPath(raw string) (string, url.Values) {
	p, rawQuery, _ := strings.Cut(raw, "?")
	p = "/" + strings.Trim(p, "/")
	q, _ := url.ParseQuery(rawQuery)
	return p, q
}
