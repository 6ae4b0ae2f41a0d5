package ingest_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/ingest"
	"reconnect/internal/lifecycle"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

func TestAuthenticationFailedPromptsOnceEvenWhenDelivered3Times(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := newHarness(t, db)
		body := authFailed("ev-1", "veh-1", t0).body()
		if r := h.deliver(t, body); r.Duplicate || r.EventID != "ev-1" {
			t.Fatalf("first delivery: %+v", r)
		}
		for range 2 {
			if r := h.deliver(t, body); !r.Duplicate {
				t.Fatalf("a retry must be acknowledged as a duplicate: %+v", r)
			}
		}
		if n := h.pending(t); n != 1 {
			t.Fatalf("inbox holds %d pending events, want 1", n)
		}
		h.drain(t)
		h.deliver(t, body) // after processing, still a duplicate that does nothing
		h.drain(t)

		v := h.vehicle(t, "veh-1")
		if v.State != model.StateNeedsReauth || v.Reason != "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED" || !strings.Contains(v.ResolutionURL, "reauthenticate") {
			t.Fatalf("vehicle after AUTHENTICATION_FAILED: %+v", v)
		}
		if v.OwnerID != nil || v.SmartcarUserID != "user-veh-1" || v.Make != "TESLA" {
			t.Fatalf("an unknown vehicle is recorded by its Smartcar ids, without owner: %+v", v)
		}
		if got := join(h.kinds(t, v.ID)); got != "vehicle_added webhook_received state_changed:needs_reauth" {
			t.Fatalf("timeline %q", got)
		}
		st, err := h.svc.EventStatus(context.Background(), "ev-1")
		if err != nil || !st.Processed || st.Event.Status != store.InboxProcessed {
			t.Fatalf("status %+v %v", st, err)
		}
	})
}

func TestResolvedReturnsToConnected(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := newHarness(t, db)
		h.deliver(t, authFailed("e1", "v", t0).body())
		h.drain(t)
		h.deliver(t, resolved("e2", "v", t0.Add(time.Minute)).body())
		h.drain(t)
		v := h.vehicle(t, "v")
		if v.State != model.StateConnected || v.Reason != "" {
			t.Fatalf("RESOLVED must return the vehicle to connected: %+v", v)
		}
		if got := join(h.kinds(t, v.ID)); got != "vehicle_added webhook_received state_changed:needs_reauth webhook_received state_changed:connected" {
			t.Fatalf("timeline %q", got)
		}
	})
}

// Every order of the same deliveries ends in the state the clean order ends
// in, whether they are applied one by one or in one batch.
func TestReorderedEventsEndInTheSameState(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := newHarness(t, db)
		type step struct {
			name string
			ev   func(eventID, vehicle string, at time.Time) webhookError
		}
		ERR := step{"error", authFailed}
		RES := step{"resolved", resolved}
		stories := []struct {
			steps []step
			want  model.State
		}{
			{[]step{ERR, RES}, model.StateConnected},
			{[]step{ERR, RES, ERR}, model.StateNeedsReauth},
			{[]step{RES, ERR}, model.StateNeedsReauth},
		}
		n := 0
		for si, story := range stories {
			for _, perm := range permutations(len(story.steps)) {
				for _, batched := range []bool{false, true} {
					n++
					veh := id("car", n)
					for _, i := range perm {
						s := story.steps[i]
						h.deliver(t, s.ev(id(veh, i), veh, t0.Add(time.Duration(i)*time.Second)).body())
						if !batched {
							h.drain(t)
						}
					}
					h.drain(t)
					if v := h.vehicle(t, veh); v.State != story.want {
						t.Errorf("story %d delivered in order %v (batched %v): %s, want %s", si, perm, batched, v.State, story.want)
					}
				}
			}
		}
	})
}

func permutations(n int) [][]int {
	if n == 1 {
		return [][]int{{0}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := slices.Insert(slices.Clone(p), i, n-1)
			out = append(out, q)
		}
	}
	return out
}

func TestIgnoredErrorsAreRecordedAndChangeNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := newHarness(t, db)
		noise := webhookError{EventID: "n1", VehicleID: "v", Type: "PERMISSION", Signals: []string{"charge-chargelimits"}, At: t0}
		asleep := webhookError{EventID: "n2", VehicleID: "v", Type: "VEHICLE_STATE", Code: "ASLEEP", At: t0.Add(time.Second)}
		h.deliver(t, noise.body())
		h.deliver(t, asleep.body())
		h.drain(t)
		v := h.vehicle(t, "v")
		if v.State != model.StateConnected {
			t.Fatalf("noise must not break the vehicle: %+v", v)
		}
		if got := join(h.kinds(t, v.ID)); got != "vehicle_added error_ignored error_ignored" {
			t.Fatalf("timeline %q", got)
		}
		evs, _ := h.store.EventsByVehicle(context.Background(), v.ID, store.Page{})
		if !strings.Contains(evs[1].Detail, `"outcomes":["noise"]`) || !strings.Contains(evs[0].Detail, `"outcomes":["ignored"]`) {
			t.Fatalf("details should say why: %q / %q", evs[1].Detail, evs[0].Detail)
		}
		// Noise arriving after a real break does not clear or move it either.
		h.deliver(t, authFailed("e1", "v", t0.Add(2*time.Second)).body())
		noise.EventID, noise.At = "n3", t0.Add(3*time.Second)
		h.deliver(t, noise.body())
		h.drain(t)
		if v := h.vehicle(t, "v"); v.State != model.StateNeedsReauth {
			t.Fatalf("state %s", v.State)
		}
	})
}

func TestDeclinedVehiclesStayDeclined(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		v, _ := h.store.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "v"})
		if _, _, err := h.machine.Transition(ctx, nil, v.ID, store.StateChange{To: model.StateDeclined, Reason: "declined:sold", Source: "owner", At: t0}); err != nil {
			t.Fatal(err)
		}
		h.deliver(t, authFailed("e1", "v", t0.Add(time.Minute)).body())
		h.deliver(t, resolved("e2", "v", t0.Add(2*time.Minute)).body())
		h.drain(t)
		if got := h.vehicle(t, "v"); got.State != model.StateDeclined {
			t.Fatalf("a webhook moved a declined vehicle to %s", got.State)
		}
	})
}

func TestReconnectingAndAuthenticationFailedGoesBackToNeedsReauth(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		h.deliver(t, authFailed("e1", "v", t0).body())
		h.drain(t)
		v := h.vehicle(t, "v")
		if _, _, err := h.machine.Transition(ctx, nil, v.ID, store.StateChange{To: model.StateReconnecting, Reason: v.Reason, Source: "owner", At: t0.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		h.deliver(t, authFailed("e2", "v", t0.Add(2*time.Minute)).body())
		h.drain(t)
		if got := h.vehicle(t, "v"); got.State != model.StateNeedsReauth {
			t.Fatalf("state %s, want needs_reauth", got.State)
		}
		// An error that happened before the owner started reconnecting is
		// older than that change and does not undo it.
		if _, _, err := h.machine.Transition(ctx, nil, v.ID, store.StateChange{To: model.StateReconnecting, Reason: v.Reason, Source: "owner", At: t0.Add(3 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		h.deliver(t, authFailed("e-late", "v", t0.Add(150*time.Second)).body())
		h.drain(t)
		if got := h.vehicle(t, "v"); got.State != model.StateReconnecting {
			t.Fatalf("a stale error moved a reconnecting vehicle to %s", got.State)
		}
		// RESOLVED while the owner is in Connect completes the repair.
		h.deliver(t, resolved("e3", "v", t0.Add(4*time.Minute)).body())
		h.drain(t)
		if got := h.vehicle(t, "v"); got.State != model.StateConnected {
			t.Fatalf("state %s, want connected", got.State)
		}
	})
}

func TestUnknownVehicleJoinsItsOwnerLater(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		ev := authFailed("e1", "v-unknown", t0)
		ev.ExternalID = "host-7"
		h.deliver(t, ev.body())
		h.drain(t)
		v := h.vehicle(t, "v-unknown")
		if v.OwnerID != nil || v.ExternalID != "host-7" || v.State != model.StateNeedsReauth {
			t.Fatalf("unknown vehicle: %+v", v)
		}

		// The host tells us about the owner; the periodic join attaches the car.
		o, err := h.store.UpsertOwner(ctx, store.OwnerInput{HostUserID: "host-7", Email: "o@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := h.store.JoinUnownedVehicles(ctx); err != nil || n != 1 {
			t.Fatalf("join: %d %v", n, err)
		}
		if got := h.vehicle(t, "v-unknown"); got.OwnerID == nil || *got.OwnerID != o.ID || got.State != model.StateNeedsReauth {
			t.Fatalf("joined vehicle: %+v", got)
		}
		tl, _ := h.store.OwnerTimeline(ctx, o.ID, store.Page{})
		if len(tl) != 3 {
			t.Fatalf("the owner's timeline must include the events recorded before the join: %d", len(tl))
		}

		// A vehicle the host upserts with its owner joins in place too.
		h.deliver(t, authFailed("e2", "v-other", t0).body())
		h.drain(t)
		if _, err := h.store.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: "v-other", OwnerID: &o.ID}); err != nil {
			t.Fatal(err)
		}
		if got := h.vehicle(t, "v-other"); got.OwnerID == nil || got.State != model.StateNeedsReauth {
			t.Fatalf("upserted vehicle: %+v", got)
		}

		// When the external id already names an owner, the car is attached at once.
		ev = authFailed("e3", "v-third", t0)
		ev.ExternalID = "host-7"
		h.deliver(t, ev.body())
		h.drain(t)
		if got := h.vehicle(t, "v-third"); got.OwnerID == nil || *got.OwnerID != o.ID {
			t.Fatalf("vehicle of a known owner: %+v", got)
		}
	})
}

func TestHostReportedErrorsGoThroughTheSamePipeline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		body := []byte(`{"vehicle_id":"v-api","status_code":409,"error":{"type":"CONNECTED_SERVICES_ACCOUNT","code":"SUBSCRIPTION","description":"renew","resolution":{"type":null},"requestId":"r1"}}`)
		r, err := h.svc.ReportError(ctx, body, "req-1")
		if err != nil {
			t.Fatal(err)
		}
		if r.Duplicate || r.Classification.State != "needs_oem_action" || r.Classification.Reason != "CONNECTED_SERVICES_ACCOUNT:SUBSCRIPTION" {
			t.Fatalf("receipt %+v", r)
		}
		if r2, _ := h.svc.ReportError(ctx, body, "req-1"); !r2.Duplicate {
			t.Fatal("the same Idempotency-Key must be a duplicate")
		}
		// A v3 body, forwarded as text, without a status.
		v3 := []byte(`{"vehicle_id":"v-api","error":"{\"errors\":[{\"status\":\"409\",\"type\":\"VEHICLE_STATE\",\"code\":\"ASLEEP\",\"title\":\"asleep\"}]}"}`)
		if r, err := h.svc.ReportError(ctx, v3, ""); err != nil || r.Classification.Reason != "VEHICLE_STATE:ASLEEP" || !r.Classification.Transient {
			t.Fatalf("v3 report: %+v %v", r, err)
		}
		h.drain(t)
		v := h.vehicle(t, "v-api")
		if v.State != model.StateNeedsOEMAction {
			t.Fatalf("state %s", v.State)
		}
		// Both reports were applied in one batch: its inputs first, then the
		// changes they caused.
		if got := join(h.kinds(t, v.ID)); got != "vehicle_added error_reported error_ignored state_changed:needs_oem_action" {
			t.Fatalf("timeline %q", got)
		}

		for _, tc := range []struct {
			body, field string
		}{
			{`{"error":{"type":"SERVER"}}`, "vehicle_id"},
			{`{"vehicle_id":"","error":{"type":"SERVER"}}`, "vehicle_id"},
			{`{"vehicle_id":"v"}`, "error"},
			{`{"vehicle_id":"v","error":{"hello":"world"}}`, "error"},
			{`{"vehicle_id":"v","error":{"type":"SERVER"},"status_code":"x"}`, "status_code"},
			{`{"vehicle_id":"v","error":{"type":"SERVER"},"occurred_at":"2999-01-01T00:00:00Z"}`, "occurred_at"},
		} {
			_, err := h.svc.ReportError(ctx, []byte(tc.body), "")
			var fe *ingest.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Errorf("%s: want a field error on %s, got %v", tc.body, tc.field, err)
			}
		}
		if _, err := h.svc.ReportError(ctx, []byte(`not json`), ""); !errors.Is(err, ingest.ErrMalformedReport) {
			t.Errorf("malformed: %v", err)
		}
	})
}

// One event that cannot be applied (here: a hook that fails for it) is marked
// failed; the rest of its batch is applied.
func TestABadEventDoesNotHoldUpItsBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := newHarness(t, db)
		h.machine.AddHook(lifecycle.HookFunc(func(ctx context.Context, tx *store.Store, ch lifecycle.Change) error {
			if ch.Vehicle.SmartcarID == "poison" {
				return errors.New("hook refuses")
			}
			return nil
		}))
		for _, v := range []string{"a", "poison", "b"} {
			h.deliver(t, authFailed("e-"+v, v, t0).body())
		}
		h.drain(t)
		if n := h.pending(t); n != 0 {
			t.Fatalf("%d events left pending", n)
		}
		for _, v := range []string{"a", "b"} {
			if got := h.vehicle(t, v); got.State != model.StateNeedsReauth {
				t.Errorf("%s: %s", v, got.State)
			}
		}
		st, _ := h.svc.EventStatus(context.Background(), "e-poison")
		if st.Event.Status != store.InboxFailed || !strings.Contains(st.Event.Error, "hook refuses") {
			t.Fatalf("poison event: %+v", st.Event)
		}
	})
}

// With the database gone, recording fails fast instead of acknowledging.
func TestRecordingFailsFastWhenTheDatabaseIsGone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := newHarness(t, db)
		h.deliver(t, authFailed("before", "v", t0).body())
		_ = db.Close()
		body := authFailed("during", "v", t0).body()
		start := time.Now()
		_, err := h.svc.ReceiveWebhook(context.Background(), body, sign(body))
		if !errors.Is(err, ingest.ErrUnavailable) || time.Since(start) > time.Second {
			t.Fatalf("want ErrUnavailable within 1s, got %v after %v", err, time.Since(start))
		}
	})
}
