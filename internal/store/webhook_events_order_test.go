package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/store"
)

// Two instances recording the same events at once, each batch in the
// opposite order (Smartcar retrying while its first attempt is in flight,
// behind a load balancer): both succeed, every event is recorded once, and
// each is new to exactly one of them.
func TestRecordInboxSameEventsFromTwoInstancesAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := store.New(db)
		ctx := context.Background()
		for round := range 10 {
			var events []store.InboxEvent
			for i := range 300 {
				id := fmt.Sprintf("r%d-ev-%03d", round, i)
				events = append(events, store.InboxEvent{EventID: id, Source: store.InboxSmartcar, EventType: "VEHICLE_ERROR", VehicleID: "v", Body: []byte("{}")})
			}
			reversed := slices.Clone(events)
			slices.Reverse(reversed)
			var wg sync.WaitGroup
			results := make([][]bool, 2)
			errs := make([]error, 2)
			for k, batch := range [][]store.InboxEvent{events, reversed} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[k], errs[k] = s.RecordInbox(ctx, batch)
				}()
			}
			wg.Wait()
			for k, err := range errs {
				if err != nil {
					t.Fatalf("round %d, instance %d: %v", round, k, err)
				}
			}
			for i := range events {
				a, b := results[0][i], results[1][len(events)-1-i]
				if a == b {
					t.Fatalf("round %d: event %s new to both or neither (%v, %v)", round, events[i].EventID, a, b)
				}
			}
		}
		n, err := s.InboxPendingCount(ctx)
		if err != nil || n != 3000 {
			t.Fatalf("%d pending, want 3000 (%v)", n, err)
		}
	})
}

// A duplicate of an event the processor is applying (its row claimed and
// updated in a transaction still open) is answered at once, without
// waiting for that transaction: otherwise a Smartcar retry reaching another
// instance waits for the whole batch and misses the commit limit. SQLite
// has one connection, so only PostgreSQL has two transactions to test.
func TestRecordInboxDoesNotWaitForTheProcessor(t *testing.T) {
	s := store.New(dbtest.Open(t, "postgres"))
	ctx := context.Background()
	ev := func(id string) store.InboxEvent {
		return store.InboxEvent{EventID: id, Source: store.InboxSmartcar, EventType: "VEHICLE_ERROR", VehicleID: "v", Body: []byte("{}")}
	}
	if _, err := s.RecordInbox(ctx, []store.InboxEvent{ev("held")}); err != nil {
		t.Fatal(err)
	}
	err := s.Tx(ctx, func(tx *store.Store) error {
		claimed, err := tx.ClaimInbox(ctx, 10)
		if err != nil || len(claimed) != 1 {
			return fmt.Errorf("claimed %d: %v", len(claimed), err)
		}
		if err := tx.FinishInbox(ctx, []int64{claimed[0].ID}, store.InboxProcessed, ""); err != nil {
			return err
		}
		// The processor's transaction is open and holds the row. A
		// deadline instead of a clock measurement: an insert that waits
		// for this transaction would wait for ever, as it never ends
		// before the insert does.
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		fresh, err := s.RecordInbox(rctx, []store.InboxEvent{ev("held"), ev("new")})
		if err != nil {
			return fmt.Errorf("recording beside the processor: %w", err)
		}
		if fresh[0] || !fresh[1] {
			return fmt.Errorf("fresh %v, want [false true]", fresh)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
