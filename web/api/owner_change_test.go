package api_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/web/webtest"
)

// timeline reads an owner's events through the API: kind and vehicle per entry.
func ownerTimeline(t *testing.T, d *webtest.Detection, host string) []map[string]any {
	t.Helper()
	status, res := d.API(http.MethodGet, "/api/v1/owners/"+host+"/events", nil)
	if status != 200 {
		t.Fatalf("events of %s: %d %v", host, status, res)
	}
	var out []map[string]any
	for _, e := range res["events"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

func kinds(evs []map[string]any) map[string]int {
	out := map[string]int{}
	for _, e := range evs {
		out[e["kind"].(string)]++
	}
	return out
}

// brokenCarOf host-1: a webhook breaks veh-1, then the host names its owner.
func brokenCarOfHost1(t *testing.T, d *webtest.Detection) {
	t.Helper()
	ctx := context.Background()
	body := webtest.VehicleErrorBody("e1", "veh-1", "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", "ERROR")
	if status, _ := d.Webhook(body, webtest.Sign(body)); status != 200 {
		t.Fatal(status)
	}
	if err := d.Ingest.Processor().Drain(ctx); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"host-1", "host-2"} {
		if _, err := d.Store.UpsertOwner(ctx, store.OwnerInput{HostUserID: h}); err != nil {
			t.Fatal(err)
		}
	}
	if status, res := d.API(http.MethodPut, "/api/v1/owners/host-1/vehicles/veh-1", []byte(`{"make":"TESLA"}`)); status != 200 {
		t.Fatalf("attach: %d %v", status, res)
	}
}

// checkChangedHands: each owner sees only their part; the new owner's own
// state changes since (afterwards) are theirs.
func checkChangedHands(t *testing.T, d *webtest.Detection, wantKind model.EventKind, afterwards int) {
	t.Helper()
	prev, next := ownerTimeline(t, d, "host-1"), ownerTimeline(t, d, "host-2")
	if k := kinds(prev); k[string(wantKind)] != 1 || k["webhook_received"] != 1 || k["state_changed"] != 1 {
		t.Fatalf("previous owner's timeline: %v", k)
	}
	if k := kinds(next); k[string(wantKind)] != 1 || k["state_changed"] != afterwards || k["webhook_received"] > 1 {
		t.Fatalf("new owner's timeline shows the previous owner's history: %v", k)
	}
	seen := map[any]bool{}
	for _, e := range prev {
		seen[e["id"]] = true
	}
	for _, e := range next {
		if seen[e["id"]] {
			t.Fatalf("event %v is on both timelines", e)
		}
	}
	o2, _ := d.Store.OwnerByHostID(context.Background(), "host-2")
	v, _ := d.Store.VehicleBySmartcarID(context.Background(), "veh-1")
	if v.OwnerID == nil || *v.OwnerID != o2.ID || v.OwnerChangedAt == nil {
		t.Fatalf("the car is not the new owner's: %+v", v)
	}
	o1, _ := d.Store.OwnerByHostID(context.Background(), "host-1")
	if vs, _ := d.Store.VehiclesByOwner(context.Background(), o1.ID); len(vs) != 0 {
		t.Fatalf("the previous owner still has %d cars", len(vs))
	}
}

func TestHostAttachingACarToAnotherOwnerMovesItAndSplitsTheTimelines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		brokenCarOfHost1(t, d)
		if status, res := d.API(http.MethodPut, "/api/v1/owners/host-2/vehicles/veh-1", []byte(`{"make":"TESLA"}`)); status != 200 {
			t.Fatalf("re-attach: %d %v", status, res)
		}
		checkChangedHands(t, d, model.EventOwnerChanged, 0)
	})
}

func TestACarUnderANewSmartcarUserNamingAnotherOwnerChangesHands(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		brokenCarOfHost1(t, d)
		body := webtest.VehicleErrorBody("e2", "veh-1", "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", "RESOLVED")
		body = bytes.Replace(body, []byte(`"id":"u-1","externalId":"host-1"`), []byte(`"id":"u-2","externalId":"host-2"`), 1)
		if status, _ := d.Webhook(body, webtest.Sign(body)); status != 200 {
			t.Fatal(status)
		}
		if err := d.Ingest.Processor().Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		checkChangedHands(t, d, model.EventOwnerChanged, 1)
		if v, _ := d.Store.VehicleBySmartcarID(context.Background(), "veh-1"); v.SmartcarUserID != "u-2" {
			t.Fatalf("smartcar user %q", v.SmartcarUserID)
		}
	})
}
