package lifecycle_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/lifecycle"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

func TestHooksRunInTheSameTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		v, _ := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "v1", Make: "TESLA"})
		var seen []lifecycle.Change
		fail := false
		m := lifecycle.New(s, lifecycle.HookFunc(func(ctx context.Context, tx *store.Store, ch lifecycle.Change) error {
			if fail {
				return errors.New("hook failed")
			}
			seen = append(seen, ch)
			return nil
		}))
		if _, changed, err := m.Transition(ctx, nil, v.ID, store.StateChange{To: model.StateNeedsReauth, Reason: "CSA:AF", Source: "webhook"}); err != nil || !changed {
			t.Fatalf("transition: %v %v", changed, err)
		}
		if len(seen) != 1 || seen[0].From != model.StateConnected || seen[0].Vehicle.State != model.StateNeedsReauth {
			t.Fatalf("hook saw %+v", seen)
		}
		if _, changed, _ := m.Transition(ctx, nil, v.ID, store.StateChange{To: model.StateNeedsReauth, Reason: "CSA:AF"}); changed || len(seen) != 1 {
			t.Fatal("no-op transition must not run hooks")
		}
		fail = true
		if _, _, err := m.Transition(ctx, nil, v.ID, store.StateChange{To: model.StateConnected, Source: "callback"}); err == nil {
			t.Fatal("want the hook's error")
		}
		got, _ := s.VehicleByID(ctx, v.ID)
		if got.State != model.StateNeedsReauth {
			t.Fatalf("a failed hook must roll the change back; state is %s", got.State)
		}
	})
}

// TransitionsFrom makes the steps as one by one would: each owner's hooks
// in the steps' order, each seeing the owner's other cars as they stood at
// that step, a
// car's second change after its first, and a car read where it no longer
// stands changed from where it is.
func TestTransitionsFromKeepsTheOrderOfOneByOne(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		alice, _ := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "alice"})
		a1, _ := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "a1", OwnerID: &alice.ID, Make: "TESLA"})
		a2, _ := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "a2", OwnerID: &alice.ID, Make: "TESLA"})
		b, _ := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "b", Make: "FORD"})
		type seen struct {
			vehicle      string
			to           model.State
			brokenOfOwns int64 // the owner's cars needing them, as the hook saw it
		}
		var got []seen
		m := lifecycle.New(s, lifecycle.HookFunc(func(ctx context.Context, tx *store.Store, ch lifecycle.Change) error {
			var n int64
			if ch.Vehicle.OwnerID != nil {
				n, _ = tx.CountNeedingOwner(ctx, *ch.Vehicle.OwnerID)
			}
			got = append(got, seen{ch.Vehicle.SmartcarID, ch.Vehicle.State, n})
			return nil
		}))
		const reauth = "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED"
		broken := store.StateChange{To: model.StateNeedsReauth, Reason: reauth, Source: model.SourceWebhook}
		fixed := store.StateChange{To: model.StateConnected, Source: model.SourceWebhook}
		steps := []lifecycle.Step{
			{VehicleID: a1.ID, OwnerID: &alice.ID, From: model.StateConnected, Change: broken},
			{VehicleID: a2.ID, OwnerID: &alice.ID, From: model.StateConnected, Change: broken},
			{VehicleID: b.ID, From: model.StateConnected, Change: broken},
			{VehicleID: a1.ID, OwnerID: &alice.ID, From: model.StateNeedsReauth, FromReason: reauth, Change: fixed},
			// Read as broken, but it is connected: changed from where it is.
			{VehicleID: b.ID, From: model.StateNeedsVirtualKey, Change: store.StateChange{To: model.StateDeclined, Reason: "sold", Source: model.SourceOwner}},
		}
		if err := s.Tx(ctx, func(tx *store.Store) error { return m.TransitionsFrom(ctx, tx, steps) }); err != nil {
			t.Fatal(err)
		}
		// In the steps' order for each owner (and car); Alice's and the
		// ownerless car's changes are independent of each other.
		var alices, others []seen
		for _, g := range got {
			if g.vehicle == "b" {
				others = append(others, g)
			} else {
				alices = append(alices, g)
			}
		}
		wantAlice := []seen{{"a1", model.StateNeedsReauth, 1}, {"a2", model.StateNeedsReauth, 2}, {"a1", model.StateConnected, 1}}
		wantOther := []seen{{"b", model.StateNeedsReauth, 0}, {"b", model.StateDeclined, 0}}
		if !slices.Equal(alices, wantAlice) || !slices.Equal(others, wantOther) {
			t.Fatalf("hooks saw %+v, want %+v and %+v", got, wantAlice, wantOther)
		}
		evs, _ := s.EventsByVehicle(ctx, b.ID, store.Page{})
		if len(evs) != 3 || evs[0].FromState != model.StateNeedsReauth || evs[0].ToState != model.StateDeclined {
			t.Fatalf("b's timeline: %+v", evs)
		}
	})
}
