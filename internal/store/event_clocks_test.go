package store_test

import (
	"context"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/store"
)

// SetEventClocks moves only the clocks it is given: a nil time leaves its
// column alone, and source clocks, when given, replace the old ones, nils
// included.
func TestSetEventClocks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		for _, id := range []string{"c1", "c2", "c3"} {
			if _, err := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: id, Make: "TESLA"}); err != nil {
				t.Fatal(err)
			}
		}
		track := func() map[string]store.TrackedVehicle {
			t.Helper()
			vs, err := s.TrackVehicles(ctx, []string{"c1", "c2", "c3"})
			if err != nil {
				t.Fatal(err)
			}
			return vs
		}
		vs := track()
		t1 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))
		t2, t3 := t1.Add(time.Minute), t1.Add(2*time.Minute)
		seq := int64(7)
		err := s.SetEventClocks(ctx, map[int64]store.EventClock{
			vs["c1"].ID: {LastEventAt: &t1, Sources: &store.SourceClocks{WebhookSentAt: &t2, WebhookSequence: &seq, WebhookSequenceScope: "wh-1"}},
			vs["c2"].ID: {LastSignalAt: &t3},
		})
		if err != nil {
			t.Fatal(err)
		}
		vs = track()
		c1, c2, c3 := vs["c1"], vs["c2"], vs["c3"]
		switch {
		case c1.LastEventAt == nil || !c1.LastEventAt.Equal(t1), c1.LastSignalAt != nil:
			t.Errorf("c1 clocks: event %v, signal %v", c1.LastEventAt, c1.LastSignalAt)
		case c1.WebhookSentAt == nil || !c1.WebhookSentAt.Equal(t2), c1.WebhookSequence == nil || *c1.WebhookSequence != 7,
			c1.WebhookSequenceScope != "wh-1", c1.ReportSentAt != nil:
			t.Errorf("c1 sources: %+v", c1.SourceClocks)
		case c2.LastEventAt != nil, c2.LastSignalAt == nil || !c2.LastSignalAt.Equal(t3), c2.WebhookSequence != nil:
			t.Errorf("c2: event %v, signal %v, sources %+v", c2.LastEventAt, c2.LastSignalAt, c2.SourceClocks)
		case c3.LastEventAt != nil || c3.LastSignalAt != nil || c3.WebhookSentAt != nil:
			t.Errorf("c3 moved: %+v", c3)
		}

		// Sources given empty clear the old ones; the nil event time
		// leaves c1's alone; a report clock is written.
		err = s.SetEventClocks(ctx, map[int64]store.EventClock{
			c1.ID: {LastSignalAt: &t2, Sources: &store.SourceClocks{ReportSentAt: &t3}},
			c3.ID: {},
		})
		if err != nil {
			t.Fatal(err)
		}
		vs = track()
		c1, c3 = vs["c1"], vs["c3"]
		switch {
		case c1.LastEventAt == nil || !c1.LastEventAt.Equal(t1), c1.LastSignalAt == nil || !c1.LastSignalAt.Equal(t2):
			t.Errorf("c1 clocks: event %v, signal %v", c1.LastEventAt, c1.LastSignalAt)
		case c1.WebhookSentAt != nil, c1.WebhookSequence != nil, c1.WebhookSequenceScope != "", c1.ReportSentAt == nil || !c1.ReportSentAt.Equal(t3):
			t.Errorf("c1 sources not replaced: %+v", c1.SourceClocks)
		case c3.LastEventAt != nil || c3.LastSignalAt != nil:
			t.Errorf("c3 moved: %+v", c3)
		}
		if err := s.SetEventClocks(ctx, nil); err != nil {
			t.Errorf("no clocks: %v", err)
		}
	})
}
