package lifecycle_test

import (
	"context"
	"errors"
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
