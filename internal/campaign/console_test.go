package campaign_test

import (
	"errors"
	"testing"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

func TestProgressCountsOwnersToldAndTheNextNotice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		alice := w.owner("alice", "alice@example.com")
		bob := w.owner("bob", "bob@example.com")
		w.car("a1", &alice, "TESLA", "Model 3", 2021, "DE")
		w.car("a2", &alice, "TESLA", "Model Y", 2022, "DE")
		w.car("b1", &bob, "TESLA", "Model 3", 2020, "FR")
		in := tesla(start.Add(10 * 24 * time.Hour))
		in.NoticeOffsets = []time.Duration{-14 * 24 * time.Hour, -2 * 24 * time.Hour, 0}
		c := w.create(in)
		if p, err := w.svc.Progress(w.ctx, c.ID); err != nil || p.Owners != 0 || p.NextNoticeAt != nil {
			t.Fatalf("a draft's progress: %+v %v", p, err)
		}
		w.launch(c.ID)
		due, err := w.svc.DueNotices(w.ctx, w.clock(), 10)
		if err != nil || len(due) != 2 {
			t.Fatalf("due at launch: %d %v", len(due), err)
		}
		for _, d := range due {
			if d.Notice.OwnerID == alice.ID {
				if _, err := w.svc.MarkNoticeSent(w.ctx, d.Notice.ID, "<m@test>"); err != nil {
					t.Fatal(err)
				}
			}
		}
		p, err := w.svc.Progress(w.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Bob's first notice is still pending and due now: the next one.
		if p.Owners != 2 || p.OwnersNotified != 1 || p.Counts.Notified != 2 || p.NextNoticeAt == nil || !p.NextNoticeAt.Equal(start) {
			t.Fatalf("progress %+v next %v", p, p.NextNoticeAt)
		}
		if _, err := w.svc.Progress(w.ctx, 999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a missing campaign: %v", err)
		}
	})
}

func TestRecordedCommitsTheChangeOnlyWithItsRecord(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		alice := w.owner("alice", "alice@example.com")
		w.car("a1", &alice, "TESLA", "Model 3", 2021, "DE")
		c := w.create(tesla(start.Add(10 * 24 * time.Hour)))
		boom := errors.New("the audit log refused")
		launch := func(s *campaign.Service) (model.Campaign, error) { return s.Launch(w.ctx, c.ID) }
		_, err := w.svc.Recorded(w.ctx, launch, func(*store.Store, model.Campaign) error { return boom })
		if !errors.Is(err, boom) {
			t.Fatalf("recorded: %v", err)
		}
		if got, _ := w.svc.Get(w.ctx, c.ID); got.State != model.CampaignDraft {
			t.Fatalf("a launch whose record failed stayed: %s", got.State)
		}
		var seen model.CampaignState
		got, err := w.svc.Recorded(w.ctx, launch, func(tx *store.Store, c model.Campaign) error {
			seen = c.State
			return nil
		})
		if err != nil || got.State != model.CampaignRunning || seen != model.CampaignRunning {
			t.Fatalf("launch: %s (record saw %s) %v", got.State, seen, err)
		}
		if _, err := w.svc.Recorded(w.ctx, func(s *campaign.Service) (model.Campaign, error) { return s.Launch(w.ctx, 999) },
			func(*store.Store, model.Campaign) error { t.Fatal("recorded a failed change"); return nil }); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a failed change: %v", err)
		}
	})
}
