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

// The owner's page reads the owner, their cars (those needing them first)
// and which cars are in a live campaign in one query; it must read exactly
// what the separate queries read.
func TestOwnerPageReadsWhatTheSeparateQueriesRead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		o, _ := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "alice", Email: "alice@example.com", Name: "Alice", TimeZone: "Europe/Berlin"})
		other, _ := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "bob"})
		lonely, _ := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "carol"})
		var cars []model.Vehicle
		for _, id := range []string{"a1", "a2", "a3"} {
			v, err := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: id, OwnerID: &o.ID, Make: "TESLA", Model: "Model 3", Year: 2021, VIN: "5YJ3E1EA7KF0000" + id[1:] + "0"})
			if err != nil {
				t.Fatal(err)
			}
			cars = append(cars, v)
		}
		if _, err := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "b1", OwnerID: &other.ID, Make: "TESLA"}); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := s.SetState(ctx, cars[2].ID, store.StateChange{To: model.StateNeedsReauth, Reason: "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED"}); err != nil {
			t.Fatal(err)
		}
		c, err := s.CreateCampaign(ctx, model.Campaign{Name: "Tesla", Make: "TESLA", Reason: model.ReasonOther,
			CutoverAt: time.Now().Add(240 * time.Hour), RepairFlow: model.FlowReauthenticate}, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Gorm.Exec("INSERT INTO campaign_vehicles (campaign_id, vehicle_id, owner_id, joined_at, wave, released_at) VALUES (?, ?, ?, ?, 1, ?)",
			c.ID, cars[1].ID, o.ID, time.Now().UTC(), time.Now().UTC()).Error; err != nil {
			t.Fatal(err)
		}
		page := func(id int64) store.OwnerPage {
			t.Helper()
			p, err := s.OwnerPageOf(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		// A draft campaign is not live.
		if p := page(o.ID); len(p.InCampaign) != 0 {
			t.Fatalf("draft campaign counted: %v", p.InCampaign)
		}
		if _, err := s.MoveCampaign(ctx, c.ID, model.CampaignDraft, model.CampaignRunning, time.Now()); err != nil {
			t.Fatal(err)
		}
		p := page(o.ID)
		owner, _ := s.OwnerByID(ctx, o.ID)
		vs, _ := s.VehiclesByOwner(ctx, o.ID)
		if p.Owner != owner || len(p.Vehicles) != len(vs) {
			t.Fatalf("owner %+v / %+v, %d vehicles / %d", p.Owner, owner, len(p.Vehicles), len(vs))
		}
		for i := range vs {
			if p.Vehicles[i].ID != vs[i].ID || p.Vehicles[i].State != vs[i].State || !p.Vehicles[i].StateChangedAt.Equal(vs[i].StateChangedAt) || p.Vehicles[i].VIN != vs[i].VIN {
				t.Fatalf("vehicle %d: %+v / %+v", i, p.Vehicles[i], vs[i])
			}
		}
		if p.Vehicles[0].ID != cars[2].ID {
			t.Fatalf("the broken car must come first: %+v", p.Vehicles)
		}
		if len(p.InCampaign) != 1 || !p.InCampaign[cars[1].ID] {
			t.Fatalf("in a live campaign: %v, want only #%d", p.InCampaign, cars[1].ID)
		}
		if p := page(lonely.ID); p.Owner.HostUserID != "carol" || len(p.Vehicles) != 0 {
			t.Fatalf("owner without cars: %+v", p)
		}
		if _, err := s.OwnerPageOf(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("no such owner: %v", err)
		}
	})
}

// SetStateFrom changes a car only where the caller read it, and writes the
// timeline entry with the change.
func TestSetStateFromChangesOnlyWhereTheCallerReadIt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		o, _ := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "alice"})
		v, _ := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "sc-1", OwnerID: &o.ID, Make: "TESLA"})
		at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
		broken := store.StateChange{To: model.StateNeedsReauth, Reason: "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED", Source: model.SourceWebhook, At: at, Detail: `{"event_id":"e1"}`}
		var got model.Vehicle
		var ok bool
		err := s.Tx(ctx, func(tx *store.Store) error {
			var err error
			got, ok, err = tx.SetStateFrom(ctx, v.ID, model.StateConnected, "", broken)
			return err
		})
		if err != nil || !ok || got.State != model.StateNeedsReauth || got.Reason != broken.Reason || !got.StateChangedAt.Equal(at) || got.OwnerID == nil || *got.OwnerID != o.ID {
			t.Fatalf("change: %+v %v %v", got, ok, err)
		}
		// Read as connected, but it is broken by now: nothing is written.
		err = s.Tx(ctx, func(tx *store.Store) error {
			_, ok, err = tx.SetStateFrom(ctx, v.ID, model.StateConnected, "", store.StateChange{To: model.StateDeclined, Reason: "sold"})
			return err
		})
		if err != nil || ok {
			t.Fatalf("a change from where the car no longer stands: %v %v", ok, err)
		}
		now, _ := s.VehicleByID(ctx, v.ID)
		evs, _ := s.EventsByVehicle(ctx, v.ID, store.Page{})
		if now.State != model.StateNeedsReauth || len(evs) != 2 || evs[0].Kind != model.EventStateChanged || evs[0].FromState != model.StateConnected ||
			evs[0].ToState != model.StateNeedsReauth || evs[0].Detail != broken.Detail || !evs[0].OccurredAt.Equal(at) || evs[0].OwnerID == nil {
			t.Fatalf("vehicle %s, timeline %+v", now.State, evs)
		}
	})
}

// SetStatesFrom makes each change SetStateFrom would, in one go, with the
// timeline entries in the order given; a car that no longer stands where
// it was read is left alone and reported so.
func TestSetStatesFromChangesEachCarAsOneByOne(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := store.New(db)
		o, _ := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "alice"})
		a, _ := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "a", OwnerID: &o.ID, Make: "TESLA"})
		b, _ := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "b", Make: "FORD"})
		c, _ := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "c", Make: "BMW"})
		at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
		reauth := "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED"
		chs := []store.StateFrom{
			{VehicleID: b.ID, From: model.StateConnected, Change: store.StateChange{To: model.StateNeedsReauth, Reason: reauth, Source: model.SourceWebhook, At: at, Detail: `{"event_id":"b"}`}},
			{VehicleID: c.ID, From: model.StateNeedsReauth, FromReason: reauth, Change: store.StateChange{To: model.StateConnected, Source: model.SourceWebhook, At: at}},
			{VehicleID: a.ID, From: model.StateConnected, Change: store.StateChange{To: model.StateNeedsOEMAction, Reason: "SUBSCRIPTION", ResolutionURL: "https://example.com/fix", Source: model.SourceWebhook, At: at.Add(time.Second)}},
		}
		var vs []model.Vehicle
		var ok []bool
		err := s.Tx(ctx, func(tx *store.Store) error {
			var err error
			vs, ok, err = tx.SetStatesFrom(ctx, chs)
			return err
		})
		if err != nil || len(ok) != 3 || !ok[0] || ok[1] || !ok[2] {
			t.Fatalf("changed %v, %v (c was read as broken but is connected: it must be left alone)", ok, err)
		}
		if vs[0].ID != b.ID || vs[0].State != model.StateNeedsReauth || vs[2].ID != a.ID || vs[2].State != model.StateNeedsOEMAction ||
			vs[2].ResolutionURL != "https://example.com/fix" || vs[2].OwnerID == nil || *vs[2].OwnerID != o.ID || !vs[2].StateChangedAt.Equal(at.Add(time.Second)) {
			t.Fatalf("vehicles as changed: %+v", vs)
		}
		if now, _ := s.VehicleByID(ctx, c.ID); now.State != model.StateConnected {
			t.Fatalf("c: %s", now.State)
		}
		var added []model.Event
		for _, v := range []model.Vehicle{b, a} {
			evs, _ := s.EventsByVehicle(ctx, v.ID, store.Page{Limit: 1})
			added = append(added, evs[0])
		}
		if added[0].Kind != model.EventStateChanged || added[0].ToState != model.StateNeedsReauth || added[0].Detail != `{"event_id":"b"}` || added[0].OwnerID != nil ||
			added[1].ToState != model.StateNeedsOEMAction || added[1].OwnerID == nil || !added[1].OccurredAt.Equal(at.Add(time.Second)) || added[0].ID > added[1].ID {
			t.Fatalf("timeline entries (in the order given): %+v", added)
		}
		if evs, _ := s.EventsByVehicle(ctx, c.ID, store.Page{}); len(evs) != 1 {
			t.Fatalf("c got a timeline entry: %+v", evs)
		}
	})
}
