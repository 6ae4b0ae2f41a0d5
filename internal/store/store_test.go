package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

func TestOwnersAndVehicles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)

		if _, err := s.OwnerByHostID(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing owner: want ErrNotFound, got %v", err)
		}
		if _, err := s.UpsertOwner(ctx, store.OwnerInput{}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("empty host id: want ErrInvalid, got %v", err)
		}
		o, err := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "u-1", Email: " Alice@Example.COM ", Name: "Alice", Locale: "de", TimeZone: "Europe/Berlin"})
		if err != nil {
			t.Fatal(err)
		}
		if o.ID == 0 || o.Email != "alice@example.com" || o.Locale != "de" {
			t.Fatalf("unexpected owner %+v", o)
		}
		o2, err := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "u-1", Email: "alice@new.example", Name: "Alice B"})
		if err != nil || o2.ID != o.ID || o2.Name != "Alice B" || o2.Email != "alice@new.example" {
			t.Fatalf("upsert did not update in place: %+v %v", o2, err)
		}
		if got, err := s.OwnerByEmail(ctx, "ALICE@new.example"); err != nil || got.ID != o.ID {
			t.Fatalf("by email: %+v %v", got, err)
		}

		v1, err := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "sc-1", OwnerID: &o.ID, Make: "tesla", Model: "Model 3", Year: 2021, VIN: "5yj3e1ea7kf000001"})
		if err != nil {
			t.Fatal(err)
		}
		if v1.State != model.StateConnected || v1.Make != "TESLA" || v1.VIN != "5YJ3E1EA7KF000001" {
			t.Fatalf("unexpected vehicle %+v", v1)
		}
		v2, _ := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "sc-2", OwnerID: &o.ID, Make: "FORD", Model: "Mach-E", Year: 2022})
		if _, err := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "sc-1", Nickname: "Blue"}); err != nil {
			t.Fatal(err)
		}
		v, _ := s.VehicleBySmartcarID(ctx, "sc-1")
		if v.Nickname != "Blue" || v.Model != "Model 3" || v.OwnerID == nil || *v.OwnerID != o.ID {
			t.Fatalf("partial update lost fields: %+v", v)
		}

		at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
		_, from, changed, err := s.SetState(ctx, v2.ID, store.StateChange{To: model.StateNeedsReauth, Reason: "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED", Source: "webhook", At: at})
		if err != nil || !changed || from != model.StateConnected {
			t.Fatalf("set state: from=%s changed=%v err=%v", from, changed, err)
		}
		if _, _, changed, _ := s.SetState(ctx, v2.ID, store.StateChange{To: model.StateNeedsReauth, Reason: "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED", Source: "webhook"}); changed {
			t.Fatal("repeating the same state must not count as a change")
		}
		if _, _, _, err := s.SetState(ctx, v2.ID, store.StateChange{To: "bogus"}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("bogus state: %v", err)
		}

		vs, err := s.VehiclesByOwner(ctx, o.ID)
		if err != nil || len(vs) != 2 || vs[0].SmartcarID != "sc-2" {
			t.Fatalf("broken vehicle must come first: %+v %v", vs, err)
		}
		evs, err := s.EventsByVehicle(ctx, v2.ID, store.Page{})
		if err != nil || len(evs) != 2 || evs[0].Kind != model.EventStateChanged || evs[0].FromState != model.StateConnected || evs[0].ToState != model.StateNeedsReauth || !evs[0].OccurredAt.Equal(at) {
			t.Fatalf("timeline: %+v %v", evs, err)
		}
		all, _ := s.EventsByOwner(ctx, o.ID, store.Page{})
		if len(all) != 3 {
			t.Fatalf("owner timeline has %d events, want 3", len(all))
		}
		older, _ := s.EventsByOwner(ctx, o.ID, store.Page{Before: all[0].ID, Limit: 1})
		if len(older) != 1 || older[0].ID != all[1].ID {
			t.Fatalf("paging: %+v", older)
		}
		counts, err := s.CountByState(ctx)
		if err != nil || counts[model.StateConnected] != 1 || counts[model.StateNeedsReauth] != 1 {
			t.Fatalf("counts %v %v", counts, err)
		}
	})
}

func TestTxRollsBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		boom := errors.New("boom")
		err := s.Tx(ctx, func(tx *store.Store) error {
			if _, err := tx.UpsertOwner(ctx, store.OwnerInput{HostUserID: "ghost"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("want boom, got %v", err)
		}
		if _, err := s.OwnerByHostID(ctx, "ghost"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("rolled-back owner visible: %v", err)
		}
	})
}

func TestConcurrentVehicleUpsert(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "same", Make: "BMW"})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent upsert: %v", err)
			}
		}
		counts, _ := s.CountByState(ctx)
		if counts[model.StateConnected] != 1 {
			t.Fatalf("want exactly one vehicle, got %v", counts)
		}
	})
}
