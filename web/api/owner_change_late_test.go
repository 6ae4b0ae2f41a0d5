package api_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/web/webtest"
)

// After a car moved to its new owner (Smartcar named it under another
// user), a late delivery for the previous owner (their Smartcar user and
// host id) neither moves it back nor reopens the previous owner's story:
// the car stays the new owner's and keeps its state, no change of hands is
// recorded again, and the late event lands on the previous owner's
// timeline, changing nothing.
func TestALateWebhookForThePreviousOwnerChangesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		ctx := context.Background()
		brokenCarOfHost1(t, d)
		deliver := func(id, status, user, host string) {
			t.Helper()
			body := webtest.VehicleErrorBody(id, "veh-1", "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", status)
			body = bytes.Replace(body, []byte(`"id":"u-1","externalId":"host-1"`), []byte(`"id":"`+user+`","externalId":"`+host+`"`), 1)
			if code, _ := d.Webhook(body, webtest.Sign(body)); code != 200 {
				t.Fatal(code)
			}
			if err := d.Ingest.Processor().Drain(ctx); err != nil {
				t.Fatal(err)
			}
		}
		deliver("e2", "RESOLVED", "u-2", "host-2")
		checkChangedHands(t, d, model.EventOwnerChanged, 1)
		before, _ := d.Store.VehicleBySmartcarID(ctx, "veh-1")
		prevBefore := kinds(ownerTimeline(t, d, "host-1"))

		// The previous owner's account reports the car broken, late.
		deliver("e3", "ERROR", "u-1", "host-1")

		after, _ := d.Store.VehicleBySmartcarID(ctx, "veh-1")
		if after.OwnerID == nil || *after.OwnerID != *before.OwnerID || after.State != before.State || after.SmartcarUserID != "u-2" {
			t.Fatalf("the late delivery changed the car: %+v, was %+v", after, before)
		}
		prev, next := kinds(ownerTimeline(t, d, "host-1")), kinds(ownerTimeline(t, d, "host-2"))
		if prev[string(model.EventOwnerChanged)] != 1 || next[string(model.EventOwnerChanged)] != 1 {
			t.Fatalf("a change of hands was recorded again: previous %v, new %v", prev, next)
		}
		if prev[string(model.EventStateChanged)] != prevBefore[string(model.EventStateChanged)] {
			t.Fatalf("the previous owner's car changed state again: %v", prev)
		}
		if prev[string(model.EventWebhookReceived)] != prevBefore[string(model.EventWebhookReceived)]+1 {
			t.Fatalf("the late event is not on the previous owner's timeline: %v, was %v", prev, prevBefore)
		}
		if next[string(model.EventWebhookReceived)] > 1 {
			t.Fatalf("the late event is on the new owner's timeline: %v", next)
		}
		o1, _ := d.Store.OwnerByHostID(ctx, "host-1")
		if n, err := d.Store.NotificationOf(ctx, o1.ID); err == nil && n.Active {
			t.Fatalf("the previous owner's emails were reopened: %+v", n)
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
	})
}
