package smartcarsim

import (
	"net/http"
	"strings"
	"testing"
)

func TestControlAPI(t *testing.T) {
	h := newHarness(t)
	rc := newReceiver(t, testAMT)

	r := h.control("POST", "/_control/users", map[string]any{"email": "ctl@example.com", "external_id": "crm-1",
		"vehicles": []map[string]any{{"make": "tesla", "model": "Model S", "year": 2019, "vin": "5yj3e1ea7kf000009"}, {"make": "FORD"}}})
	if r.status != http.StatusCreated || r.json["user_id"] == "" {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	userID := r.json["user_id"].(string)
	v0 := dig(r.json, "vehicles", 0)
	if dig(v0, "make") != "TESLA" || dig(v0, "model") != "Model S" || dig(v0, "year") != float64(2019) ||
		dig(v0, "vin") != "5YJ3E1EA7KF000009" || dig(v0, "id") == "" {
		t.Fatalf("vehicle %v", v0)
	}
	if dig(r.json, "vehicles", 1, "model") == "" {
		t.Fatal("a model should be filled in")
	}
	vid := dig(v0, "id").(string)

	for name, tc := range map[string]struct {
		body   any
		status int
	}{
		"duplicate email":      {map[string]any{"email": "ctl@example.com"}, http.StatusConflict},
		"duplicate VIN":        {map[string]any{"email": "x@example.com", "vehicles": []map[string]any{{"make": "BMW", "vin": "5YJ3E1EA7KF000009"}}}, http.StatusConflict},
		"vehicle with no make": {map[string]any{"email": "y@example.com", "vehicles": []map[string]any{{"model": "X"}}}, http.StatusBadRequest},
		"no email":             {map[string]any{}, http.StatusBadRequest},
		"unknown field":        {map[string]any{"email": "z@example.com", "colour": "red"}, http.StatusBadRequest},
	} {
		if r := h.control("POST", "/_control/users", tc.body); r.status != tc.status {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}

	if r := h.control("GET", "/_control/users", nil); len(r.json["users"].([]any)) != 1 || dig(r.json, "users", 0, "external_id") != "crm-1" {
		t.Errorf("list users %s", r.raw)
	}
	if r := h.control("GET", "/_control/vehicles", nil); len(r.json["vehicles"].([]any)) != 2 {
		t.Errorf("list vehicles %s", r.raw)
	}

	if r := h.control("PUT", "/_control/vehicles/"+vid+"/failure", map[string]string{"type": "NOPE"}); r.status != http.StatusBadRequest {
		t.Errorf("unknown failure: %d", r.status)
	}
	if r := h.control("PUT", "/_control/vehicles/nope/failure", map[string]string{"type": "SERVER"}); r.status != http.StatusNotFound {
		t.Errorf("unknown vehicle: %d", r.status)
	}
	r = h.control("PUT", "/_control/vehicles/"+vid+"/failure", map[string]string{"type": "CSA", "code": "AUTHENTICATION_FAILED"})
	if r.status != http.StatusOK || dig(r.json, "failure", "code") != "AUTHENTICATION_FAILED" {
		t.Errorf("set failure: %d %s", r.status, r.raw)
	}
	r = h.control("DELETE", "/_control/vehicles/"+vid+"/failure", nil)
	if r.status != http.StatusOK || r.json["failure"] != nil {
		t.Errorf("clear failure: %d %s", r.status, r.raw)
	}

	r = h.control("POST", "/_control/users/"+userID+"/tokens", nil)
	if r.status != http.StatusBadRequest {
		t.Errorf("tokens for a user with no connection: %d %s", r.status, r.raw)
	}
	if r := h.control("POST", "/_control/users/nope/tokens", nil); r.status != http.StatusNotFound {
		t.Errorf("tokens for an unknown user: %d", r.status)
	}

	if r := h.control("POST", "/_control/migrations", map[string]any{"make": ""}); r.status != http.StatusBadRequest {
		t.Errorf("migration without make: %d", r.status)
	}
	if r := h.control("POST", "/_control/migrations", map[string]any{"make": "ford"}); r.json["vehicles"] != float64(1) {
		t.Errorf("migration: %s", r.raw)
	}

	if r := h.control("POST", "/_control/webhook/verify", nil); r.status != http.StatusBadRequest {
		t.Errorf("verify without a webhook: %d", r.status)
	}
	if r := h.control("PUT", "/_control/webhook", map[string]string{"url": rc.srv.URL, "format": "3.0"}); r.status != http.StatusBadRequest {
		t.Errorf("bad format: %d", r.status)
	}
	r = h.control("PUT", "/_control/webhook", map[string]string{"url": rc.srv.URL, "management_token": testAMT, "format": "4.0"})
	if r.status != http.StatusOK || r.json["verified"] != false || r.json["id"] != "wh-1" || strings.Contains(string(r.raw), testAMT) {
		t.Errorf("set webhook: %d %s", r.status, r.raw)
	}
	if r := h.control("POST", "/_control/webhook/verify", nil); r.status != http.StatusOK {
		t.Errorf("verify: %d %s", r.status, r.raw)
	}
	if r := h.control("GET", "/_control/webhook", nil); r.json["verified"] != true {
		t.Errorf("get webhook: %s", r.raw)
	}

	seeded, _ := h.seed("state@example.com", "KIA")
	if r := h.control("POST", "/_control/vehicles/"+seeded.Vehicles[0].ID+"/state", nil); r.status != http.StatusAccepted {
		t.Errorf("send state: %d", r.status)
	}
	waitFor(t, "VEHICLE_STATE", func() bool { return len(rc.ofType("VEHICLE_STATE")) == 1 })
	eventID := rc.ofType("VEHICLE_STATE")[0].body["eventId"].(string)
	// The log entry is written once the receiver has answered.
	waitFor(t, "log entry", func() bool {
		return len(h.control("GET", "/_control/deliveries?event_id="+eventID, nil).json["deliveries"].([]any)) == 1
	})
	r = h.control("GET", "/_control/deliveries?event_id="+eventID, nil)
	if len(r.json["deliveries"].([]any)) != 1 || dig(r.json, "deliveries", 0, "status") != float64(200) ||
		dig(r.json, "deliveries", 0, "attempt") != float64(1) || dig(r.json, "deliveries", 0, "deliveryId") == nil {
		t.Errorf("deliveries: %s", r.raw)
	}
	if r := h.control("POST", "/_control/users/"+seeded.UserID+"/tokens", nil); r.status != http.StatusCreated || r.json["refresh_token"] == nil {
		t.Errorf("tokens: %d %s", r.status, r.raw)
	}

	r = h.control("PUT", "/_control/switches", map[string]any{"duplicates": true, "refresh_grace": "10m"})
	if r.status != http.StatusOK || r.json["duplicates"] != true || r.json["auto_subscribe"] != true ||
		r.json["concurrency"] != float64(4) || r.json["refresh_grace"] != "10m0s" {
		t.Errorf("switches: %d %s", r.status, r.raw)
	}
	for name, body := range map[string]any{
		"legacy_resolution": map[string]any{"legacy_resolution": "maybe"},
		"reauth error":      map[string]any{"reauth_missing_vehicle_error": "server_error"},
		"concurrency":       map[string]any{"concurrency": 0},
		"duration":          map[string]any{"refresh_grace": "soon"},
	} {
		if r := h.control("PUT", "/_control/switches", body); r.status != http.StatusBadRequest {
			t.Errorf("%s: %d", name, r.status)
		}
	}
	if r := h.control("GET", "/_control/switches", nil); r.json["duplicates"] != true {
		t.Errorf("a rejected change should leave switches alone: %s", r.raw)
	}
	if r := h.control("POST", "/_control/clock", map[string]string{"advance": "soon"}); r.status != http.StatusBadRequest {
		t.Errorf("bad advance: %d", r.status)
	}
}

func TestUnknownPathsAnswerInTheAPIShape(t *testing.T) {
	h := newHarness(t)
	if r := h.do("GET", "/v2.0/nope", nil, nil); r.status != http.StatusNotFound || r.json["type"] != "RESOURCE_NOT_FOUND" || r.header.Get("SC-Request-Id") == "" {
		t.Errorf("v2: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/v3/nope", nil, nil); r.status != http.StatusNotFound || dig(r.json, "errors", 0, "type") != "RESOURCE_NOT_FOUND" {
		t.Errorf("v3: %d %s", r.status, r.raw)
	}
}
