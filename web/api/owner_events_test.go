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

func TestAPIOwnerEventsIncludesEventsFromBeforeTheJoin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		ctx := context.Background()
		body := webtest.VehicleErrorBody("e1", "veh-1", "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", "ERROR")
		if status, _ := d.Webhook(body, webtest.Sign(body)); status != 200 {
			t.Fatal(status)
		}
		if err := d.Ingest.Processor().Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if status, _ := d.API(http.MethodGet, "/api/v1/owners/host-1/events", nil); status != 404 {
			t.Fatalf("unknown owner: %d", status)
		}
		o, _ := d.Store.UpsertOwner(ctx, store.OwnerInput{HostUserID: "host-1"})
		if _, err := d.Store.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "veh-1", OwnerID: &o.ID}); err != nil {
			t.Fatal(err)
		}
		status, res := d.API(http.MethodGet, "/api/v1/owners/host-1/events?limit=2", nil)
		evs, _ := res["events"].([]any)
		if status != 200 || len(evs) != 2 || res["next_before"] == nil {
			t.Fatalf("%d %v", status, res)
		}
		first := evs[0].(map[string]any)
		if first["kind"] != "state_changed" || first["to_state"] != "needs_reauth" || first["vehicle_id"] != "veh-1" {
			t.Fatalf("newest event %v", first)
		}
		second := evs[1].(map[string]any)
		if detail, _ := second["detail"].(map[string]any); second["kind"] != "webhook_received" || detail["event_id"] != "e1" {
			t.Fatalf("the webhook itself: %v", second)
		}
		if status, _ := d.API(http.MethodGet, "/api/v1/owners/host-1/events?limit=0", nil); status != 422 {
			t.Fatalf("bad limit: %d", status)
		}
	})
}
