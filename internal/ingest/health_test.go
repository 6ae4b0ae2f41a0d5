package ingest_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/ingest"
	"reconnect/internal/model"
	"reconnect/internal/smartcar"
	"reconnect/internal/store"
)

// fakeAPI answers v3 vehicle calls from a table of outcomes per vehicle.
type fakeAPI struct {
	outcomes map[string]error
	calls    []string
}

func (f *fakeAPI) Refresh(context.Context, string) (smartcar.Token, error) {
	return smartcar.Token{}, errors.New("not used")
}

func (f *fakeAPI) VehicleAttributes(context.Context, string, string) (smartcar.Vehicle, error) {
	return smartcar.Vehicle{}, errors.New("not used")
}

func (f *fakeAPI) VehicleV3(_ context.Context, _, vehicleID string) (smartcar.Vehicle, error) {
	f.calls = append(f.calls, vehicleID)
	return smartcar.Vehicle{}, f.outcomes[vehicleID]
}

func TestHealthCheckRecordsAnswersThatThePipelineApplies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		h := newHarness(t, db)
		s := h.store
		add := func(id string, state model.State) model.Vehicle {
			v, _ := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: id, SmartcarUserID: "u-" + id})
			if state != model.StateConnected {
				if _, _, err := h.machine.Transition(ctx, nil, v.ID, store.StateChange{To: state, Reason: "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED", Source: "webhook", At: t0.Add(-time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			return v
		}
		add("fixed", model.StateNeedsReauth)
		add("breaks", model.StateConnected)
		add("offline", model.StateConnected)
		add("sold", model.StateDeclined)
		authFailed := smartcar.DecodeError(400, http.Header{}, []byte(`{"type":"CONNECTED_SERVICES_ACCOUNT","code":"AUTHENTICATION_FAILED","description":"x","resolution":{"type":"REAUTHENTICATE"}}`))
		api := &fakeAPI{outcomes: map[string]error{"breaks": authFailed, "offline": errors.New("dial tcp: connection refused")}}
		hc := &ingest.HealthCheck{Store: s, API: api, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Every: 24 * time.Hour, Rate: 100, Budget: time.Second}
		n, err := hc.Run(ctx)
		if err != nil || n != 2 {
			t.Fatalf("recorded %d answers, want 2 (a network error says nothing about the car): %v", n, err)
		}
		if len(api.calls) != 3 {
			t.Fatalf("probed %v; a declined vehicle is never probed", api.calls)
		}
		h.drain(t)
		if v := h.vehicle(t, "fixed"); v.State != model.StateConnected {
			t.Fatalf("a successful call returns a broken vehicle to connected: %s", v.State)
		}
		if v := h.vehicle(t, "breaks"); v.State != model.StateNeedsReauth {
			t.Fatalf("a failing call classifies like any error: %s", v.State)
		}
		// Checked vehicles wait for their next turn.
		if n, _ := hc.Run(ctx); n != 0 {
			t.Fatalf("rechecked %d vehicles at once", n)
		}
	})
}

// A car left reconnecting for longer than the owner has to come back from
// Connect is probed like any other; one that is mid-repair is not.
func TestHealthCheckProbesCarsLeftReconnecting(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		h := newHarness(t, db)
		const stuckAfter = 10 * time.Minute
		add := func(id string, since time.Duration) {
			v, _ := h.store.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: id, SmartcarUserID: "u-" + id})
			if _, _, err := h.machine.Transition(ctx, nil, v.ID, store.StateChange{To: model.StateReconnecting, Reason: "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED",
				Source: model.SourceOwner, At: t0.Add(-since)}); err != nil {
				t.Fatal(err)
			}
		}
		add("in-connect", stuckAfter-time.Second)
		add("abandoned", stuckAfter+time.Second)
		api := &fakeAPI{}
		hc := &ingest.HealthCheck{Store: h.store, API: api, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Every: 24 * time.Hour, Rate: 100, Budget: time.Second, StuckAfter: stuckAfter}
		if n, err := hc.Run(ctx); err != nil || n != 1 || len(api.calls) != 1 || api.calls[0] != "abandoned" {
			t.Fatalf("probed %v (%d recorded, %v); only the car reconnecting for longer than %s", api.calls, n, err, stuckAfter)
		}
		h.drain(t)
		if v := h.vehicle(t, "abandoned"); v.State != model.StateConnected {
			t.Fatalf("a car that answers is connected: %s", v.State)
		}
		if v := h.vehicle(t, "in-connect"); v.State != model.StateReconnecting {
			t.Fatalf("a car mid-repair changed: %s", v.State)
		}
	})
}
