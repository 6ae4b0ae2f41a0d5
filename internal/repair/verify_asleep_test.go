package repair_test

import (
	"testing"

	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/repair"
)

// A verification call that the carmaker answers with a vehicle-state error
// (asleep, unreachable, in motion…) proves the new credentials work: the car
// is connected, and reminders stop.
func TestVerificationTreatsAnAsleepCarAsFixed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		for _, code := range []string{"ASLEEP", "UNREACHABLE", "REMOTE_ACCESS_DISABLED"} {
			t.Run(code, func(t *testing.T) {
				w := newWorld(t, db)
				w.holdV2Pair(time.Hour)
				_, state := w.begin("")
				w.sim.ClearFailure(w.simCar)
				if err := w.sim.SetFailure(w.simCar, "VEHICLE_STATE", code); err != nil {
					t.Fatal(err)
				}
				res, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, reauthOK(state, w.simCar))
				if err != nil || res.Outcome != repair.Fixed {
					t.Fatalf("outcome %v (Fixed=%v NotVerified=%v), err %v; vehicle %s", res.Outcome, repair.Fixed, repair.NotVerified, err, res.Vehicle.State)
				}
				w.expectState(model.StateConnected, "")
			})
		}
	})
}
