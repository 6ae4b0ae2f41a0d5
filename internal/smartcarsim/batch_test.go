package smartcarsim

import (
	"net/http"
	"strings"
	"testing"
)

// batchItemWant is what one entry of "responses" must say.
type batchItemWant struct {
	path       string
	code       int
	errType    string // for a failed item: body.type
	errCode    string // body.code ("" for null)
	dataHeader bool   // sc-data-age and sc-fetched-at present
}

func TestBatch(t *testing.T) {
	h := newHarness(t)
	// The harness's default scopes are read_vehicle_info and read_odometer:
	// no read_vin.
	u, tok := h.seed("batch@example.com", "TESLA", "FORD", "BMW")
	healthy, reauth, limited := u.Vehicles[0].ID, u.Vehicles[1].ID, u.Vehicles[2].ID
	if err := h.sim.SetFailure(reauth, "CSA", "AUTHENTICATION_FAILED"); err != nil {
		t.Fatal(err)
	}
	if err := h.sim.SetFailure(limited, "RATE_LIMIT", "VEHICLE"); err != nil {
		t.Fatal(err)
	}
	all := `{"requests":[{"path":"/"},{"path":"/odometer"},{"path":"/vin"},{"path":"/permissions"},{"path":"/tires/pressure"}]}`

	cases := []struct {
		name    string
		vehicle string
		body    string
		want    []batchItemWant
	}{
		{"a healthy car: a missing scope fails only its item", healthy, all, []batchItemWant{
			{path: "/", code: 200, dataHeader: true},
			{path: "/odometer", code: 200, dataHeader: true},
			{path: "/vin", code: 403, errType: "PERMISSION"},
			{path: "/permissions", code: 200},
			{path: "/tires/pressure", code: 404, errType: "RESOURCE_NOT_FOUND", errCode: "PATH"},
		}},
		{"a car whose owner must re-authenticate fails every read that reaches it", reauth, all, []batchItemWant{
			{path: "/", code: 400, errType: csa, errCode: "AUTHENTICATION_FAILED"},
			{path: "/odometer", code: 400, errType: csa, errCode: "AUTHENTICATION_FAILED"},
			{path: "/vin", code: 400, errType: csa, errCode: "AUTHENTICATION_FAILED"},
			{path: "/permissions", code: 200},
			{path: "/tires/pressure", code: 404, errType: "RESOURCE_NOT_FOUND", errCode: "PATH"},
		}},
		{"a rate-limited car", limited, `{"requests":[{"path":"/odometer"}]}`, []batchItemWant{
			{path: "/odometer", code: 429, errType: "RATE_LIMIT", errCode: "VEHICLE"},
		}},
		{"item paths are named with one leading and no trailing slash", healthy,
			`{"requests":[{"path":"odometer"},{"path":"/odometer/"},{"path":""},{"path":"permissions?limit=1"}]}`, []batchItemWant{
				{path: "/odometer", code: 200, dataHeader: true},
				{path: "/odometer", code: 200, dataHeader: true},
				{path: "/", code: 200, dataHeader: true},
				{path: "/permissions", code: 200},
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do("POST", "/v2.0/vehicles/"+tc.vehicle+"/batch", strings.NewReader(tc.body), func(r *http.Request) {
				withBearer(tok.AccessToken)(r)
				r.Header.Set("Content-Type", "application/json")
			})
			if r.status != http.StatusOK {
				t.Fatalf("batch: %d %s", r.status, r.raw)
			}
			items, _ := r.json["responses"].([]any)
			if len(items) != len(tc.want) {
				t.Fatalf("%d responses, want %d: %s", len(items), len(tc.want), r.raw)
			}
			for i, want := range tc.want {
				item := items[i]
				if dig(item, "path") != want.path || dig(item, "code") != float64(want.code) {
					t.Errorf("item %d: path %v code %v, want %s %d", i, dig(item, "path"), dig(item, "code"), want.path, want.code)
				}
				if dig(item, "headers", "sc-unit-system") != "metric" {
					t.Errorf("item %d: headers %v", i, dig(item, "headers"))
				}
				if got := dig(item, "headers", "sc-data-age") != nil && dig(item, "headers", "sc-fetched-at") != nil; got != want.dataHeader {
					t.Errorf("item %d: data headers %v, want %v", i, dig(item, "headers"), want.dataHeader)
				}
				if want.errType == "" {
					if dig(item, "body", "type") != nil {
						t.Errorf("item %d: unexpected error body %v", i, dig(item, "body"))
					}
					continue
				}
				var wantCode any
				if want.errCode != "" {
					wantCode = want.errCode
				}
				if dig(item, "body", "type") != want.errType || dig(item, "body", "code") != wantCode ||
					dig(item, "body", "statusCode") != float64(want.code) || dig(item, "body", "requestId") != r.header.Get("SC-Request-Id") {
					t.Errorf("item %d: error body %v, want %s:%s with the batch's request id", i, dig(item, "body"), want.errType, want.errCode)
				}
			}
		})
	}

	t.Run("an item's body is what the single call answers", func(t *testing.T) {
		r := h.do("POST", "/v2.0/vehicles/"+reauth+"/batch", strings.NewReader(`{"requests":[{"path":"/"}]}`), withBearer(tok.AccessToken))
		single := h.do("GET", "/v2.0/vehicles/"+reauth, nil, withBearer(tok.AccessToken))
		if got, want := dig(r.json, "responses", 0, "body", "resolution", "url"), dig(single.json, "resolution", "url"); got == nil || got != want {
			t.Fatalf("resolution.url %v, single call %v", got, want)
		}
		r = h.do("POST", "/v2.0/vehicles/"+limited+"/batch", strings.NewReader(`{"requests":[{"path":"/odometer"}]}`), withBearer(tok.AccessToken))
		if dig(r.json, "responses", 0, "headers", "retry-after") != "60" {
			t.Fatalf("retry-after: %s", r.raw)
		}
	})

	t.Run("imperial units reach every item", func(t *testing.T) {
		r := h.do("POST", "/v2.0/vehicles/"+healthy+"/batch", strings.NewReader(`{"requests":[{"path":"/odometer"}]}`), func(r *http.Request) {
			withBearer(tok.AccessToken)(r)
			r.Header.Set("SC-Unit-System", "imperial")
		})
		single := h.do("GET", "/v2.0/vehicles/"+healthy+"/odometer", nil, func(r *http.Request) {
			withBearer(tok.AccessToken)(r)
			r.Header.Set("SC-Unit-System", "imperial")
		})
		if dig(r.json, "responses", 0, "headers", "sc-unit-system") != "imperial" ||
			dig(r.json, "responses", 0, "body", "distance") != single.json["distance"] {
			t.Fatalf("batch %s, single %s", r.raw, single.raw)
		}
	})

	// What fails the whole batch rather than one item.
	_, other := h.seed("someone-else@example.com", "TESLA")
	for _, tc := range []struct {
		name, vehicle, token, body string
		status                     int
		errType                    string
	}{
		{"no token", healthy, "", all, 401, "AUTHENTICATION"},
		{"a vehicle the token does not cover", healthy, other.AccessToken, all, 404, "RESOURCE_NOT_FOUND"},
		{"a body that is not JSON", healthy, tok.AccessToken, "path=/odometer", 400, "VALIDATION"},
		{"no requests", healthy, tok.AccessToken, `{"requests":[]}`, 400, "VALIDATION"},
		{"a request without a path", healthy, tok.AccessToken, `{"requests":[{"url":"/odometer"}]}`, 400, "VALIDATION"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do("POST", "/v2.0/vehicles/"+tc.vehicle+"/batch", strings.NewReader(tc.body), withBearer(tc.token))
			if r.status != tc.status || r.json["type"] != tc.errType {
				t.Fatalf("%d %s, want %d %s", r.status, r.raw, tc.status, tc.errType)
			}
		})
	}
}
