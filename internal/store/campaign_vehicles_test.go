package store_test

import (
	"context"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// The sender reads an owner's rows in a campaign without an ORDER BY in
// SQL (so SQLite seeks the owner's rows instead of walking the campaign):
// the rows still come by campaign and car, only the owner's, with which
// campaign each car follows.
func TestOwnerCampaignVehiclesComeByCampaignAndCar(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		alice, _ := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "alice", Email: "alice@example.com"})
		bob, _ := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "bob", Email: "bob@example.com"})
		var cars []int64
		for _, id := range []string{"a1", "b1", "a2", "b2", "a3"} {
			owner := &alice.ID
			if id[0] == 'b' {
				owner = &bob.ID
			}
			v, err := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: id, OwnerID: owner, Make: "TESLA", Model: "Model 3", Year: 2021, Country: "DE"})
			if err != nil {
				t.Fatal(err)
			}
			if id[0] == 'a' {
				cars = append(cars, v.ID)
			}
		}
		at := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		var camps []int64
		// The second campaign cuts over first: the cars follow it.
		for _, cut := range []time.Time{at.Add(20 * 24 * time.Hour), at.Add(10 * 24 * time.Hour)} {
			c, err := s.CreateCampaign(ctx, model.Campaign{Name: "x", Make: "TESLA", Reason: model.ReasonNewPlatform,
				RepairFlow: model.FlowReauthenticate, CutoverAt: cut, FirstWave: 100}, "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.SnapshotCohort(ctx, c.ID, store.CohortFilter{Make: "TESLA"}, store.Waves{Keep: 2, First: at, Later: at}, at); err != nil {
				t.Fatal(err)
			}
			if moved, err := s.MoveCampaign(ctx, c.ID, model.CampaignDraft, model.CampaignRunning, at); err != nil || !moved {
				t.Fatalf("launch: %v %v", moved, err)
			}
			camps = append(camps, c.ID)
		}

		got, err := s.OpenVehiclesOfOwnerIn(ctx, alice.ID, []int64{camps[1], camps[0]})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 6 {
			t.Fatalf("alice has 3 cars in each of 2 campaigns, got %d rows: %+v", len(got), got)
		}
		for i, fv := range got {
			wantCampaign, wantCar := camps[i/3], cars[i%3]
			if fv.CampaignID != wantCampaign || fv.VehicleID != wantCar || fv.OwnerID == nil || *fv.OwnerID != alice.ID {
				t.Fatalf("row %d: campaign #%d car #%d, want campaign #%d car #%d (alice's): %+v", i, fv.CampaignID, fv.VehicleID, wantCampaign, wantCar, got)
			}
			if fv.Follows != (fv.CampaignID == camps[1]) {
				t.Fatalf("row %d: follows %v, but only the campaign cutting over first is followed", i, fv.Follows)
			}
		}

		open, err := s.OpenCampaignVehiclesOfOwner(ctx, camps[0], alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(open) != 3 || open[0].VehicleID != cars[0] || open[1].VehicleID != cars[1] || open[2].VehicleID != cars[2] {
			t.Fatalf("alice's open cars in the campaign by car id: %+v", open)
		}
	})
}
