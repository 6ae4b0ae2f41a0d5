package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/hostwebhook"
	"reconnect/internal/model"
	"reconnect/internal/smartcarsim"
	"reconnect/internal/store"
	"reconnect/web/paths"
)

// alertHost is the host app's end of the webhooks, keeping each verified
// body as it came.
type alertHost struct {
	mu     sync.Mutex
	secret []byte
	types  []string
	bodies [][]byte
	bad    int
}

func (h *alertHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	ts, _ := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
	var p struct {
		Type string `json:"type"`
	}
	if r.Header.Get("webhook-signature") != hostwebhook.Sign(h.secret, r.Header.Get("webhook-id"), time.Unix(ts, 0), body) || json.Unmarshal(body, &p) != nil {
		h.bad++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	h.types, h.bodies = append(h.types, p.Type), append(h.bodies, body)
	w.WriteHeader(http.StatusNoContent)
}

// of returns the bodies of the webhooks of one type received so far.
func (h *alertHost) of(typ string) [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out [][]byte
	for i, t := range h.types {
		if t == typ {
			out = append(out, h.bodies[i])
		}
	}
	return out
}

// alertWorld is a world whose host receives webhooks, with a migration
// threshold of 5 cars and 5 %.
func alertWorld(t *testing.T, dialect string) (*world, *alertHost) {
	t.Helper()
	secret := hostwebhook.NewSecret()
	key, _ := hostwebhook.DecodeSecret(secret)
	host := &alertHost{secret: key}
	srv := httptest.NewServer(host)
	t.Cleanup(srv.Close)
	w := startWorld(t, dialect, map[string]string{
		"HOST_WEBHOOK_URL": srv.URL + "/reconnect", "HOST_WEBHOOK_SECRET": secret,
		"MIGRATION_ALERT_MIN_VEHICLES": "5", "MIGRATION_ALERT_MIN_SHARE": "0.05",
		"JOBS_FETCH_COOLDOWN": "20ms", "JOBS_FETCH_POLL_INTERVAL": "100ms",
	})
	simPost(t, http.MethodPut, w.simURL+"/_control/webhook", `{"url":"`+w.appURL+`/webhooks/smartcar"}`)
	simPost(t, http.MethodPost, w.simURL+"/_control/webhook/verify", `{}`)
	return w, host
}

// simCars makes n connected cars of carMake for a new simulator user and
// returns their Smartcar ids.
func simCars(t *testing.T, w *world, email, carMake string, n int) []string {
	t.Helper()
	specs := make([]smartcarsim.VehicleSpec, n)
	for i := range specs {
		specs[i] = smartcarsim.VehicleSpec{Make: carMake, Model: "M", Year: 2022}
	}
	u, err := w.sim.CreateUser(smartcarsim.UserSpec{Email: email, Connected: true, Vehicles: specs})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	for i, v := range u.Vehicles {
		ids[i] = v.ID
	}
	return ids
}

// waitState waits until the app has every car in state, and the inbox is
// drained.
func waitState(t *testing.T, w *world, ids []string, state model.State) {
	t.Helper()
	ctx := context.Background()
	waitFor(t, fmt.Sprintf("%d cars %s", len(ids), state), 15*time.Second, func() bool {
		for _, id := range ids {
			if v, err := w.app.Store.VehicleBySmartcarID(ctx, id); err != nil || v.State != state {
				return false
			}
		}
		n, _ := w.app.Store.InboxPendingCount(ctx)
		return n == 0
	})
}

// The simulator's migration of a make with enough cars raises one
// suspected migration: stored, counted, sent to the host, with the first
// error. A handful of unrelated failures raises nothing; a second burst the
// same day raises nothing; nor does a make a running campaign covers.
func TestSuspectedMigrationFromTheSimulatorIsRaisedOnce(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		w, host := alertWorld(t, dialect)

		// Unrelated failures: one car each of three makes.
		var odd []string
		for i, mk := range []string{"KIA", "HYUNDAI", "NISSAN"} {
			id := simCars(t, w, fmt.Sprintf("odd%d@example.com", i), mk, 1)[0]
			simPost(t, http.MethodPut, w.simURL+"/_control/vehicles/"+id+"/failure", `{"type":"CONNECTED_SERVICES_ACCOUNT","code":"AUTHENTICATION_FAILED"}`)
			odd = append(odd, id)
		}
		waitState(t, w, odd, model.StateNeedsReauth)
		if raised, err := w.app.Alerts.CheckMigrations(ctx); err != nil || len(raised) != 0 {
			t.Fatalf("a handful of unrelated failures raised %+v (%v)", raised, err)
		}

		teslas := simCars(t, w, "fleet@example.com", "TESLA", 6)
		simPost(t, http.MethodPost, w.simURL+"/_control/migrations", `{"make":"TESLA"}`)
		waitState(t, w, append(teslas, w.vehicle(t, "demo-carol", "TESLA").SmartcarID), model.StateNeedsReauth)
		raised, err := w.app.Alerts.CheckMigrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Six new Teslas and carol's broke in the burst, alice's when the
		// demo was seeded: all within the hour.
		if len(raised) != 1 || raised[0].Make != "TESLA" || raised[0].VehicleCount != 8 || raised[0].FirstError == "" {
			t.Fatalf("raised: %+v", raised)
		}
		waitFor(t, "the host hears migration.suspected", 10*time.Second, func() bool { return len(host.of(hostwebhook.EventMigrationSuspected)) == 1 })
		var p hostwebhook.MigrationPayload
		if err := json.Unmarshal(host.of(hostwebhook.EventMigrationSuspected)[0], &p); err != nil {
			t.Fatal(err)
		}
		if p.Data.Make != "TESLA" || p.Data.Vehicles != 8 || p.Data.WindowSeconds != 3600 || p.Data.FirstError != raised[0].FirstError ||
			!p.Data.FirstBreakAt.Equal(raised[0].FirstBreakAt) {
			t.Fatalf("migration.suspected: %+v", p.Data)
		}
		if got := metricValue(t, w, `reconnect_alerts_suspected_migrations_total{make="TESLA"}`); got != "1" {
			t.Fatalf("the counter: %q", got)
		}

		// A second burst of the same make the same day.
		more := simCars(t, w, "fleet2@example.com", "TESLA", 6)
		simPost(t, http.MethodPost, w.simURL+"/_control/migrations", `{"make":"TESLA"}`)
		waitState(t, w, more, model.StateNeedsReauth)
		if raised, err := w.app.Alerts.CheckMigrations(ctx); err != nil || len(raised) != 0 {
			t.Fatalf("a second burst the same day raised %+v (%v)", raised, err)
		}

		// Volkswagens a running campaign covers.
		vws := simCars(t, w, "vw@example.com", "VOLKSWAGEN", 6)
		for _, id := range vws {
			simPost(t, http.MethodPost, w.simURL+"/_control/vehicles/"+id+"/state", `{}`)
		}
		waitState(t, w, vws, model.StateConnected)
		c, err := w.app.Campaigns.Create(ctx, campaign.Input{Name: "VW platform", Make: "VOLKSWAGEN", Reason: model.ReasonNewPlatform,
			CutoverAt: w.app.Store.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.app.Campaigns.Launch(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		simPost(t, http.MethodPost, w.simURL+"/_control/migrations", `{"make":"VOLKSWAGEN"}`)
		waitState(t, w, vws, model.StateNeedsReauth)
		if raised, err := w.app.Alerts.CheckMigrations(ctx); err != nil || len(raised) != 0 {
			t.Fatalf("a make a running campaign covers raised %+v (%v)", raised, err)
		}
		time.Sleep(300 * time.Millisecond) // a stray webhook would be on its way by now
		if n := len(host.of(hostwebhook.EventMigrationSuspected)); n != 1 {
			t.Fatalf("migration.suspected sent %d times", n)
		}
		if open, err := w.app.Store.OpenSuspectedMigrations(ctx, w.app.Store.Now().Add(-time.Hour), 10); err != nil || len(open) != 1 {
			t.Fatalf("stored: %+v %v", open, err)
		}
	})
}

// metricValue reads one series from the app's metrics listener.
func metricValue(t *testing.T, w *world, series string) string {
	t.Helper()
	res, err := http.Get("http://" + w.app.MetricsAddr().String() + paths.RouteMetrics)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}

// failTrip sends the owner to Connect and back with an error.
func failTrip(t *testing.T, owner *browser, vehicleID int64) {
	t.Helper()
	u := owner.reconnect(vehicleID, "")
	cb := paths.ConnectCallback() + "?" + url.Values{"state": {u.Query().Get("state")}, "error": {"access_denied"},
		"error_description": {"The user denied access"}}.Encode()
	if res, _ := owner.get(cb); res.StatusCode != http.StatusOK {
		t.Fatalf("the owner's return: %d", res.StatusCode)
	}
}

// Three failed trips to Connect put the owner in the queue and tell the
// host once; a fourth does not tell it again. Reconnected and broken
// again, the next three do.
func TestThreeFailedAttemptsNeedAPersonOncePerEpisode(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		w, host := alertWorld(t, dialect)
		alice := w.owner(t, "demo-alice")
		tesla := w.vehicle(t, "demo-alice", "TESLA")
		if tesla.State != model.StateNeedsReauth {
			t.Fatalf("alice's Tesla starts %s", tesla.State)
		}
		owner := newBrowser(t, w.appURL)
		owner.open(alice.Link)
		failTrip(t, owner, tesla.ID)
		failTrip(t, owner, tesla.ID)
		if rows, _ := w.app.Store.EscalationQueue(ctx, 0, storePage()); len(rows) != 0 {
			t.Fatalf("two failures are not yet a case: %+v", rows)
		}
		failTrip(t, owner, tesla.ID)
		rows, err := w.app.Store.EscalationQueue(ctx, 0, storePage())
		if err != nil || len(rows) != 1 || rows[0].VehicleID != tesla.ID || rows[0].Reason != model.EscalationFailedAttempts || rows[0].FailedAttempts != 3 {
			t.Fatalf("queue after three: %+v %v", rows, err)
		}
		waitFor(t, "the host hears vehicle.needs_support", 10*time.Second, func() bool { return len(host.of(hostwebhook.EventNeedsSupport)) == 1 })
		var p hostwebhook.NeedsSupportPayload
		if err := json.Unmarshal(host.of(hostwebhook.EventNeedsSupport)[0], &p); err != nil {
			t.Fatal(err)
		}
		if p.Data.VehicleID != tesla.SmartcarID || p.Data.HostUserID != "demo-alice" || p.Data.Reason != model.EscalationFailedAttempts || p.Data.FailedAttempts != 3 {
			t.Fatalf("vehicle.needs_support: %+v", p.Data)
		}

		failTrip(t, owner, tesla.ID)
		time.Sleep(500 * time.Millisecond) // a second message would be delivered by now
		if n := len(host.of(hostwebhook.EventNeedsSupport)); n != 1 {
			t.Fatalf("a fourth failure sent vehicle.needs_support again: %d", n)
		}

		// The car comes back (resolved at Smartcar), and breaks again: a new
		// episode, a new case after three more failures.
		simPost(t, http.MethodDelete, w.simURL+"/_control/vehicles/"+tesla.SmartcarID+"/failure", ``)
		waitState(t, w, []string{tesla.SmartcarID}, model.StateConnected)
		if rows, _ := w.app.Store.EscalationQueue(ctx, 0, storePage()); len(rows) != 0 {
			t.Fatalf("a reconnected car is still queued: %+v", rows)
		}
		simPost(t, http.MethodPut, w.simURL+"/_control/vehicles/"+tesla.SmartcarID+"/failure", `{"type":"CONNECTED_SERVICES_ACCOUNT","code":"AUTHENTICATION_FAILED"}`)
		waitState(t, w, []string{tesla.SmartcarID}, model.StateNeedsReauth)
		for range 3 {
			failTrip(t, owner, tesla.ID)
		}
		waitFor(t, "the host hears vehicle.needs_support for the new episode", 10*time.Second, func() bool { return len(host.of(hostwebhook.EventNeedsSupport)) == 2 })
		if rows, _ := w.app.Store.EscalationQueue(ctx, 0, storePage()); len(rows) != 1 {
			t.Fatalf("queue in the new episode: %+v", rows)
		}
		host.mu.Lock()
		defer host.mu.Unlock()
		if host.bad != 0 {
			t.Fatalf("%d webhooks did not verify", host.bad)
		}
	})
}

func storePage() store.Page { return store.Page{Limit: 50} }
