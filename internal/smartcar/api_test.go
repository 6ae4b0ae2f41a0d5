package smartcar

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func requireHeader(t *testing.T, r *http.Request, key, want string) {
	t.Helper()
	if got := r.Header.Get(key); got != want {
		t.Errorf("%s %s: header %s = %q, want %q", r.Method, r.URL.Path, key, got, want)
	}
}

func TestV2API(t *testing.T) {
	const total = 120
	var pages atomic.Int32
	mux := http.NewServeMux()
	v2 := func(pattern string, h http.HandlerFunc) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			requireHeader(t, r, "Authorization", "Bearer acc")
			requireHeader(t, r, "User-Agent", "reconnect/1")
			h(w, r)
		})
	}
	v2("GET /v2.0/user", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"id":"e0514ef4-5226-11e8-8c13-8f6e8f02e27e"}`)
	})
	v2("GET /v2.0/vehicles", func(w http.ResponseWriter, r *http.Request) {
		pages.Add(1)
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		var ids []string
		for i := offset; i < min(offset+limit, total); i++ {
			ids = append(ids, fmt.Sprintf(`"v%03d"`, i))
		}
		writeJSON(w, 200, fmt.Sprintf(`{"paging":{"count":%d,"offset":%d},"vehicles":[%s]}`, total, offset, strings.Join(ids, ",")))
	})
	v2("GET /v2.0/vehicles/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "asleep" {
			w.Header().Set("SC-Request-Id", "hdr-req")
			writeJSON(w, 409, string(fixture(t, "error_v2_vehicle_state_asleep.json")))
			return
		}
		writeJSON(w, 200, `{"id":"`+r.PathValue("id")+`","make":"TESLA","model":"Model S","year":2014}`)
	})
	v2("GET /v2.0/vehicles/{id}/permissions", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery != "limit=10&offset=5" {
			t.Errorf("query %q", r.URL.RawQuery)
		}
		writeJSON(w, 200, `{"permissions":["read_vehicle_info","read_odometer"],"paging":{"count":2,"offset":5}}`)
	})
	v2("DELETE /v2.0/vehicles/{id}/application", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "a/b" {
			t.Errorf("id %q not escaped as one segment", r.PathValue("id"))
		}
		writeJSON(w, 200, `{"status":"success"}`)
	})
	c, _ := newTestClient(t, mux)
	ctx := context.Background()

	if id, err := c.User(ctx, "acc"); err != nil || id != "e0514ef4-5226-11e8-8c13-8f6e8f02e27e" {
		t.Errorf("User = %q, %v", id, err)
	}
	page, err := c.Vehicles(ctx, "acc", 2, 10)
	if err != nil || len(page.IDs) != 2 || page.IDs[0] != "v010" || page.Paging != (Paging{Count: total, Offset: 10}) || page.RequestID != "req-OK" {
		t.Errorf("Vehicles = %+v, %v", page, err)
	}
	pages.Store(0)
	all, err := c.AllVehicles(ctx, "acc")
	if err != nil || len(all) != total || all[total-1] != "v119" || pages.Load() != 3 {
		t.Errorf("AllVehicles = %d ids in %d pages, %v", len(all), pages.Load(), err)
	}
	attrs, err := c.VehicleAttributes(ctx, "acc", "36ab27d0")
	if err != nil || attrs != (Vehicle{ID: "36ab27d0", Make: "TESLA", Model: "Model S", Year: 2014, RequestID: "req-OK"}) {
		t.Errorf("VehicleAttributes = %+v, %v", attrs, err)
	}
	perms, err := c.Permissions(ctx, "acc", "36ab27d0", 10, 5)
	if err != nil || len(perms.Permissions) != 2 || perms.Paging.Offset != 5 {
		t.Errorf("Permissions = %+v, %v", perms, err)
	}
	if err := c.Disconnect(ctx, "acc", "a/b"); err != nil {
		t.Errorf("Disconnect: %v", err)
	}

	_, err = c.VehicleAttributes(ctx, "acc", "asleep")
	var e *Error
	if !errors.As(err, &e) || e.HTTPStatus != 409 || e.Reason() != "VEHICLE_STATE:ASLEEP" || e.RequestID != "c3b2a1d0-1e2f-4a5b-9c8d-7e6f5a4b3c2d" {
		t.Errorf("asleep err = %#v", err)
	}
}

func TestAllVehiclesStopsOnEmptyPage(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2.0/vehicles", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("offset") == "" {
			writeJSON(w, 200, `{"paging":{"count":99,"offset":0},"vehicles":["a"]}`)
			return
		}
		writeJSON(w, 200, `{"paging":{"count":99,"offset":1},"vehicles":[]}`)
	})
	c, _ := newTestClient(t, mux)
	if ids, err := c.AllVehicles(context.Background(), "acc"); err != nil || len(ids) != 1 {
		t.Errorf("AllVehicles = %v, %v", ids, err)
	}
}

func TestV3API(t *testing.T) {
	var tokens atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		n := tokens.Add(1)
		writeJSON(w, 200, fmt.Sprintf(`{"access_token":"app%d","token_type":"Bearer","expires_in":3600}`, n))
	})
	mux.HandleFunc("GET /v3/vehicles/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer app") {
			t.Errorf("authorization %q", r.Header.Get("Authorization"))
		}
		switch r.PathValue("id") {
		case "bare":
			requireHeader(t, r, "sc-user-id", "")
			writeJSON(w, 200, `{"id":"bare","type":"vehicle","attributes":{"make":"FORD","model":"Mustang Mach-E","year":2024},"links":{"self":"/v3/vehicles/bare"}}`)
		case "wrapped":
			requireHeader(t, r, "sc-user-id", "u1")
			writeJSON(w, 200, `{"data":{"id":"wrapped","type":"vehicle","attributes":{"make":"KIA","model":"EV6","year":"2023"}}}`)
		default:
			writeJSON(w, 404, string(fixture(t, "error_v3_vehicle_not_found.json")))
		}
	})
	mux.HandleFunc("GET /v3/connections", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		for k, v := range map[string]string{"filter[userId]": "u1", "filter[vehicle.mode]": "simulated",
			"filter[user.externalId]": "owner-42", "page[number]": "2", "page[size]": "1"} {
			if q.Get(k) != v {
				t.Errorf("%s = %q, want %q", k, q.Get(k), v)
			}
		}
		if q.Has("filter[vehicleId]") {
			t.Error("empty filter sent")
		}
		writeJSON(w, 200, string(fixture(t, "v3_connections.json")))
	})
	mux.HandleFunc("DELETE /v3/connections/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "expired" {
			writeJSON(w, 401, `{"errors":[{"status":"401","type":"AUTHENTICATION","code":null,"title":"Unauthorized","detail":"The access token is invalid or expired."}]}`)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	c, _ := newTestClient(t, mux)
	ctx := context.Background()

	v, err := c.VehicleV3(ctx, "", "bare")
	if err != nil || v != (Vehicle{ID: "bare", Make: "FORD", Model: "Mustang Mach-E", Year: 2024, RequestID: "req-OK"}) {
		t.Errorf("bare = %+v, %v", v, err)
	}
	v, err = c.VehicleV3(ctx, "u1", "wrapped")
	if err != nil || v.ID != "wrapped" || v.Make != "KIA" || v.Year != 2023 {
		t.Errorf("wrapped = %+v, %v", v, err)
	}
	_, err = c.VehicleV3(ctx, "u1", "gone")
	var e *Error
	if !errors.As(err, &e) || e.Reason() != "RESOURCE_NOT_FOUND:VEHICLE_NOT_FOUND" || e.RequestID != "8d1f4c3e-2b6a-4f9e-a0c7-3e5d9b8a7c61" {
		t.Errorf("not found err = %v", err)
	}

	page, err := c.Connections(ctx, ConnectionsFilter{UserID: "u1", Mode: ModeSimulated, ExternalID: "owner-42", PageNumber: 2, PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := Connection{
		ID: "c9f3a1d2-7b8e-4c5f-a6d0-1e2b3c4d5e6f", UserID: "93b3ca2a-ea20-4e2b-8e8d-2a4b8f1e7c3d",
		VehicleID: "b4e1f2a3-6c5d-4e7f-8a9b-0c1d2e3f4a5b", Make: "TESLA", Model: "Model 3", Year: 2022,
		Mode: "simulated", PowertrainType: "BEV",
		CreatedAt: time.Date(2026, 3, 4, 10, 11, 12, 0, time.UTC), UpdatedAt: time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC),
	}
	if len(page.Connections) != 1 {
		t.Fatalf("connections = %+v", page.Connections)
	}
	got := page.Connections[0]
	if strings.Join(got.Permissions, " ") != "read_vehicle_info read_odometer" {
		t.Errorf("permissions = %v", got.Permissions)
	}
	got.Permissions = nil
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("connection = %+v\nwant %+v", got, want)
	}
	if page.Meta != (PageMeta{PageNumber: 2, PageSize: 1, TotalCount: 3}) || !strings.Contains(page.Next, "page[number]=3") {
		t.Errorf("meta = %+v next = %q", page.Meta, page.Next)
	}

	if err := c.DeleteConnection(ctx, "c9f3"); err != nil {
		t.Errorf("DeleteConnection: %v", err)
	}
	err = c.DeleteConnection(ctx, "expired")
	if got := Classify(asError(t, err)); got.Kind != KindRefreshFirst {
		t.Errorf("401 classified %+v", got)
	}
	if _, err := c.VehicleV3(ctx, "", "bare"); err != nil || tokens.Load() != 2 {
		t.Errorf("after a 401 the app token was not refetched (fetches %d, err %v)", tokens.Load(), err)
	}
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	e, ok := errors.AsType[*Error](err)
	if !ok {
		t.Fatalf("err = %T %v, want *Error", err, err)
	}
	return e
}

func TestManagementAPI(t *testing.T) {
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("default:amt-token"))
	mux := http.NewServeMux()
	mux.HandleFunc("/v2.0/management/connections", func(w http.ResponseWriter, r *http.Request) {
		requireHeader(t, r, "Authorization", wantAuth)
		q := r.URL.Query()
		switch r.Method {
		case http.MethodGet:
			if q.Get("cursor") == "" {
				if q.Get("limit") != "2" || q.Get("mode") != "live" || q.Get("user_id") != "u1" {
					t.Errorf("query = %v", q)
				}
				writeJSON(w, 200, string(fixture(t, "management_connections.json")))
				return
			}
			writeJSON(w, 200, `{"connections":[{"userId":"u1","vehicleId":"v0","createdAt":"2025-01-02T03:04:05Z","mode":"live"}],"paging":{"cursor":null}}`)
		case http.MethodDelete:
			writeJSON(w, 200, fmt.Sprintf(`{"connections":[{"userId":%q,"vehicleId":%q}]}`, q.Get("user_id"), q.Get("vehicle_id")))
		}
	})
	c, _ := newTestClient(t, mux)
	ctx := context.Background()

	page, err := c.ManagementConnections(ctx, ManagementFilter{UserID: "u1", Mode: ModeLive, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Connections) != 2 || page.Cursor != "djE6MjAyNi0wOS0xNQ==" || page.RequestID != "req-OK" {
		t.Fatalf("page = %+v", page)
	}
	if got := page.Connections[0]; got.VehicleID != "v2" || !got.ConnectedAt.Equal(time.Date(2026, 9, 20, 9, 30, 0, 0, time.UTC)) {
		t.Errorf("first = %+v", got)
	}
	next, err := c.ManagementConnections(ctx, ManagementFilter{Cursor: page.Cursor})
	if err != nil || next.Cursor != "" || next.Connections[0].ConnectedAt.Year() != 2025 {
		t.Errorf("next = %+v, %v", next, err)
	}

	removed, err := c.DeleteManagementConnections(ctx, "u1", "v2")
	if err != nil || len(removed) != 1 || removed[0].UserID != "u1" || removed[0].VehicleID != "v2" {
		t.Errorf("removed = %+v, %v", removed, err)
	}
	if _, err := c.DeleteManagementConnections(ctx, "", ""); err == nil {
		t.Error("unfiltered delete allowed")
	}

	noAMT, _ := newTestClient(t, mux, func(c *Config) { c.ManagementToken = "" })
	if _, err := noAMT.ManagementConnections(ctx, ManagementFilter{}); err == nil {
		t.Error("call without a management token")
	}
}
