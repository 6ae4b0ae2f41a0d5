package ingest_test

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/ingest"
	"reconnect/internal/lifecycle"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

const amt = "amt-test-token"

// t0 is when the test events happen; webhook times are relative to it.
var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

type harness struct {
	db      *database.DB
	store   *store.Store
	machine *lifecycle.Machine
	svc     *ingest.Service
	clock   *testClock
}

// testClock is our clock in the tests. It only moves forward, as time does.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// advanceTo moves the clock to at, unless it is already later.
func (c *testClock) advanceTo(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if at.After(c.now) {
		c.now = at
	}
}

func newHarness(t *testing.T, db *database.DB) *harness {
	t.Helper()
	// Our clock starts at t0 and moves forward as events arrive (see
	// deliver); skew tests set the arrival time themselves.
	clock := &testClock{now: t0}
	s := store.New(db).WithClock(clock.Now)
	m := lifecycle.New(s)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := ingest.New(s, m, log, ingest.NewMetrics(nil), ingest.Config{ManagementTokens: []string{amt}})
	t.Cleanup(func() { _ = svc.Stop(context.Background()) })
	return &harness{db: db, store: s, machine: m, svc: svc, clock: clock}
}

func sign(body []byte) string {
	h := hmac.New(sha256.New, []byte(amt))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// webhookError builds a 4.0 VEHICLE_ERROR as Smartcar sends it.
type webhookError struct {
	EventID    string
	VehicleID  string
	UserID     string
	ExternalID string
	Type, Code string
	State      string // ERROR or RESOLVED
	Signals    []string
	At         time.Time
	WebhookID  string // "wh" unless set
	Sequence   *int64 // meta.sequence, when set
}

func (w webhookError) body() []byte {
	if w.State == "" {
		w.State = "ERROR"
	}
	if w.UserID == "" {
		w.UserID = "user-" + w.VehicleID
	}
	var code any = w.Code
	if w.Code == "" {
		code = nil
	}
	signals := []map[string]string{}
	for _, s := range w.Signals {
		signals = append(signals, map[string]string{"code": s, "name": s, "group": "X"})
	}
	user := map[string]any{"id": w.UserID}
	if w.ExternalID != "" {
		user["externalId"] = w.ExternalID
	}
	ev := map[string]any{
		"eventId": w.EventID, "eventType": "VEHICLE_ERROR", "vehicleId": w.VehicleID,
		"data": map[string]any{
			"user":    user,
			"vehicle": map[string]any{"id": w.VehicleID, "make": "TESLA", "model": "Model 3", "year": 2022},
			"errors": []map[string]any{{
				"type": w.Type, "code": code, "state": w.State, "description": "test",
				"resolution": map[string]any{"type": "REAUTHENTICATE", "url": "https://connect.smartcar.com/oauth/reauthenticate?vehicle_id=" + w.VehicleID},
				"signals":    signals,
			}},
		},
		"meta": map[string]any{"version": "4.0", "deliveryId": "d-" + w.EventID, "deliveredAt": w.At.UnixMilli(), "webhookId": cmp.Or(w.WebhookID, "wh"), "mode": "LIVE"},
	}
	if w.Sequence != nil {
		ev["meta"].(map[string]any)["sequence"] = *w.Sequence
	}
	b, _ := json.Marshal(ev)
	return b
}

func authFailed(eventID, vehicleID string, at time.Time) webhookError {
	return webhookError{EventID: eventID, VehicleID: vehicleID, Type: "CONNECTED_SERVICES_ACCOUNT", Code: "AUTHENTICATION_FAILED", At: at}
}

func resolved(eventID, vehicleID string, at time.Time) webhookError {
	w := authFailed(eventID, vehicleID, at)
	w.State = "RESOLVED"
	return w
}

// deliver sends a signed body through the receiver. Unless a test says
// otherwise (deliverAt), Smartcar's clock agrees with ours: the event
// arrives when its deliveredAt says it was sent, or at once if our clock is
// already past that (a delivery that arrives after a newer one).
func (h *harness) deliver(t *testing.T, body []byte) ingest.Receipt {
	t.Helper()
	var ev struct {
		Meta struct {
			DeliveredAt int64 `json:"deliveredAt"`
		} `json:"meta"`
	}
	if json.Unmarshal(body, &ev) == nil && ev.Meta.DeliveredAt > 0 {
		h.clock.advanceTo(time.UnixMilli(ev.Meta.DeliveredAt).UTC())
	}
	return h.receive(t, body)
}

// deliverAt sends a signed body that arrives at received by our clock,
// whatever time its sender put on it.
func (h *harness) deliverAt(t *testing.T, body []byte, received time.Time) ingest.Receipt {
	t.Helper()
	h.clock.advanceTo(received)
	if got := h.clock.Now(); !got.Equal(received) {
		t.Fatalf("our clock is at %s, past the arrival %s", got, received)
	}
	return h.receive(t, body)
}

func (h *harness) receive(t *testing.T, body []byte) ingest.Receipt {
	t.Helper()
	r, err := h.svc.ReceiveWebhook(context.Background(), body, sign(body))
	if err != nil {
		t.Fatalf("deliver: %v", err)
	}
	return r
}

func (h *harness) drain(t *testing.T) {
	t.Helper()
	if err := h.svc.Processor().Drain(context.Background()); err != nil {
		t.Fatalf("drain: %v", err)
	}
}

func (h *harness) vehicle(t *testing.T, smartcarID string) model.Vehicle {
	t.Helper()
	v, err := h.store.VehicleBySmartcarID(context.Background(), smartcarID)
	if err != nil {
		t.Fatalf("vehicle %s: %v", smartcarID, err)
	}
	return v
}

// kinds lists a vehicle's timeline kinds, oldest first.
func (h *harness) kinds(t *testing.T, vehicleID int64) []string {
	t.Helper()
	evs, err := h.store.EventsByVehicle(context.Background(), vehicleID, store.Page{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		k := string(evs[i].Kind)
		if k == string(model.EventStateChanged) {
			k += ":" + string(evs[i].ToState)
		}
		out = append(out, k)
	}
	return out
}

func (h *harness) pending(t *testing.T) int64 {
	t.Helper()
	n, err := h.store.InboxPendingCount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func join(s []string) string { return strings.Join(s, " ") }

func id(prefix string, i int) string { return fmt.Sprintf("%s-%d", prefix, i) }

func newBenchService(tb testing.TB, db *database.DB) *ingest.Service {
	s := store.New(db)
	m := lifecycle.New(s)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// As the app configures them.
	cfg := ingest.Config{ManagementTokens: []string{amt}, YieldToReceiver: true, Processor: ingest.ProcessorConfig{Batch: 250, Workers: 2}}
	if !db.IsPostgres() {
		cfg.Processor = ingest.ProcessorConfig{Batch: 128, TargetTx: 8 * time.Millisecond}
	}
	svc := ingest.New(s, m, log, nil, cfg)
	tb.Cleanup(func() { _ = svc.Stop(context.Background()) })
	return svc
}
