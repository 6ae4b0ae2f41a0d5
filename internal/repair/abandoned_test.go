package repair_test

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/repair"
)

// A trip to Connect nobody came back from is settled once the state's
// lifetime is over, with one call to the (simulated) Smartcar API: a car that
// answers, even asleep, is connected (the owner may have finished
// elsewhere); one that still fails goes back to the state and reason it had.
func TestAbandonedTripIsSettledAfterTheStatesLifetime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		cases := []struct {
			name       string
			atSmartcar func(w *world)
			state      model.State
			reason     string
			outcome    string
		}{
			{"still broken: back to its previous state and reason", func(w *world) {}, model.StateNeedsReauth, reasonCSA, "restored"},
			{"fixed elsewhere: connected", func(w *world) { w.sim.ClearFailure(w.simCar) }, model.StateConnected, "", "connected"},
			{"asleep: it answered, so connected", func(w *world) {
				w.sim.ClearFailure(w.simCar)
				if err := w.sim.SetFailure(w.simCar, "VEHICLE_STATE", "ASLEEP"); err != nil {
					w.t.Fatal(err)
				}
			}, model.StateConnected, "", "connected"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				w := newWorld(t, db)
				w.holdV2Pair(time.Hour)
				w.begin("")
				tc.atSmartcar(w)
				// Within the lifetime the owner may still come back.
				w.clock.Advance(repair.StateTTL - time.Second)
				if n, err := w.repair.SettleAbandoned(w.ctx, 10); err != nil || n != 0 {
					t.Fatalf("settled %d trips still under way: %v", n, err)
				}
				w.expectState(model.StateReconnecting, reasonCSA)

				w.clock.Advance(2 * time.Second)
				if n, err := w.repair.SettleAbandoned(w.ctx, 10); err != nil || n != 1 {
					t.Fatalf("settled %d abandoned trips, want 1: %v", n, err)
				}
				w.expectState(tc.state, tc.reason)
				e, d := w.latest(model.EventReconnectAbandoned)
				if e.Source != model.SourceSystem || d["outcome"] != tc.outcome {
					t.Fatalf("reconnect_abandoned %+v %v", e, d)
				}
				// Settled once: the next run finds nothing.
				if n, err := w.repair.SettleAbandoned(w.ctx, 10); err != nil || n != 0 {
					t.Fatalf("settled again: %d %v", n, err)
				}
				if n := w.count(model.EventReconnectAbandoned); n != 1 {
					t.Fatalf("%d reconnect_abandoned events", n)
				}
			})
		}
	})
}

// A second press of Reconnect after an abandoned trip starts a new one,
// which the sweep leaves alone while it lasts, even though the car has been
// reconnecting since the first.
func TestAbandonedTripSweepLeavesATripUnderWay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.holdV2Pair(time.Hour)
		w.begin("")
		w.clock.Advance(repair.StateTTL + time.Minute)
		w.begin("")
		w.clock.Advance(time.Minute)
		if n, err := w.repair.SettleAbandoned(w.ctx, 10); err != nil || n != 0 {
			t.Fatalf("settled %d trips, one is under way: %v", n, err)
		}
		w.expectState(model.StateReconnecting, reasonCSA)
		// Once the second trip's lifetime is over too, it is settled, back
		// to what the car had before the first trip.
		w.clock.Advance(repair.StateTTL)
		if n, err := w.repair.SettleAbandoned(w.ctx, 10); err != nil || n != 1 {
			t.Fatalf("settled %d, want 1: %v", n, err)
		}
		w.expectState(model.StateNeedsReauth, reasonCSA)
	})
}

// The sweep goes through every abandoned car, however many batches that
// takes.
func TestAbandonedTripSweepWorksInBatches(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		w.holdV2Pair(time.Hour)
		cars := []model.Vehicle{w.car}
		for _, vin := range []string{"5YJ3E1EA7MF000102", "5YJ3E1EA7MF000103", "5YJ3E1EA7MF000104", "5YJ3E1EA7MF000105"} {
			v := w.addCar("unknown-to-smartcar-"+vin, &w.owner.ID, vin)
			w.breakCar(v.ID, "", "", model.StateNeedsReauth, reasonCSA)
			cars = append(cars, v)
		}
		for _, v := range cars {
			w.car = v
			w.begin("")
		}
		w.clock.Advance(repair.StateTTL + time.Second)
		if n, err := w.repair.SettleAbandoned(w.ctx, 2); err != nil || n != len(cars) {
			t.Fatalf("settled %d of %d: %v", n, len(cars), err)
		}
		for _, v := range cars {
			w.car = v
			w.expectState(model.StateNeedsReauth, reasonCSA)
		}
	})
}

// A callback with a valid state but neither vehicle_id, code nor error ends
// the trip: the car goes back to where it was, and the timeline says why.
func TestMalformedCallbackRestoresTheCar(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		for _, q := range []url.Values{
			{},
			{"external_id": {"host-1"}},
			{"vehicle_id": {""}, "code": {""}, "error": {""}},
		} {
			t.Run(q.Encode(), func(t *testing.T) {
				w := newWorld(t, db)
				_, state := w.begin("")
				q.Set("state", state)
				if _, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, q); !errors.Is(err, repair.ErrBadState) {
					t.Fatalf("got %v, want ErrBadState", err)
				}
				w.expectState(model.StateNeedsReauth, reasonCSA)
				if e, d := w.latest(model.EventReconnectFailed); e.Source != model.SourceCallback || d["error"] != "malformed_callback" {
					t.Fatalf("reconnect_failed %+v %v", e, d)
				}
			})
		}
	})
}
