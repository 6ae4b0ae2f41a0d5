package campaign_test

import (
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
)

// The owner's page asks for all the owner's cars at once: the answer is the
// one each car would get alone, a car in no campaign is left out, and a car
// in two campaigns shows the one with the earlier cut-over.
func TestForVehiclesAnswersAsForVehicleDoesForEachCar(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		o := w.owner("alice", "alice@example.com")
		early, late := w.car("early", &o, "TESLA", "Model 3", 2021, "DE"), w.car("late", &o, "TESLA", "Model Y", 2022, "DE")
		done := w.car("done", &o, "TESLA", "Model 3", 2020, "DE")
		ford := w.car("ford", &o, "FORD", "Mach-E", 2022, "DE")
		second := tesla(start.Add(20 * 24 * time.Hour))
		second.Name, second.Models = "Model Y later", []string{"Model Y"}
		w.launch(w.create(second).ID)
		first := w.launch(w.create(tesla(start.Add(10 * 24 * time.Hour))).ID)
		w.breakCar(done)
		w.advance(time.Hour)
		w.fix(done, model.SourceCallback)

		ids := []int64{early.ID, late.ID, done.ID, ford.ID}
		got, err := w.svc.ForVehicles(w.ctx, ids, w.clock())
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got[ford.ID]; ok || len(got) != 3 {
			t.Fatalf("standings for %d cars, the Ford's included: %v", len(got), got)
		}
		for _, id := range ids {
			one, ok, err := w.svc.ForVehicle(w.ctx, id, w.clock())
			if err != nil {
				t.Fatal(err)
			}
			many, inMany := got[id]
			if ok != inMany || one.Campaign.ID != many.Campaign.ID || one.Done != many.Done || one.Member.VehicleID != many.Member.VehicleID {
				t.Errorf("vehicle #%d: alone %+v (%v), together %+v (%v)", id, one, ok, many, inMany)
			}
		}
		if got[late.ID].Campaign.ID != first.ID || !got[done.ID].Done {
			t.Fatalf("late car follows campaign #%d (want the earlier cut-over, #%d); done car done: %v",
				got[late.ID].Campaign.ID, first.ID, got[done.ID].Done)
		}
		if none, err := w.svc.ForVehicles(w.ctx, nil, w.clock()); err != nil || len(none) != 0 {
			t.Fatalf("no cars: %v %v", none, err)
		}
	})
}
