package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reconnect/internal/hostwebhook"
	"reconnect/internal/model"
)

// hostInbox is the host app's end of our outgoing webhooks.
type hostInbox struct {
	mu     sync.Mutex
	secret []byte
	got    []hostwebhook.Payload
	bad    int
}

func (h *hostInbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	ts, _ := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
	want := hostwebhook.Sign(h.secret, r.Header.Get("webhook-id"), time.Unix(ts, 0), body)
	var p hostwebhook.Payload
	if r.Header.Get("webhook-signature") != want || json.Unmarshal(body, &p) != nil {
		h.bad++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	h.got = append(h.got, p)
	w.WriteHeader(http.StatusNoContent)
}

func (h *hostInbox) types(vehicleID string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, p := range h.got {
		if p.Data.VehicleID == vehicleID {
			out = append(out, p.Type)
		}
	}
	return out
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func simPost(t *testing.T, method, url, body string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode >= 300 {
		t.Fatalf("%s %s: %d", method, url, res.StatusCode)
	}
}

// The demo's story of an OEM migration: the simulator breaks every Tesla at
// once (with duplicated and reordered deliveries), every Tesla owner's car
// needs a reconnect within seconds, the host hears about it, and resolving a
// car in the simulator brings it back.
func TestOEMMigrationReachesEveryTeslaOwner(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		secret := hostwebhook.NewSecret()
		key, _ := hostwebhook.DecodeSecret(secret)
		host := &hostInbox{secret: key}
		hostSrv := httptest.NewServer(host)
		defer hostSrv.Close()
		w := startWorld(t, dialect, map[string]string{
			"HOST_WEBHOOK_URL": hostSrv.URL + "/reconnect", "HOST_WEBHOOK_SECRET": secret,
			"JOBS_FETCH_COOLDOWN": "20ms", "JOBS_FETCH_POLL_INTERVAL": "100ms",
		})
		simPost(t, http.MethodPut, w.simURL+"/_control/webhook", `{"url":"`+w.appURL+`/webhooks/smartcar"}`)
		simPost(t, http.MethodPost, w.simURL+"/_control/webhook/verify", `{}`)
		simPost(t, http.MethodPut, w.simURL+"/_control/switches", `{"duplicates":true,"reorder":true,"noise":true}`)

		carolTesla := w.vehicle(t, "demo-carol", "TESLA")
		aliceTesla := w.vehicle(t, "demo-alice", "TESLA")
		ford := w.vehicle(t, "demo-alice", "FORD")
		if carolTesla.State != model.StateConnected {
			t.Fatalf("carol's Tesla starts %s", carolTesla.State)
		}
		simPost(t, http.MethodPost, w.simURL+"/_control/migrations", `{"make":"TESLA"}`)
		waitFor(t, "carol's Tesla needs a reconnect", 10*time.Second, func() bool {
			return w.vehicle(t, "demo-carol", "TESLA").State == model.StateNeedsReauth
		})
		if v := w.vehicle(t, "demo-alice", "TESLA"); v.State != model.StateNeedsReauth {
			t.Fatalf("alice's Tesla: %s", v.State)
		}
		if v := w.vehicle(t, "demo-alice", "FORD"); v.State != model.StateConnected {
			t.Fatalf("a Ford is not part of a Tesla migration: %s", v.State)
		}
		waitFor(t, "the host hears vehicle.disconnected", 10*time.Second, func() bool {
			return len(host.types(carolTesla.SmartcarID)) == 1
		})

		simPost(t, http.MethodDelete, w.simURL+"/_control/vehicles/"+carolTesla.SmartcarID+"/failure", ``)
		waitFor(t, "carol's Tesla is connected again", 10*time.Second, func() bool {
			return w.vehicle(t, "demo-carol", "TESLA").State == model.StateConnected
		})
		waitFor(t, "the host hears vehicle.resolved_elsewhere", 10*time.Second, func() bool {
			return len(host.types(carolTesla.SmartcarID)) == 2
		})
		if got := host.types(carolTesla.SmartcarID); got[0] != hostwebhook.EventDisconnected || got[1] != hostwebhook.EventResolvedElsewhere {
			t.Fatalf("host webhooks %v", got)
		}
		// Duplicates were acknowledged and applied once.
		n := 0
		for _, k := range w.events(t, carolTesla.ID) {
			if k == "state_changed:needs_reauth" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("carol's Tesla broke %d times on its timeline: %v", n, w.events(t, carolTesla.ID))
		}
		if v := w.vehicle(t, "demo-alice", "TESLA"); v.ID != aliceTesla.ID || v.State != model.StateNeedsReauth {
			t.Fatalf("alice's Tesla after the repair of carol's: %s", v.State)
		}
		if v := w.vehicle(t, "demo-alice", "FORD"); v.ID != ford.ID || v.State != model.StateConnected {
			t.Fatalf("the Ford: %s", v.State)
		}
		waitFor(t, "the inbox drains", 5*time.Second, func() bool {
			n, _ := w.app.Store.InboxPendingCount(context.Background())
			return n == 0
		})
		host.mu.Lock()
		defer host.mu.Unlock()
		if host.bad != 0 {
			t.Fatalf("%d host webhooks did not verify", host.bad)
		}
	})
}
