package ingest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"reconnect/internal/audit"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/ingest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// An event that failed for good is listed with its error, and an admin's
// retry puts it back in line, audited: applied once the code accepts it,
// failed again (and listed again) while it still refuses it. Only a failed
// event can be retried.
func TestRetryingAFailedEvent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		// A payload the code refuses: recorded, then failed by the processor.
		if _, err := h.store.RecordInbox(ctx, []store.InboxEvent{{EventID: "bad-1", Source: store.InboxSmartcar, EventType: "VEHICLE_ERROR",
			VehicleID: "v-bad", Body: []byte(`{"not":"an event"}`), ReceivedAt: t0}}); err != nil {
			t.Fatal(err)
		}
		h.drain(t)
		// A valid event an earlier version of the code refused.
		good := authFailed("fixed-1", "v-fixed", t0)
		now := t0
		if err := h.store.DB().Create(&store.InboxEvent{EventID: good.EventID, Source: store.InboxSmartcar, EventType: "VEHICLE_ERROR",
			VehicleID: "v-fixed", Body: good.body(), ReceivedAt: t0, ProcessedAt: &now, Status: store.InboxFailed, Error: "ingest: apply event: a bug since fixed"}).Error; err != nil {
			t.Fatal(err)
		}
		if n, err := h.store.InboxCount(ctx, store.InboxFailed); err != nil || n != 2 {
			t.Fatalf("%d failed events, want 2: %v", n, err)
		}
		failed, err := h.store.InboundWebhooks(ctx, store.InboxFailed, store.Page{})
		if err != nil || len(failed) != 2 || failed[0].EventID != "fixed-1" || failed[1].EventID != "bad-1" || failed[1].Error == "" {
			t.Fatalf("failed events, newest first: %+v %v", failed, err)
		}

		woken := 0
		r := ingest.NewRetries(h.store, audit.New(h.store), func() { woken++ })
		by := audit.Actor{StaffID: 1, StaffEmail: "admin@support.example"}
		for _, f := range failed {
			if _, err := r.RetryFailed(ctx, f.ID, by); err != nil {
				t.Fatalf("retry %s: %v", f.EventID, err)
			}
		}
		if woken != 2 || h.pending(t) != 2 {
			t.Fatalf("woken %d times, %d pending", woken, h.pending(t))
		}
		// Retrying again while pending changes nothing and is not audited.
		if _, err := r.RetryFailed(ctx, failed[0].ID, by); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("retried a pending event: %v", err)
		}
		es, err := h.store.AuditEntries(ctx, store.AuditFilter{Action: model.AuditInboxRetried})
		if err != nil || len(es) != 2 || es[1].StaffEmail != "admin@support.example" || !strings.Contains(es[1].Detail, "fixed-1") ||
			!strings.Contains(es[1].Detail, "a bug since fixed") {
			t.Fatalf("audit entries %+v %v", es, err)
		}

		h.clock.advanceTo(t0.Add(time.Minute))
		h.drain(t)
		if v := h.vehicle(t, "v-fixed"); v.State != model.StateNeedsReauth {
			t.Fatalf("the retried event was not applied: %s", v.State)
		}
		if n, _ := h.store.InboxCount(ctx, store.InboxFailed); n != 1 {
			t.Fatalf("%d failed after the retry; the refused payload fails again, the fixed one does not", n)
		}
		// A processed event is never put back.
		ev, _ := h.store.InboxByEventID(ctx, "fixed-1")
		if _, err := r.RetryFailed(ctx, ev.ID, by); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("retried a processed event: %v", err)
		}
	})
}
