package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// breakCars adds n cars of carMake and moves each from connected to
// needs_reauth at at (with reason), as detection does.
func breakCars(t *testing.T, s *store.Store, prefix, carMake string, n int, at time.Time, reason string) []model.Vehicle {
	t.Helper()
	ctx := context.Background()
	var out []model.Vehicle
	for i := range n {
		v, err := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: fmt.Sprintf("%s-%d", prefix, i), Make: carMake, Model: "M"})
		if err != nil {
			t.Fatal(err)
		}
		v, _, _, err = s.SetState(ctx, v.ID, store.StateChange{To: model.StateNeedsReauth, Reason: reason, Source: model.SourceWebhook, At: at.Add(time.Duration(i) * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestSuspectedMigrationCandidatesAndOncePerMakeAndDay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
		s := store.New(db).WithClock(func() time.Time { return now })

		breakCars(t, s, "tesla", "TESLA", 6, now.Add(-30*time.Minute), "AUTHENTICATION_FAILED")
		// Broke before the window: not counted.
		breakCars(t, s, "tesla-old", "TESLA", 4, now.Add(-3*time.Hour), "AUTHENTICATION_FAILED")
		breakCars(t, s, "ford", "FORD", 2, now.Add(-10*time.Minute), "PERMISSION")
		// A car that broke out of another broken state is not newly broken.
		v := breakCars(t, s, "tesla-oem", "TESLA", 1, now.Add(-20*time.Minute), "X")[0]
		if _, _, _, err := s.SetState(ctx, v.ID, store.StateChange{To: model.StateNeedsOEMAction, Reason: "Y", Source: model.SourceWebhook, At: now.Add(-19 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := s.SetState(ctx, v.ID, store.StateChange{To: model.StateNeedsReauth, Reason: "Z", Source: model.SourceWebhook, At: now.Add(-18 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: fmt.Sprintf("tesla-ok-%d", i), Make: "TESLA"}); err != nil {
				t.Fatal(err)
			}
		}

		since := now.Add(-time.Hour)
		got, err := s.MigrationCandidates(ctx, since, 2, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Make != "FORD" || got[0].Vehicles != 2 || got[1].Make != "TESLA" || got[1].Vehicles != 7 {
			t.Fatalf("candidates: %+v", got)
		}
		if got, _ := s.MigrationCandidates(ctx, since, 3, nil, false); len(got) != 1 || got[0].Make != "TESLA" {
			t.Fatalf("at least 3: %+v", got)
		}
		if n, err := s.ConnectedOfMake(ctx, "TESLA"); err != nil || n != 3 {
			t.Fatalf("connected teslas: %d %v", n, err)
		}
		at, reason, err := s.FirstBreak(ctx, "TESLA", since)
		if err != nil || !at.Equal(now.Add(-30*time.Minute)) || reason != "AUTHENTICATION_FAILED" {
			t.Fatalf("first break: %v %q %v", at, reason, err)
		}

		m := model.SuspectedMigration{Make: "TESLA", VehicleCount: 7, ConnectedCount: 3, FirstError: reason, FirstBreakAt: at}
		first, raised, err := s.RaiseSuspectedMigration(ctx, m)
		if err != nil || !raised || first.ID == 0 || first.Day != "2026-11-30" || !first.RaisedAt.Equal(now) {
			t.Fatalf("raise: %+v %v %v", first, raised, err)
		}
		m.VehicleCount = 70
		if again, raised, err := s.RaiseSuspectedMigration(ctx, m); err != nil || raised {
			t.Fatalf("a second raise the same day: %+v %v %v", again, raised, err)
		}
		// Instances checking at the same moment: one raises.
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 8 {
			wg.Go(func() {
				ford := model.SuspectedMigration{Make: "FORD", VehicleCount: 2, FirstBreakAt: at}
				if _, raised, err := s.RaiseSuspectedMigration(ctx, ford); err != nil {
					t.Error(err)
				} else if raised {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d concurrent raises of one make and day succeeded", wins)
		}
		m.RaisedAt = now.Add(24 * time.Hour)
		if _, raised, err := s.RaiseSuspectedMigration(ctx, m); err != nil || !raised {
			t.Fatalf("the next day raises again: %v %v", raised, err)
		}
		byID, err := s.SuspectedMigrationByID(ctx, first.ID)
		if err != nil || byID.VehicleCount != 7 || byID.FirstError != "AUTHENTICATION_FAILED" || !byID.FirstBreakAt.Equal(at) {
			t.Fatalf("by id: %+v %v", byID, err)
		}
		open, err := s.OpenSuspectedMigrations(ctx, now.Add(-time.Hour), 10)
		if err != nil || len(open) != 3 || open[0].Day != "2026-12-01" {
			t.Fatalf("open: %+v %v", open, err)
		}

		// A live campaign of the make takes the banner down, and its cars
		// are no longer counted.
		c, err := s.CreateCampaign(ctx, model.Campaign{Name: "T", Make: "TESLA", Reason: model.ReasonNewPlatform, CutoverAt: now,
			RepairFlow: model.FlowReauthenticate, BreaksConnections: true, FirstWave: 100}, "")
		if err != nil {
			t.Fatal(err)
		}
		if moved, err := s.MoveCampaign(ctx, c.ID, model.CampaignDraft, model.CampaignRunning, now); err != nil || !moved {
			t.Fatal(moved, err)
		}
		if _, err := s.SnapshotCohort(ctx, c.ID, store.CohortFilter{Make: "TESLA"}, store.Waves{Keep: 1000, First: now, Later: now}, now); err != nil {
			t.Fatal(err)
		}
		if open, _ := s.OpenSuspectedMigrations(ctx, now.Add(-time.Hour), 10); len(open) != 1 || open[0].Make != "FORD" {
			t.Fatalf("a running campaign of the make still shows: %+v", open)
		}
		if got, _ := s.MigrationCandidates(ctx, since, 2, nil, true); len(got) != 1 || got[0].Make != "FORD" {
			t.Fatalf("cars a running campaign covers were counted: %+v", got)
		}
		if got, _ := s.MigrationCandidates(ctx, since, 2, []string{"FORD"}, false); len(got) != 1 || got[0].Make != "TESLA" {
			t.Fatalf("skipping FORD: %+v", got)
		}
		if n, err := s.CountBreaks(ctx, since); err != nil || n != 9 {
			t.Fatalf("breaks in the window: %d %v", n, err)
		}
		if got, err := s.MakesRaisedOn(ctx, "2026-11-30"); err != nil || len(got) != 2 {
			t.Fatalf("raised today: %v %v", got, err)
		}
	})
}
