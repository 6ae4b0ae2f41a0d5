package api_test

import (
	"context"
	"net/http"
	"testing"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/store"
	"reconnect/web/webtest"
)

func TestAPIVehiclePutTakesCountryAndPriority(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		if _, err := d.Store.UpsertOwner(context.Background(), store.OwnerInput{HostUserID: "host-1"}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ body, field string }{
			{`{"country":"de"}`, "country"},
			{`{"country":"DEU"}`, "country"},
			{`{"country":"D1"}`, "country"},
			{`{"priority":2000000}`, "priority"},
			{`{"priority":"high"}`, "priority"},
		} {
			status, res := d.API(http.MethodPut, "/api/v1/owners/host-1/vehicles/veh-1", []byte(tc.body))
			e, _ := res["error"].(map[string]any)
			if status != 422 || e["field"] != tc.field {
				t.Errorf("%s: want 422 naming %s, got %d %v", tc.body, tc.field, status, res)
			}
		}
		status, res := d.API(http.MethodPut, "/api/v1/owners/host-1/vehicles/veh-1", []byte(`{"make":"TESLA","country":"DE","priority":5}`))
		if status != 200 || res["country"] != "DE" || res["priority"] != float64(5) {
			t.Fatalf("%d %v", status, res)
		}
		// A later PUT without them leaves them alone.
		status, res = d.API(http.MethodPut, "/api/v1/owners/host-1/vehicles/veh-1", []byte(`{"nickname":"Red"}`))
		if status != 200 || res["country"] != "DE" || res["priority"] != float64(5) {
			t.Fatalf("%d %v", status, res)
		}
	})
}
