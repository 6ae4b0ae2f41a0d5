package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

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
