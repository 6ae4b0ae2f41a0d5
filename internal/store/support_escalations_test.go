package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

func TestEscalationsOnePerEpisodeAndTheQueue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
		s := store.New(db).WithClock(func() time.Time { return now })
		o, err := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "u-1", Email: "ann@example.com", Name: "Ann"})
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "sc-1", OwnerID: &o.ID, Make: "BMW", Model: "i4", Year: 2023})
		if err != nil {
			t.Fatal(err)
		}
		fail := func(n int) {
			t.Helper()
			for range n {
				if err := s.AddEvent(ctx, model.Event{VehicleID: &v.ID, OwnerID: &o.ID, Kind: model.EventReconnectFailed, Source: model.SourceCallback, OccurredAt: now}); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Failures before the car broke belong to no episode of it.
		fail(2)
		if _, _, _, err := s.SetState(ctx, v.ID, store.StateChange{To: model.StateNeedsReauth, Source: model.SourceWebhook, At: now}); err != nil {
			t.Fatal(err)
		}
		fail(2)
		if err := s.AddEvent(ctx, model.Event{VehicleID: &v.ID, OwnerID: &o.ID, Kind: model.EventReconnectUnverified, Source: model.SourceCallback, OccurredAt: now}); err != nil {
			t.Fatal(err)
		}
		episode, n, err := s.Episode(ctx, v.ID)
		if err != nil || n != 3 || episode == 0 {
			t.Fatalf("failed attempts in the episode %d: %d %v", episode, n, err)
		}

		if _, _, err := s.OpenEscalation(ctx, model.Escalation{VehicleID: v.ID, Reason: "bogus"}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("unknown reason: %v", err)
		}
		e, opened, err := s.OpenEscalation(ctx, model.Escalation{VehicleID: v.ID, OwnerID: &o.ID, Reason: model.EscalationFailedAttempts, FailedAttempts: 3, EpisodeEventID: episode})
		if err != nil || !opened || e.ID == 0 || !e.RaisedAt.Equal(now) {
			t.Fatalf("open: %+v %v %v", e, opened, err)
		}
		if _, opened, err := s.OpenEscalation(ctx, model.Escalation{VehicleID: v.ID, OwnerID: &o.ID, Reason: model.EscalationRemindersExhausted, EpisodeEventID: episode}); err != nil || opened {
			t.Fatalf("a second escalation in the same episode: %v %v", opened, err)
		}
		rows, err := s.EscalationQueue(ctx, 0, store.Page{})
		if err != nil || len(rows) != 1 || rows[0].Email != "ann@example.com" || rows[0].Make != "BMW" || rows[0].FailedAttempts != 3 ||
			rows[0].Reason != model.EscalationFailedAttempts || rows[0].OwnerID == nil || *rows[0].OwnerID != o.ID {
			t.Fatalf("queue: %+v %v", rows, err)
		}
		if rows, _ := s.EscalationQueue(ctx, 99, store.Page{}); len(rows) != 0 {
			t.Fatalf("another campaign's queue: %+v", rows)
		}

		// Reconnected: the car leaves the queue; a new break starts a new
		// episode, whose escalation closes the last one's.
		if _, _, _, err := s.SetState(ctx, v.ID, store.StateChange{To: model.StateConnected, Source: model.SourceCallback, At: now}); err != nil {
			t.Fatal(err)
		}
		if rows, _ := s.EscalationQueue(ctx, 0, store.Page{}); len(rows) != 0 {
			t.Fatalf("a reconnected car is queued: %+v", rows)
		}
		if _, _, _, err := s.SetState(ctx, v.ID, store.StateChange{To: model.StateNeedsReauth, Source: model.SourceWebhook, At: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if rows, _ := s.EscalationQueue(ctx, 0, store.Page{}); len(rows) != 0 {
			t.Fatalf("the last episode's case is queued in the new one: %+v", rows)
		}
		next, n, err := s.Episode(ctx, v.ID)
		if err != nil || next <= episode || n != 0 {
			t.Fatalf("a new episode starts at 0 failures: episode %d after %d, %d failures, %v", next, episode, n, err)
		}
		e2, opened, err := s.OpenEscalation(ctx, model.Escalation{VehicleID: v.ID, OwnerID: &o.ID, Reason: model.EscalationRemindersExhausted, EpisodeEventID: next})
		if err != nil || !opened {
			t.Fatalf("a new episode escalates again: %v %v", opened, err)
		}
		if rows, _ := s.EscalationQueue(ctx, 0, store.Page{}); len(rows) != 1 || rows[0].EscalationID != e2.ID {
			t.Fatalf("queue in the new episode: %+v", rows)
		}
	})
}

func TestRemindersExhaustedFindsOwnersToldEverything(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
		s := store.New(db).WithClock(func() time.Time { return now })
		mk := func(host string, sent int) model.Vehicle {
			t.Helper()
			o, err := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: host})
			if err != nil {
				t.Fatal(err)
			}
			v, err := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "sc-" + host, OwnerID: &o.ID, Make: "KIA"})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, _, err := s.SetState(ctx, v.ID, store.StateChange{To: model.StateNeedsReauth, Source: model.SourceWebhook, At: now.Add(-72 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
			n, err := s.NotificationForUpdate(ctx, o.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			last := now.Add(-time.Hour)
			n.Active, n.SentCount, n.LastSentAt = true, sent, &last
			if err := s.SaveNotification(ctx, n); err != nil {
				t.Fatal(err)
			}
			return v
		}
		told := mk("told-all", 3)
		mk("told-some", 2)
		fixed := mk("fixed", 3)
		if _, _, _, err := s.SetState(ctx, fixed.ID, store.StateChange{To: model.StateConnected, Source: model.SourceWebhook, At: now}); err != nil {
			t.Fatal(err)
		}
		got, err := s.RemindersExhausted(ctx, 3, 10)
		if err != nil || len(got) != 1 || got[0].VehicleID != told.ID {
			t.Fatalf("exhausted: %+v %v", got, err)
		}
		toldEpisode, _, _ := s.Episode(ctx, told.ID)
		if _, _, err := s.OpenEscalation(ctx, model.Escalation{VehicleID: told.ID, OwnerID: told.OwnerID, Reason: model.EscalationRemindersExhausted, EpisodeEventID: toldEpisode}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.RemindersExhausted(ctx, 3, 10); len(got) != 0 {
			t.Fatalf("an escalated car again: %+v", got)
		}

		// A campaign's owner with every notice sent and none pending.
		c, err := s.CreateCampaign(ctx, model.Campaign{Name: "K", Make: "KIA", Reason: model.ReasonNewPlatform, CutoverAt: now,
			RepairFlow: model.FlowReauthenticate, BreaksConnections: true, FirstWave: 100}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.MoveCampaign(ctx, c.ID, model.CampaignDraft, model.CampaignRunning, now); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SnapshotCohort(ctx, c.ID, store.CohortFilter{Make: "KIA"}, store.Waves{Keep: 100, First: now, Later: now}, now); err != nil {
			t.Fatal(err)
		}
		some := mustVehicle(t, s, "sc-told-some")
		if err := s.ScheduleOwnerNotices(ctx, c.ID, *some.OwnerID, []store.NoticePlan{{Kind: store.NoticeScheduled, OffsetSeconds: -60, DueAt: now}, {Kind: store.NoticeScheduled, OffsetSeconds: 0, DueAt: now}}); err != nil {
			t.Fatal(err)
		}
		ns, err := s.NoticesOfOwner(ctx, c.ID, *some.OwnerID)
		if err != nil || len(ns) != 2 {
			t.Fatalf("notices: %+v %v", ns, err)
		}
		if _, err := s.MarkNotice(ctx, ns[0].ID, store.NoticeSent, "m-1", "", now); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.RemindersExhausted(ctx, 3, 10); len(got) != 0 {
			t.Fatalf("a notice is still pending: %+v", got)
		}
		if _, err := s.MarkNotice(ctx, ns[1].ID, store.NoticeSent, "m-2", "", now); err != nil {
			t.Fatal(err)
		}
		got, err = s.RemindersExhausted(ctx, 3, 10)
		if err != nil || len(got) != 1 || got[0].VehicleID != some.ID || got[0].CampaignID == nil || *got[0].CampaignID != c.ID {
			t.Fatalf("every notice sent: %+v %v", got, err)
		}
		someEpisode, _, _ := s.Episode(ctx, some.ID)
		if _, _, err := s.OpenEscalation(ctx, model.Escalation{VehicleID: some.ID, OwnerID: some.OwnerID, CampaignID: &c.ID, Reason: model.EscalationRemindersExhausted, EpisodeEventID: someEpisode}); err != nil {
			t.Fatal(err)
		}
		// Both Kias are in the campaign: one was escalated in it, the other
		// before it was launched.
		if rows, err := s.EscalationQueue(ctx, c.ID, store.Page{}); err != nil || len(rows) != 2 || rows[0].VehicleID != some.ID || rows[1].VehicleID != told.ID {
			t.Fatalf("the campaign's queue: %+v %v", rows, err)
		}
		if rows, _ := s.EscalationQueue(ctx, 0, store.Page{}); len(rows) != 2 || rows[0].VehicleID != some.ID {
			t.Fatalf("the whole queue, newest first: %+v", rows)
		}
		if camp, err := s.LiveCampaignOf(ctx, some.ID); err != nil || camp == nil || *camp != c.ID {
			t.Fatalf("live campaign of the car: %v %v", camp, err)
		}
	})
}

func mustVehicle(t *testing.T, s *store.Store, smartcarID string) model.Vehicle {
	t.Helper()
	v, err := s.VehicleBySmartcarID(context.Background(), smartcarID)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
