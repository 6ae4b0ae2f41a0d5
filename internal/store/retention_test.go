package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

func TestRetentionRemovesOldTimelineAndEmailTextInBoundedBatchesAndKeepsTheRest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := time.Date(2031, 3, 1, 12, 0, 0, 0, time.UTC)
		clock := now
		st := store.New(db).WithClock(func() time.Time { return clock })
		o, err := st.UpsertOwner(ctx, store.OwnerInput{HostUserID: "u-r", Email: "r@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		timeline, emails := 400*24*time.Hour, 90*24*time.Hour
		// Five events and five emails just past their limit, two just inside.
		for i, age := range []time.Duration{timeline + time.Hour, timeline + 2*time.Hour, timeline + 3*time.Hour, timeline + 4*time.Hour, timeline + 5*time.Hour, timeline - time.Hour, time.Hour} {
			if err := st.AddEvent(ctx, model.Event{OwnerID: &o.ID, Kind: model.EventEmailSent, Source: model.SourceEmail, Detail: fmt.Sprint(i), OccurredAt: now.Add(-age)}); err != nil {
				t.Fatal(err)
			}
		}
		for i, age := range []time.Duration{emails + time.Hour, emails + 2*time.Hour, emails + 3*time.Hour, emails + 4*time.Hour, emails + 5*time.Hour, emails - time.Hour, time.Hour} {
			clock = now.Add(-age)
			if _, err := st.CreateEmail(ctx, store.EmailMessage{MessageID: fmt.Sprint("<m", i, ">"), DedupeKey: fmt.Sprint("k", i), OwnerID: o.ID, Kind: store.EmailDigest, Status: store.EmailSent, ToAddress: "r@example.com", Subject: "Your car", Error: "250 ok"}); err != nil {
				t.Fatal(err)
			}
		}
		// An email still in flight keeps what it needs to be sent.
		clock = now.Add(-emails - 10*time.Hour)
		if _, err := st.CreateEmail(ctx, store.EmailMessage{MessageID: "<inflight>", DedupeKey: "inflight", OwnerID: o.ID, Kind: store.EmailDigest, Status: store.EmailSending, ToAddress: "r@example.com", Subject: "Your car"}); err != nil {
			t.Fatal(err)
		}
		clock = now

		// One batch touches at most its size.
		if n, err := st.PruneEventsBatch(ctx, now.Add(-timeline), 2); err != nil || n != 2 {
			t.Fatalf("one batch: %d %v", n, err)
		}
		if n, err := st.ClearEmailContentBatch(ctx, now.Add(-emails), 2); err != nil || n != 2 {
			t.Fatalf("one email batch: %d %v", n, err)
		}
		r, err := st.PruneHistory(ctx, now.Add(-timeline), now.Add(-emails), 2)
		if err != nil {
			t.Fatal(err)
		}
		// 3 old events left: batches of 2 and 1; 3 old emails: 2 and 1.
		if r.Events != 3 || r.EventBatches != 2 || r.Emails != 3 || r.EmailBatches != 2 {
			t.Fatalf("pruned %+v", r)
		}

		evs, _ := st.EventsByOwner(ctx, o.ID, store.Page{})
		if len(evs) != 2 || evs[0].Detail != "6" || evs[1].Detail != "5" {
			t.Fatalf("events kept: %+v", evs)
		}
		ems, _ := st.EmailsByOwner(ctx, o.ID, store.Page{})
		if len(ems) != 8 {
			t.Fatalf("email rows must stay for counts: %d", len(ems))
		}
		for _, e := range ems {
			old := e.CreatedAt.Before(now.Add(-emails))
			cleared := e.ToAddress == "" && e.Subject == "" && e.Error == ""
			switch {
			case e.Status == store.EmailSending && cleared:
				t.Errorf("an email in flight lost its address: %+v", e)
			case e.Status == store.EmailSent && old != cleared:
				t.Errorf("email %s created %s: cleared=%v", e.MessageID, e.CreatedAt, cleared)
			}
		}
		// Nothing left to do: one empty statement each.
		if r, err := st.PruneHistory(ctx, now.Add(-timeline), now.Add(-emails), 2); err != nil || r.Events != 0 || r.Emails != 0 {
			t.Fatalf("second run %+v %v", r, err)
		}
	})
}
