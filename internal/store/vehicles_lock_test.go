package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// While the inbox processor holds a car (TrackVehicles), a row that only
// refers to it (an owner link in an email job, which holds the owner's
// schedule meanwhile) is inserted at once: the processor may be waiting
// for that schedule, and a wait the other way round was a deadlock.
// SQLite has one connection, so only PostgreSQL has two transactions.
func TestTrackedVehicleCanStillBeReferenced(t *testing.T) {
	s := store.New(dbtest.Open(t, "postgres"))
	ctx := context.Background()
	o, err := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "lock-owner", Email: "lock@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "lock-car", OwnerID: &o.ID})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Tx(ctx, func(tx *store.Store) error {
		if got, err := tx.TrackVehicles(ctx, []string{"lock-car"}); err != nil || len(got) != 1 {
			return fmt.Errorf("track: %v %v", got, err)
		}
		// A deadline instead of a clock measurement: an insert that waits
		// for this transaction would wait for ever.
		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, err := s.CreateLink(lctx, store.OwnerLink{TokenHash: "lock-hash", OwnerID: o.ID, VehicleID: &v.ID,
			Purpose: model.PurposeEmail, ExpiresAt: time.Now().Add(time.Hour)})
		if err != nil {
			return fmt.Errorf("a link to the tracked car: %w", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
