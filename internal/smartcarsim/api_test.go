package smartcarsim

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBehaviour11_APIv2(t *testing.T) {
	h := newHarness(t)
	u, tok := h.seed("garage@example.com", "TESLA", "TESLA", "FORD")
	bearer := withBearer(tok.AccessToken)

	t.Run("user", func(t *testing.T) {
		r := h.do("GET", "/v2.0/user", nil, bearer)
		if r.status != http.StatusOK || r.json["id"] != u.UserID || r.header.Get("SC-Request-Id") == "" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})

	t.Run("vehicles with paging", func(t *testing.T) {
		r := h.do("GET", "/v2.0/vehicles?limit=2", nil, bearer)
		if len(r.json["vehicles"].([]any)) != 2 || dig(r.json, "paging", "count") != float64(3) || dig(r.json, "paging", "offset") != float64(0) {
			t.Fatalf("page 1: %s", r.raw)
		}
		r = h.do("GET", "/v2.0/vehicles?limit=2&offset=2", nil, bearer)
		if len(r.json["vehicles"].([]any)) != 1 || dig(r.json, "paging", "offset") != float64(2) {
			t.Fatalf("page 2: %s", r.raw)
		}
		r = h.do("GET", "/v2.0/vehicles?limit=51", nil, bearer)
		if r.status != http.StatusBadRequest || r.json["type"] != "VALIDATION" {
			t.Fatalf("limit 51: %d %s", r.status, r.raw)
		}
	})

	t.Run("attributes carry the data headers", func(t *testing.T) {
		v := u.Vehicles[0]
		r := h.do("GET", "/v2.0/vehicles/"+v.ID, nil, func(r *http.Request) {
			bearer(r)
			r.Header.Set("SC-Unit-System", "imperial")
		})
		if r.status != http.StatusOK || r.json["id"] != v.ID || r.json["make"] != "TESLA" || r.json["model"] != v.Model || r.json["year"] != float64(v.Year) {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		for _, hd := range []string{"SC-Request-Id", "SC-Data-Age", "SC-Fetched-At"} {
			if r.header.Get(hd) == "" {
				t.Errorf("missing %s", hd)
			}
		}
		if r.header.Get("SC-Unit-System") != "imperial" {
			t.Errorf("SC-Unit-System %q", r.header.Get("SC-Unit-System"))
		}
	})

	t.Run("permissions", func(t *testing.T) {
		r := h.do("GET", "/v2.0/vehicles/"+u.Vehicles[0].ID+"/permissions", nil, bearer)
		if !slices.Equal(toStrings(r.json["permissions"]), []string{"read_vehicle_info", "read_odometer"}) ||
			dig(r.json, "paging", "count") != float64(2) {
			t.Fatalf("%s", r.raw)
		}
	})

	t.Run("a missing permission is a 403", func(t *testing.T) {
		r := h.do("GET", "/v2.0/vehicles/"+u.Vehicles[0].ID+"/vin", nil, bearer)
		if r.status != http.StatusForbidden || r.json["type"] != "PERMISSION" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})

	t.Run("webhook subscribe and unsubscribe", func(t *testing.T) {
		r := h.do("POST", "/v2.0/vehicles/"+u.Vehicles[0].ID+"/webhooks/wh-1", nil, bearer)
		if r.status != http.StatusOK || r.json["webhookId"] != "wh-1" || r.json["vehicleId"] != u.Vehicles[0].ID {
			t.Fatalf("subscribe: %d %s", r.status, r.raw)
		}
		if r := h.do("DELETE", "/v2.0/vehicles/"+u.Vehicles[0].ID+"/webhooks/wh-1", nil, bearer); r.status != http.StatusUnauthorized {
			t.Fatalf("unsubscribe with the user token: %d", r.status)
		}
		r = h.do("DELETE", "/v2.0/vehicles/"+u.Vehicles[0].ID+"/webhooks/wh-1", nil, withBearer(testAMT))
		if r.status != http.StatusOK || string(r.raw) != "{}" {
			t.Fatalf("unsubscribe: %d %s", r.status, r.raw)
		}
	})

	t.Run("disconnect with the user token and with the AMT", func(t *testing.T) {
		r := h.do("DELETE", "/v2.0/vehicles/"+u.Vehicles[2].ID+"/application", nil, bearer)
		if r.status != http.StatusOK || r.json["status"] != "success" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		r = h.do("DELETE", "/v2.0/vehicles/"+u.Vehicles[1].ID+"/application", nil, withBearer(testAMT))
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		r = h.do("GET", "/v2.0/vehicles", nil, bearer)
		if got := toStrings(r.json["vehicles"]); !slices.Equal(got, []string{u.Vehicles[0].ID}) {
			t.Fatalf("vehicles after disconnect %v", got)
		}
		if r := h.do("GET", "/v2.0/vehicles/"+u.Vehicles[1].ID, nil, bearer); r.status != http.StatusNotFound {
			t.Fatalf("disconnected vehicle: %d", r.status)
		}
	})

	t.Run("unknown and expired tokens are AUTHENTICATION 401", func(t *testing.T) {
		r := h.do("GET", "/v2.0/vehicles", nil, withBearer("nope"))
		if r.status != http.StatusUnauthorized || r.json["type"] != "AUTHENTICATION" || r.json["code"] != nil ||
			r.json["requestId"] != r.header.Get("SC-Request-Id") {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		h.clock.Advance(2 * time.Hour)
		if r := h.do("GET", "/v2.0/user", nil, bearer); r.status != http.StatusUnauthorized {
			t.Fatalf("expired: %d", r.status)
		}
	})
}

func TestBehaviour12_APIv3(t *testing.T) {
	h := newHarness(t)
	tok := h.appToken()
	app := withBearer(tok)
	var users []UserInfo
	for i, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		u, err := h.sim.CreateUser(UserSpec{Email: email, ExternalID: "ext-" + email[:1], Connected: true,
			Vehicles: []VehicleSpec{{Make: "TESLA"}, {Make: "FORD"}}})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
		h.clock.Advance(time.Duration(i+1) * time.Minute)
	}
	h.sim.CreateUser(UserSpec{Email: "sim@example.com", Connected: true, Mode: "simulated", Vehicles: []VehicleSpec{{Make: "BMW"}}})

	t.Run("list, page and filter connections", func(t *testing.T) {
		r := h.do("GET", "/v3/connections?page[size]=4", nil, app)
		if dig(r.json, "meta", "totalCount") != float64(6) || len(r.json["data"].([]any)) != 4 {
			t.Fatalf("page 1: %s", r.raw)
		}
		next, _ := dig(r.json, "links", "next").(string)
		if !strings.Contains(next, "page%5Bnumber%5D=2") {
			t.Fatalf("links.next %q", next)
		}
		r2 := h.do("GET", strings.TrimPrefix(next, h.base), nil, app)
		if len(r2.json["data"].([]any)) != 2 || dig(r2.json, "links", "next") != nil {
			t.Fatalf("page 2: %s", r2.raw)
		}
		first := dig(r.json, "data", 0)
		if dig(first, "relationships", "user", "data", "id") != users[2].UserID {
			t.Fatal("connections should be newest first")
		}
		if dig(first, "type") != "connection" || dig(first, "attributes", "vehicle", "make") == nil ||
			dig(first, "meta", "createdAt") == nil {
			t.Fatalf("connection shape %v", first)
		}
		for name, q := range map[string]string{
			"filter[userId]":          "filter[userId]=" + users[0].UserID,
			"filter[vehicleId]":       "filter[vehicleId]=" + users[1].Vehicles[0].ID,
			"filter[user.externalId]": "filter[user.externalId]=ext-c",
			"filter[vehicle.mode]":    "filter[vehicle.mode]=simulated",
		} {
			want := map[string]float64{"filter[userId]": 2, "filter[vehicleId]": 1, "filter[user.externalId]": 2, "filter[vehicle.mode]": 1}[name]
			if got := dig(h.do("GET", "/v3/connections?"+q, nil, app).json, "meta", "totalCount"); got != want {
				t.Errorf("%s: %v, want %v", name, got, want)
			}
		}
		byHeader := h.do("GET", "/v3/connections", nil, func(r *http.Request) { app(r); r.Header.Set("sc-user-id", users[1].UserID) })
		if dig(byHeader.json, "meta", "totalCount") != float64(2) {
			t.Errorf("sc-user-id filter: %s", byHeader.raw)
		}
	})

	t.Run("get and delete a connection", func(t *testing.T) {
		id := users[0].Vehicles[1].ConnectionID
		r := h.do("GET", "/v3/connections/"+id, nil, app)
		if r.status != http.StatusOK || dig(r.json, "data", "id") != id {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if r := h.do("DELETE", "/v3/connections/"+id, nil, app); r.status != http.StatusNoContent {
			t.Fatalf("delete: %d", r.status)
		}
		if r := h.do("GET", "/v3/connections/"+id, nil, app); r.status != http.StatusNotFound {
			t.Fatalf("after delete: %d", r.status)
		}
	})

	t.Run("delete a user", func(t *testing.T) {
		if r := h.do("DELETE", "/v3/users/"+users[1].UserID, nil, app); r.status != http.StatusNoContent {
			t.Fatalf("%d", r.status)
		}
		if got := dig(h.do("GET", "/v3/connections?filter[userId]="+users[1].UserID, nil, app).json, "meta", "totalCount"); got != float64(0) {
			t.Fatalf("connections left: %v", got)
		}
	})

	v := users[2].Vehicles[0]
	userHeader := func(id string) func(*http.Request) {
		return func(r *http.Request) { app(r); r.Header.Set("sc-user-id", id) }
	}

	t.Run("vehicle without a data wrapper", func(t *testing.T) {
		r := h.do("GET", "/v3/vehicles/"+v.ID, nil, app)
		if r.status != http.StatusOK || r.json["id"] != v.ID || r.json["type"] != "vehicle" || dig(r.json, "attributes", "make") != "TESLA" || r.json["data"] != nil {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})

	t.Run("signals", func(t *testing.T) {
		r := h.do("GET", "/v3/vehicles/"+v.ID+"/signals", nil, userHeader(users[2].UserID))
		if r.status != http.StatusOK || dig(r.json, "data", 0, "attributes", "code") != "odometer-traveleddistance" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		r = h.do("GET", "/v3/vehicles/"+v.ID+"/signals/odometer-traveleddistance", nil, userHeader(users[2].UserID))
		if r.status != http.StatusOK || dig(r.json, "attributes", "status", "value") != "SUCCESS" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})

	t.Run("signal errors", func(t *testing.T) {
		for _, tc := range []struct {
			name, path string
			setup      func(*http.Request)
			status     int
			typ, code  string
		}{
			{"no sc-user-id", "/signals", app, 400, "VALIDATION", "MISSING_PARAMETER"},
			{"bad code", "/signals/nope-nope", userHeader(users[2].UserID), 404, "RESOURCE_NOT_FOUND", "SIGNAL_NOT_FOUND"},
			{"another user", "/signals", userHeader(users[0].UserID), 404, "RESOURCE_NOT_FOUND", "VEHICLE_NOT_FOUND"},
		} {
			r := h.do("GET", "/v3/vehicles/"+v.ID+tc.path, nil, tc.setup)
			if r.status != tc.status || dig(r.json, "errors", 0, "type") != tc.typ || dig(r.json, "errors", 0, "code") != tc.code {
				t.Errorf("%s: %d %s", tc.name, r.status, r.raw)
			}
		}
		if r := h.do("GET", "/v3/vehicles/"+v.ID+"/signals", nil, func(r *http.Request) {
			withBearer("not-a-token")(r)
			r.Header.Set("sc-user-id", users[2].UserID)
		}); r.status != http.StatusUnauthorized {
			t.Errorf("bad app token: %d", r.status)
		}
	})
}

// v2Keys are the fields of Smartcar's v2 error body, in its documented order.
var v2Keys = []string{"type", "code", "description", "docURL", "statusCode", "requestId", "resolution", "suggestedUserMessage"}

func TestBehaviour13_FailureStates(t *testing.T) {
	h := newHarness(t)
	u, tok := h.seed("broken@example.com", "TESLA")
	vid := u.Vehicles[0].ID
	reauth := h.base + "/oauth/reauthenticate?response_type=vehicle_id&client_id=" + testClientID + "&vehicle_id=" + vid
	cases := []struct {
		typ, code  string
		status     int
		resolution any
	}{
		{"CSA", "AUTHENTICATION_FAILED", 400, map[string]any{"type": "REAUTHENTICATE", "url": reauth}},
		{"CONNECTED_SERVICES_ACCOUNT", "PERMISSION", 400, map[string]any{"type": "REAUTHENTICATE"}},
		{"PERMISSION", "", 403, map[string]any{"type": "REAUTHENTICATE"}},
		{"CSA", "NO_VEHICLES", 400, map[string]any{"type": nil}},
		{"CSA", "VEHICLE_MISSING", 400, map[string]any{"type": nil}},
		{"CSA", "SUBSCRIPTION", 400, map[string]any{"type": nil}},
		{"CSA", "ACCOUNT_ISSUE", 400, map[string]any{"type": nil}},
		{"CSA", "VIRTUAL_KEY_REQUIRED", 400, map[string]any{"type": "ACTION_REQUIRED", "url": "https://www.tesla.com/_ak/smartcar.com"}},
		{"VEHICLE_STATE", "ASLEEP", 409, map[string]any{"type": "RETRY_LATER"}},
		{"VEHICLE_STATE", "UNREACHABLE", 409, map[string]any{"type": "RETRY_LATER"}},
		{"RATE_LIMIT", "VEHICLE", 429, map[string]any{"type": "RETRY_LATER"}},
		{"UPSTREAM", "", 502, map[string]any{"type": "RETRY_LATER"}},
		{"SERVER", "", 500, map[string]any{"type": "RETRY_LATER"}},
		{"BILLING", "", 430, map[string]any{"type": nil}},
	}
	for _, tc := range cases {
		t.Run(tc.typ+":"+tc.code, func(t *testing.T) {
			if err := h.sim.SetFailure(vid, tc.typ, tc.code); err != nil {
				t.Fatal(err)
			}
			r := h.do("GET", "/v2.0/vehicles/"+vid, nil, withBearer(tok.AccessToken))
			if r.status != tc.status || r.json["statusCode"] != float64(tc.status) {
				t.Fatalf("status %d %s", r.status, r.raw)
			}
			if keys := jsonKeys(r.raw); !slices.Equal(keys, v2Keys) {
				t.Fatalf("keys %v", keys)
			}
			if r.json["requestId"] != r.header.Get("SC-Request-Id") || r.json["suggestedUserMessage"] == "" ||
				!strings.HasPrefix(r.json["docURL"].(string), "https://smartcar.com/docs/errors/") {
				t.Fatalf("body %s", r.raw)
			}
			if !equalJSON(r.json["resolution"], tc.resolution) {
				t.Fatalf("resolution %v, want %v", r.json["resolution"], tc.resolution)
			}
			if tc.code == "" && tc.typ == "PERMISSION" && r.json["code"] != nil {
				t.Fatalf("PERMISSION code should be null")
			}
			if tc.status == 429 && r.header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			v3 := h.do("GET", "/v3/vehicles/"+vid+"/signals", nil, func(r *http.Request) {
				withBearer(h.appToken())(r)
				r.Header.Set("sc-user-id", u.UserID)
			})
			e := dig(v3.json, "errors", 0)
			if v3.status != tc.status || dig(e, "status") != itoaTest(tc.status) || dig(e, "type") != r.json["type"] ||
				!equalJSON(dig(e, "resolution"), tc.resolution) || dig(e, "meta", "debug", "requestId") != v3.header.Get("SC-Request-Id") {
				t.Fatalf("v3 %d %s", v3.status, v3.raw)
			}
		})
	}

	t.Run("legacy resolution shapes", func(t *testing.T) {
		h.sim.SetFailure(vid, "CSA", "AUTHENTICATION_FAILED")
		h.switches(func(s *Switches) { s.LegacyResolution = "string" })
		r := h.do("GET", "/v2.0/vehicles/"+vid, nil, withBearer(tok.AccessToken))
		if r.json["resolution"] != "REAUTHENTICATE" {
			t.Fatalf("string: %s", r.raw)
		}
		h.switches(func(s *Switches) { s.LegacyResolution = "null" })
		r = h.do("GET", "/v2.0/vehicles/"+vid, nil, withBearer(tok.AccessToken))
		if v, ok := r.json["resolution"]; !ok || v != nil {
			t.Fatalf("null: %s", r.raw)
		}
	})

	t.Run("clearing the failure restores data", func(t *testing.T) {
		h.sim.ClearFailure(vid)
		if r := h.do("GET", "/v2.0/vehicles/"+vid, nil, withBearer(tok.AccessToken)); r.status != http.StatusOK {
			t.Fatalf("%d", r.status)
		}
	})
}

func TestBehaviour14_OEMMigration(t *testing.T) {
	h := newHarness(t)
	rc := newReceiver(t, testAMT)
	h.webhook(rc)
	a, tokA := h.seed("m1@example.com", "TESLA", "FORD")
	b, _ := h.seed("m2@example.com", "TESLA")
	c, _ := h.seed("m3@example.com", "TESLA")
	r := h.control("POST", "/_control/migrations", map[string]any{"make": "TESLA", "revoke_tokens": false})
	if r.status != http.StatusOK || r.json["vehicles"] != float64(3) {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	for _, v := range h.sim.Vehicles() {
		broken := v.Failure != nil && v.Failure.Type == "CONNECTED_SERVICES_ACCOUNT" && *v.Failure.Code == "AUTHENTICATION_FAILED"
		if broken != (v.Make == "TESLA") {
			t.Errorf("%s %s failure %+v", v.Make, v.ID, v.Failure)
		}
	}
	waitFor(t, "three VEHICLE_ERRORs", func() bool { return len(rc.ofType("VEHICLE_ERROR")) == 3 })
	got := map[any]bool{}
	for _, e := range rc.ofType("VEHICLE_ERROR") {
		got[e.body["vehicleId"]] = true
		if dig(e.body, "data", "errors", 0, "code") != "AUTHENTICATION_FAILED" || dig(e.body, "data", "errors", 0, "state") != "ERROR" {
			t.Errorf("event %s", e.raw)
		}
	}
	for _, id := range []string{a.Vehicles[0].ID, b.Vehicles[0].ID, c.Vehicles[0].ID} {
		if !got[id] {
			t.Errorf("no event for %s", id)
		}
	}
	if r := h.do("GET", "/v2.0/vehicles/"+a.Vehicles[0].ID, nil, withBearer(tokA.AccessToken)); r.json["code"] != "AUTHENTICATION_FAILED" {
		t.Errorf("migrated vehicle answered %s", r.raw)
	}
	if r := h.do("GET", "/v2.0/vehicles/"+a.Vehicles[1].ID, nil, withBearer(tokA.AccessToken)); r.status != http.StatusOK {
		t.Errorf("the Ford should keep working, got %d", r.status)
	}
	if r := h.do("GET", "/v2.0/user", nil, withBearer(tokA.AccessToken)); r.status != http.StatusOK {
		t.Errorf("tokens survive a migration without revoke_tokens: %d", r.status)
	}
}

func TestBehaviour15_ManagementConnections(t *testing.T) {
	h := newHarness(t)
	var users []UserInfo
	for _, email := range []string{"p@example.com", "q@example.com", "r@example.com"} {
		u, _ := h.seed(email, "TESLA", "FORD")
		users = append(users, u)
		h.clock.Advance(time.Minute)
	}
	h.sim.CreateUser(UserSpec{Email: "t@example.com", Connected: true, Mode: "test", Vehicles: []VehicleSpec{{Make: "KIA"}}})
	basic := func(user, pass string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
		}
	}
	auth := basic("default", testAMT)

	if r := h.do("GET", "/v2.0/management/connections", nil, basic("default", "wrong")); r.status != http.StatusUnauthorized || r.json["type"] != "AUTHENTICATION" {
		t.Fatalf("wrong AMT: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/v2.0/management/connections", nil, withBearer(testAMT)); r.status != http.StatusUnauthorized {
		t.Fatalf("Bearer AMT: %d", r.status)
	}

	t.Run("cursor paging newest first", func(t *testing.T) {
		var seen []string
		cursor := ""
		for range 10 {
			path := "/v2.0/management/connections?limit=3"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			r := h.do("GET", path, nil, auth)
			for _, c := range r.json["connections"].([]any) {
				seen = append(seen, dig(c, "userId").(string)+"/"+dig(c, "vehicleId").(string))
				if dig(c, "connectedAt") == nil || dig(c, "mode") == nil {
					t.Fatalf("connection %v", c)
				}
			}
			next, _ := dig(r.json, "paging", "cursor").(string)
			if next == "" {
				break
			}
			cursor = next
		}
		if len(seen) != 7 {
			t.Fatalf("saw %d connections: %v", len(seen), seen)
		}
		if !strings.HasPrefix(seen[1], users[2].UserID) || !strings.HasPrefix(seen[6], users[0].UserID) {
			t.Fatalf("not newest first: %v", seen)
		}
	})

	t.Run("filters", func(t *testing.T) {
		count := func(q string) int {
			return len(h.do("GET", "/v2.0/management/connections?"+q, nil, auth).json["connections"].([]any))
		}
		if n := count("user_id=" + users[0].UserID); n != 2 {
			t.Errorf("user_id: %d", n)
		}
		if n := count("vehicle_id=" + users[1].Vehicles[1].ID); n != 1 {
			t.Errorf("vehicle_id: %d", n)
		}
		if n := count("mode=test"); n != 1 {
			t.Errorf("mode: %d", n)
		}
	})

	t.Run("delete by user, by vehicle, by both", func(t *testing.T) {
		if r := h.do("DELETE", "/v2.0/management/connections", nil, auth); r.status != http.StatusBadRequest {
			t.Fatalf("no filter: %d", r.status)
		}
		r := h.do("DELETE", "/v2.0/management/connections?user_id="+users[0].UserID, nil, auth)
		if len(r.json["connections"].([]any)) != 2 || dig(r.json, "connections", 0, "userId") != users[0].UserID {
			t.Fatalf("by user: %s", r.raw)
		}
		r = h.do("DELETE", "/v2.0/management/connections?vehicle_id="+users[1].Vehicles[0].ID, nil, auth)
		if len(r.json["connections"].([]any)) != 1 {
			t.Fatalf("by vehicle: %s", r.raw)
		}
		r = h.do("DELETE", "/v2.0/management/connections?user_id="+users[2].UserID+"&vehicle_id="+users[1].Vehicles[1].ID, nil, auth)
		if len(r.json["connections"].([]any)) != 0 {
			t.Fatalf("mismatched pair: %s", r.raw)
		}
		r = h.do("DELETE", "/v2.0/management/connections?user_id="+users[2].UserID+"&vehicle_id="+users[2].Vehicles[1].ID, nil, auth)
		if len(r.json["connections"].([]any)) != 1 {
			t.Fatalf("by both: %s", r.raw)
		}
		if n := len(h.do("GET", "/v2.0/management/connections?limit=100", nil, auth).json["connections"].([]any)); n != 3 {
			t.Fatalf("left: %d", n)
		}
	})
}
