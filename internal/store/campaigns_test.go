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

func TestCampaignRowsRoundTripAndIdempotencyKeysAreUnique(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		cut := time.Date(2027, 3, 3, 9, 0, 0, 0, time.UTC)
		in := model.Campaign{
			Name: "Tesla platform", Make: "TESLA", Models: []string{"Model 3", "Model Y"}, YearFrom: 2019, YearTo: 2023,
			Countries: []string{"DE", "FR"}, Reason: model.ReasonOther, CustomMessage: map[string]string{"en": "Hello"},
			CutoverAt: cut, BreaksConnections: true, RepairFlow: model.FlowReauthenticate,
			NoticeOffsets: []time.Duration{-48 * time.Hour, 0, 72 * time.Hour}, FirstWave: 10, WaveHold: 24 * time.Hour,
			IdempotencyKey: "k-1",
		}
		c, err := s.CreateCampaign(ctx, in, "hash-1")
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.CampaignByID(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != model.CampaignDraft || got.Models[1] != "Model Y" || got.Countries[0] != "DE" || got.CustomMessage["en"] != "Hello" ||
			!got.CutoverAt.Equal(cut) || got.NoticeOffsets[0] != -48*time.Hour || got.NoticeOffsets[2] != 72*time.Hour ||
			got.WaveHold != 24*time.Hour || got.FirstWave != 10 || !got.BreaksConnections || got.IdempotencyKey != "k-1" {
			t.Fatalf("round trip lost fields: %+v", got)
		}
		if _, err := s.CreateCampaign(ctx, in, "hash-2"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second create with the same key: want ErrConflict, got %v", err)
		}
		byKey, hash, err := s.CampaignByIdempotencyKey(ctx, "k-1")
		if err != nil || byKey.ID != c.ID || hash != "hash-1" {
			t.Fatalf("by key: %+v %q %v", byKey, hash, err)
		}
		in.IdempotencyKey = ""
		if _, err := s.CreateCampaign(ctx, in, ""); err != nil {
			t.Fatalf("campaigns without a key never conflict: %v", err)
		}
		if _, err := s.CreateCampaign(ctx, in, ""); err != nil {
			t.Fatalf("campaigns without a key never conflict: %v", err)
		}

		moved, err := s.MoveCampaign(ctx, c.ID, model.CampaignDraft, model.CampaignRunning, cut)
		if err != nil || !moved {
			t.Fatalf("launch: %v %v", moved, err)
		}
		if moved, _ := s.MoveCampaign(ctx, c.ID, model.CampaignDraft, model.CampaignRunning, cut); moved {
			t.Fatal("a second conditional move from draft must not happen")
		}
	})
}

func TestCohortSnapshotCountsAndFunnel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		alice, _ := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "alice", Email: "alice@example.com"})
		bob, _ := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "bob"}) // no email
		add := func(id string, owner *int64, make, mdl string, year int, country, vin string) model.Vehicle {
			v, err := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: id, OwnerID: owner, Make: make, Model: mdl, Year: year, Country: country, VIN: vin})
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		a1 := add("a1", &alice.ID, "TESLA", "Model 3", 2020, "DE", "5YJ3E1EA7KF000001")
		add("a2", &alice.ID, "TESLA", "Model Y", 2022, "de", "")
		add("b1", &bob.ID, "TESLA", "Model 3", 2021, "FR", "")
		add("n1", nil, "TESLA", "Model 3", 2021, "", "")
		add("f1", &alice.ID, "FORD", "Mach-E", 2021, "DE", "")
		add("old", &bob.ID, "TESLA", "Model S", 2014, "DE", "")
		if v, _ := s.VehicleBySmartcarID(ctx, "a2"); v.Country != "DE" {
			t.Fatalf("country is stored upper-case: %q", v.Country)
		}

		f := store.CohortFilter{Make: "TESLA", YearFrom: 2019}
		cc, err := s.CountCohort(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if cc.Vehicles != 4 || cc.Owners != 2 || cc.NoOwner != 1 || cc.NoEmail != 1 || cc.ByState[model.StateConnected] != 4 {
			t.Fatalf("cohort counts %+v", cc)
		}
		if cc, _ := s.CountCohort(ctx, store.CohortFilter{Make: "TESLA", Countries: []string{"DE"}, Models: []string{"Model 3", "Model Y"}}); cc.Vehicles != 2 {
			t.Fatalf("models and countries narrow: %+v", cc)
		}
		if cc, _ := s.CountCohort(ctx, store.CohortFilter{Make: "TESLA", Refs: []string{"b1", "5yj3e1ea7kf000001", "nothing"}}); cc.Vehicles != 2 {
			t.Fatalf("an explicit list matches Smartcar ids and VINs: %+v", cc)
		}
		if cc, _ := s.CountCohort(ctx, store.CohortFilter{Make: "TESLA", Refs: []string{}}); cc.Vehicles != 0 {
			t.Fatalf("an empty list matches nothing: %+v", cc)
		}

		c, err := s.CreateCampaign(ctx, model.Campaign{Name: "x", Make: "TESLA", Reason: model.ReasonNewPlatform, RepairFlow: model.FlowReauthenticate, CutoverAt: time.Now(), FirstWave: 100}, "")
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		if n, err := s.CountCohortOwners(ctx, f); err != nil || n != 2 {
			t.Fatalf("cohort owners: %d %v", n, err)
		}
		waves := store.Waves{Keep: 1, First: at, Later: at.Add(time.Hour)}
		n, err := s.SnapshotCohort(ctx, c.ID, f, waves, at)
		if err != nil || n != 4 {
			t.Fatalf("snapshot: %d %v", n, err)
		}
		if n, _ := s.SnapshotCohort(ctx, c.ID, f, waves, at); n != 0 {
			t.Fatalf("a repeated snapshot adds nothing, added %d", n)
		}
		cv, _ := s.CampaignVehicleOf(ctx, c.ID, a1.ID)
		if cv.Wave != 1 || !cv.ReleasedAt.Equal(at) {
			t.Fatalf("alice (lower id, same priority) is in wave 1: %+v", cv)
		}
		b1, _ := s.VehicleBySmartcarID(ctx, "b1")
		if cv, _ := s.CampaignVehicleOf(ctx, c.ID, b1.ID); cv.Wave != 2 || !cv.ReleasedAt.Equal(at.Add(time.Hour)) {
			t.Fatalf("bob is held back: %+v", cv)
		}
		if err := s.ScheduleWaveNotices(ctx, c.ID, 1, store.NoticePlan{Kind: store.NoticeScheduled, OffsetSeconds: -3600, DueAt: at}); err != nil {
			t.Fatal(err)
		}
		if err := s.ScheduleWaveNotices(ctx, c.ID, 1, store.NoticePlan{Kind: store.NoticeScheduled, OffsetSeconds: -3600, DueAt: at}); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.CountOwnerNotices(ctx, c.ID, alice.ID); n != 1 {
			t.Fatalf("one notice per owner and step, got %d", n)
		}
		if n, _ := s.CountOwnerNotices(ctx, c.ID, bob.ID); n != 0 {
			t.Fatalf("bob is in wave 2: %d", n)
		}
		if done, _ := s.CompleteCampaignVehicle(ctx, c.ID, a1.ID, model.SourceCallback, at); !done {
			t.Fatal("complete")
		}
		if done, _ := s.CompleteCampaignVehicle(ctx, c.ID, a1.ID, model.SourceCallback, at); done {
			t.Fatal("completing twice counts once")
		}
		_ = s.MarkOwnerNotified(ctx, c.ID, alice.ID, at)
		fc, err := s.CampaignFunnel(ctx, c.ID)
		if err != nil || fc.Vehicles != 4 || fc.Completed != 1 || fc.Notified != 1 {
			t.Fatalf("funnel %+v %v (the completed car is not marked notified later)", fc, err)
		}
		rows, err := s.CampaignVehicles(ctx, c.ID, "ALICE@", 0, 10)
		if err != nil || len(rows) != 2 || rows[0].Email != "alice@example.com" {
			t.Fatalf("search by owner email: %+v %v", rows, err)
		}
		rows, _ = s.CampaignVehicles(ctx, c.ID, "5yj3", 0, 10)
		if len(rows) != 1 || rows[0].SmartcarID != "a1" || rows[0].CompletedAt == nil {
			t.Fatalf("search by VIN prefix: %+v", rows)
		}
		rows, _ = s.CampaignVehicles(ctx, c.ID, "", rows[0].VehicleID, 2)
		if len(rows) != 2 || rows[0].VehicleID <= a1.ID {
			t.Fatalf("paging after a vehicle id: %+v", rows)
		}
	})
}
