package hostwebhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/hostwebhook"
	"reconnect/internal/jobs"
	"reconnect/internal/lifecycle"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// verify checks a delivery the way the Standard Webhooks specification
// describes it, written from the specification rather than from our Sign:
// the key is the base64 after "whsec_", the signed content is
// "{id}.{timestamp}.{body}", and the header holds space-separated
// "v1,<base64>" entries of which one must match.
func verify(secret string, h http.Header, body []byte, now time.Time) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || id == "" {
		return false
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return false
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "." + string(body)))
	want := m.Sum(nil)
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		version, b64, ok := strings.Cut(sig, ",")
		got, err := base64.StdEncoding.DecodeString(b64)
		if ok && version == "v1" && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

func TestEventFor(t *testing.T) {
	for _, tc := range []struct {
		from, to model.State
		source   model.Source
		want     string
	}{
		{model.StateConnected, model.StateNeedsReauth, "webhook", hostwebhook.EventDisconnected},
		{model.StateConnected, model.StateNeedsOEMAction, "api", hostwebhook.EventDisconnected},
		{model.StateConnected, model.StateNeedsVirtualKey, "webhook", hostwebhook.EventDisconnected},
		{model.StateNeedsReauth, model.StateNeedsOEMAction, "webhook", ""},
		{model.StateNeedsReauth, model.StateReconnecting, "owner", ""},
		{model.StateReconnecting, model.StateNeedsReauth, "callback", ""},
		{model.StateReconnecting, model.StateConnected, "callback", hostwebhook.EventReconnected},
		// A failed attempt on a car that still worked puts it back: the host
		// hears nothing, since nothing changed for it.
		{model.StateReconnecting, model.StateConnected, model.SourceRestore, ""},
		{model.StateReconnecting, model.StateNeedsReauth, model.SourceRestore, ""},
		{model.StateReconnecting, model.StateConnected, "webhook", hostwebhook.EventReconnected},
		{model.StateNeedsReauth, model.StateConnected, "callback", hostwebhook.EventReconnected},
		{model.StateNeedsReauth, model.StateConnected, "webhook", hostwebhook.EventResolvedElsewhere},
		{model.StateNeedsOEMAction, model.StateConnected, "health_check", hostwebhook.EventResolvedElsewhere},
		{model.StateNeedsReauth, model.StateDeclined, "owner", hostwebhook.EventDeclined},
		{model.StateConnected, model.StateDeclined, "staff", hostwebhook.EventDeclined},
	} {
		ch := lifecycle.Change{Vehicle: model.Vehicle{State: tc.to}, From: tc.from, Source: tc.source}
		if got := hostwebhook.EventFor(ch); got != tc.want {
			t.Errorf("%s → %s by %s: %q, want %q", tc.from, tc.to, tc.source, got, tc.want)
		}
	}
}

func TestSignMatchesTheSpecification(t *testing.T) {
	secret := hostwebhook.NewSecret()
	key, err := hostwebhook.DecodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	body := []byte(`{"type":"vehicle.disconnected"}`)
	h := http.Header{}
	h.Set("webhook-id", "msg_1")
	h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("webhook-signature", hostwebhook.Sign(key, "msg_1", now, body))
	if !verify(secret, h, body, now) {
		t.Fatal("an independent verifier rejects our signature")
	}
	if verify(secret, h, []byte(`{"type":"vehicle.reconnected"}`), now) {
		t.Fatal("a changed body must not verify")
	}
	for _, bad := range []string{"", "whsec_", "whsec_!!", "sk_" + strings.TrimPrefix(secret, "whsec_")} {
		if _, err := hostwebhook.DecodeSecret(bad); err == nil {
			t.Errorf("secret %q accepted", bad)
		}
	}
}

// A change enqueues a logged, signed delivery in its own transaction; a 500
// is retried and the retry delivers.
func TestDisconnectedIsDeliveredSignedAndRetried(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		secret := hostwebhook.NewSecret()
		var mu sync.Mutex
		var got []*http.Request
		var bodies [][]byte
		fail := true
		host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			got, bodies = append(got, r), append(bodies, b)
			if fail {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		defer host.Close()

		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		s := store.New(db)
		n, err := hostwebhook.New(hostwebhook.Config{URL: host.URL + "/hooks", Secret: secret, MaxAttempts: 3, RetryBase: time.Second}, s, log, nil)
		if err != nil {
			t.Fatal(err)
		}
		q, err := jobs.New(db, jobs.Config{Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		m := lifecycle.New(s, n.Hook(q))
		o, _ := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "host-u1"})
		v, _ := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "sc-1", OwnerID: &o.ID})
		if _, _, err := m.Transition(ctx, nil, v.ID, store.StateChange{To: model.StateNeedsReauth, Reason: "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED", Source: "webhook"}); err != nil {
			t.Fatal(err)
		}
		ds, err := s.HostDeliveries(ctx, &v.ID, store.Page{})
		if err != nil || len(ds) != 1 || ds[0].Status != store.DeliveryPending || ds[0].EventType != hostwebhook.EventDisconnected {
			t.Fatalf("delivery log %+v %v", ds, err)
		}
		var queued int64
		db.Gorm.Table("river_job").Where("kind = ?", hostwebhook.DeliverArgs{}.Kind()).Count(&queued)
		if queued != 1 {
			t.Fatalf("%d delivery jobs queued, want 1", queued)
		}

		if err := n.Deliver(ctx, ds[0].ID, 1); err == nil {
			t.Fatal("a 500 must fail the attempt so that it is retried")
		}
		d, _ := s.HostDeliveryByID(ctx, ds[0].ID)
		if d.Status != store.DeliveryRetrying || d.Attempts != 1 || d.LastStatusCode != 500 {
			t.Fatalf("after a 500: %+v", d)
		}
		fail = false
		if err := n.Deliver(ctx, ds[0].ID, 2); err != nil {
			t.Fatal(err)
		}
		d, _ = s.HostDeliveryByID(ctx, ds[0].ID)
		if d.Status != store.DeliveryDelivered || d.Attempts != 2 || d.DeliveredAt == nil {
			t.Fatalf("after the retry: %+v", d)
		}

		if len(got) != 2 || got[0].Header.Get("webhook-id") != got[1].Header.Get("webhook-id") {
			t.Fatalf("a retry must keep the message id: %d requests", len(got))
		}
		for i, r := range got {
			if !verify(secret, r.Header, bodies[i], time.Now()) {
				t.Fatalf("attempt %d does not verify", i+1)
			}
		}
		var p hostwebhook.Payload
		if err := json.Unmarshal(bodies[1], &p); err != nil {
			t.Fatal(err)
		}
		if p.Type != hostwebhook.EventDisconnected || p.Data.VehicleID != "sc-1" || p.Data.HostUserID != "host-u1" ||
			p.Data.State != "needs_reauth" || p.Data.PreviousState != "connected" || p.Data.Source != "webhook" {
			t.Fatalf("payload %+v", p)
		}
		if got := n.NextRetry(1); got != time.Second {
			t.Fatalf("first retry after %v", got)
		}
		if got := n.NextRetry(30); got != 6*time.Hour {
			t.Fatalf("retries are capped, got %v", got)
		}
	})
}

func TestCampaignCompletionIsSignedAndQueuedLikeTheOthers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		secret := hostwebhook.NewSecret()
		var body []byte
		var header http.Header
		host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ = io.ReadAll(r.Body)
			header = r.Header.Clone()
			w.WriteHeader(http.StatusNoContent)
		}))
		defer host.Close()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		s := store.New(db)
		n, err := hostwebhook.New(hostwebhook.Config{URL: host.URL, Secret: secret}, s, log, nil)
		if err != nil {
			t.Fatal(err)
		}
		q, err := jobs.New(db, jobs.Config{Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		o, _ := s.UpsertOwner(ctx, store.OwnerInput{HostUserID: "host-u1"})
		v, _ := s.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "sc-1", OwnerID: &o.ID})
		at := time.Date(2027, 3, 3, 10, 0, 0, 0, time.UTC)
		if err := s.Tx(ctx, func(tx *store.Store) error {
			return n.Campaigns(q).CampaignVehicleCompleted(ctx, tx, 7, v, model.SourceCallback, at)
		}); err != nil {
			t.Fatal(err)
		}
		ds, err := s.HostDeliveries(ctx, &v.ID, store.Page{})
		if err != nil || len(ds) != 1 || ds[0].EventType != hostwebhook.EventCampaignVehicleCompleted {
			t.Fatalf("delivery log %+v %v", ds, err)
		}
		if err := n.Deliver(ctx, ds[0].ID, 1); err != nil {
			t.Fatal(err)
		}
		if !verify(secret, header, body, time.Now()) {
			t.Fatal("the campaign webhook does not verify")
		}
		var p hostwebhook.CampaignPayload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		if p.Type != "campaign.vehicle_completed" || p.Data.CampaignID != 7 || p.Data.VehicleID != "sc-1" || p.Data.HostUserID != "host-u1" ||
			p.Data.Source != model.SourceCallback || !p.Data.CompletedAt.Equal(at) {
			t.Fatalf("payload %+v", p)
		}
	})
}

// The README's "Webhooks to you" is the host developer's reference: every
// type Reconnect sends is described there.
func TestREADMEDescribesEveryHostEvent(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range model.HostEvents {
		if !strings.Contains(string(readme), "`"+string(e)+"`") {
			t.Errorf("README does not describe the host webhook %s", e)
		}
	}
}
