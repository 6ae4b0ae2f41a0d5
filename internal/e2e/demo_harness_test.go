package e2e

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"reconnect/internal/app"
	"reconnect/internal/demo"
	"reconnect/internal/links"
	"reconnect/internal/model"
	"reconnect/internal/smartcarsim"
	"reconnect/internal/store"
)

// world is a running app and simulator, seeded like the demo. The app is on
// 127.0.0.1 and the simulator on localhost: two sites, as in production.
type world struct {
	app    *app.App
	appURL string
	sim    *smartcarsim.Sim
	simURL string
	seeded []demo.Seeded
}

func startWorld(t testing.TB, dialect string, extra map[string]string, opts ...app.Option) *world {
	t.Helper()
	simLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	appLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &world{
		simURL: "http://localhost:" + portOf(simLn),
		appURL: "http://127.0.0.1:" + portOf(appLn),
	}
	simCfg := demo.SimConfig(w.appURL, w.simURL)
	simCfg.WebhookRetryDelays = []time.Duration{0, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}
	if os.Getenv("E2E_LOG") != "1" {
		simCfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	w.sim = smartcarsim.New(simCfg)
	simSrv := &http.Server{Handler: w.sim.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = simSrv.Serve(simLn) }()
	t.Cleanup(func() { simSrv.Close(); w.sim.Close() })

	env := demo.AppEnv(w.appURL, w.simURL)
	for k, v := range extra {
		env[k] = v
	}
	appLn.Close() // startApp listens again on the same port
	w.app, _ = startAppOn(t, dialect, appLn.Addr().String(), env, opts...)
	w.seeded, err = demo.Seed(context.Background(), w.app, w.sim)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return w
}

func portOf(ln net.Listener) string {
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p
}

// owner returns a seeded owner by host user id.
func (w *world) owner(t *testing.T, hostID string) demo.Seeded {
	t.Helper()
	for _, s := range w.seeded {
		if s.Owner.HostUserID == hostID {
			return s
		}
	}
	t.Fatalf("no seeded owner %s", hostID)
	return demo.Seeded{}
}

// vehicle finds a seeded owner's vehicle by make.
func (w *world) vehicle(t *testing.T, hostID, make string) model.Vehicle {
	t.Helper()
	for _, v := range w.owner(t, hostID).Vehicles {
		if v.Make == make {
			got, err := w.app.Store.VehicleByID(context.Background(), v.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
	}
	t.Fatalf("no %s for %s", make, hostID)
	return model.Vehicle{}
}

// events lists the kinds on a vehicle's timeline, oldest first.
func (w *world) events(t *testing.T, vehicleID int64) []string {
	t.Helper()
	evs, err := w.app.Store.EventsByVehicle(context.Background(), vehicleID, store.Page{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for i := len(evs) - 1; i >= 0; i-- {
		k := string(evs[i].Kind)
		if evs[i].Kind == model.EventStateChanged {
			k += ":" + string(evs[i].ToState)
		}
		kinds = append(kinds, k)
	}
	return kinds
}

func linkMintInApp(ownerID int64) links.Mint {
	return links.Mint{OwnerID: ownerID, Purpose: model.PurposeInApp, Source: "test"}
}

func linkMintEmail(ownerID int64) links.Mint {
	return links.Mint{OwnerID: ownerID, Purpose: model.PurposeEmail, Source: "test"}
}
