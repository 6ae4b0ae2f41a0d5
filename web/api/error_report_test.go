package api_test

import (
	"context"
	"net/http"
	"testing"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/web/webtest"
)

func TestAPIErrorReportClassifiesAndApplies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		body := []byte(`{"vehicle_id":"veh-9","status_code":400,"error":{"type":"CONNECTED_SERVICES_ACCOUNT","code":"AUTHENTICATION_FAILED","description":"x","resolution":{"type":"REAUTHENTICATE","url":"https://connect.smartcar.com/oauth/reauthenticate?vehicle_id=veh-9"}}}`)
		status, res := d.API(http.MethodPost, "/api/v1/errors", body)
		cl, _ := res["classification"].(map[string]any)
		if status != 202 || cl["kind"] != "prompt" || cl["state"] != "needs_reauth" || cl["reason"] != "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED" {
			t.Fatalf("%d %v", status, res)
		}
		eventID, _ := res["event_id"].(string)
		if err := d.Ingest.Processor().Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		if status, res := d.API(http.MethodGet, "/api/v1/webhook-events/"+eventID, nil); status != 200 || res["processed"] != true || res["source"] != "host" {
			t.Fatalf("the report's status: %d %v", status, res)
		}
		v, err := d.Store.VehicleBySmartcarID(context.Background(), "veh-9")
		if err != nil || v.State != model.StateNeedsReauth {
			t.Fatalf("%+v %v", v, err)
		}

		noise := []byte(`{"vehicle_id":"veh-9","error":{"type":"RATE_LIMIT","code":"VEHICLE","description":"slow down"}}`)
		if status, res := d.API(http.MethodPost, "/api/v1/errors", noise); status != 202 || res["classification"].(map[string]any)["kind"] != "ignore" {
			t.Fatalf("rate limit: %d %v", status, res)
		}

		for _, tc := range []struct{ body, status, field string }{
			{`{"error":{"type":"SERVER"}}`, "422", "vehicle_id"},
			{`{"vehicle_id":"v"}`, "422", "error"},
			{`{"vehicle_id":"v","error":{"type":"SERVER"},"status_code":9000}`, "422", "status_code"},
			{`[]`, "400", ""},
		} {
			status, res := d.API(http.MethodPost, "/api/v1/errors", []byte(tc.body))
			e, _ := res["error"].(map[string]any)
			if status != map[string]int{"422": 422, "400": 400}[tc.status] || (tc.field != "" && e["field"] != tc.field) {
				t.Errorf("%s: %d %v", tc.body, status, res)
			}
		}
	})
}
