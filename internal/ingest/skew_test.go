package ingest_test

import (
	"context"
	"errors"
	"fmt"
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

// The skews a sender's clock may have against ours: behind (a real Smartcar
// sender was 90 s behind), equal, and ahead by minutes (a host 4 minutes
// ahead).
var skews = []struct {
	name string
	d    time.Duration
}{
	{"sender behind 90s", -90 * time.Second},
	{"clocks equal", 0},
	{"sender ahead 4m", 4 * time.Minute},
}

// skewCase is one car's story: two inputs from different sources, the
// second received a minute after the first by our clock.
type skewCase struct {
	h   *harness
	car string
}

// webhook delivers a Smartcar VEHICLE_ERROR received at `at` by our clock
// and stamped by a sender whose clock is off by skew.
func (c skewCase) webhook(t *testing.T, state string, at time.Time, skew time.Duration) {
	t.Helper()
	w := authFailed(fmt.Sprintf("%s-%s-%d", c.car, state, at.UnixNano()), c.car, at.Add(skew))
	w.State = state
	c.h.deliverAt(t, w.body(), at)
	c.h.drain(t)
}

// report forwards a host backend's AUTHENTICATION_FAILED received at `at`,
// with the host's occurred_at off by skew.
func (c skewCase) report(t *testing.T, at time.Time, skew time.Duration) {
	t.Helper()
	c.h.clock.advanceTo(at)
	body := fmt.Sprintf(`{"vehicle_id":%q,"status_code":401,"occurred_at":%q,"error":{"type":"CONNECTED_SERVICES_ACCOUNT","code":"AUTHENTICATION_FAILED","description":"x","resolution":{"type":"REAUTHENTICATE"}}}`,
		c.car, at.Add(skew).Format(time.RFC3339Nano))
	if _, err := c.h.svc.ReportError(context.Background(), []byte(body), ""); err != nil {
		t.Fatalf("report: %v", err)
	}
	c.h.drain(t)
}

// health runs the real health check at `at` (it has no clock but ours); a
// nil answer is a successful call.
func (c skewCase) health(t *testing.T, at time.Time, answer error) {
	t.Helper()
	c.h.clock.advanceTo(at)
	hc := &ingest.HealthCheck{Store: c.h.store, API: &oneCarAPI{car: c.car, answer: answer},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Every: time.Nanosecond, Rate: 1000, Budget: time.Second}
	if n, err := hc.Run(context.Background()); err != nil || n != 1 {
		t.Fatalf("health check recorded %d answers: %v", n, err)
	}
	c.h.drain(t)
}

// repair is the owner's repair through Connect, at `at` by our clock.
func (c skewCase) repair(t *testing.T, at time.Time) {
	t.Helper()
	c.h.clock.advanceTo(at)
	v := c.h.vehicle(t, c.car)
	if _, _, err := c.h.machine.Transition(context.Background(), nil, v.ID, store.StateChange{To: model.StateConnected, Source: model.SourceCallback}); err != nil {
		t.Fatal(err)
	}
}

func (c skewCase) want(t *testing.T, state model.State) {
	t.Helper()
	if v := c.h.vehicle(t, c.car); v.State != state {
		t.Errorf("%s: %s, want %s; timeline %s", c.car, v.State, state, join(c.h.kinds(t, v.ID)))
	}
}

// oneCarAPI answers the health check's call for one car; every other car
// is out of reach, which the health check records nothing for.
type oneCarAPI struct {
	car    string
	answer error
}

func (a *oneCarAPI) Refresh(context.Context, string) (smartcar.Token, error) {
	return smartcar.Token{}, errors.New("not used")
}

func (a *oneCarAPI) VehicleAttributes(context.Context, string, string) (smartcar.Vehicle, error) {
	return smartcar.Vehicle{}, errors.New("not used")
}

func (a *oneCarAPI) VehicleV3(_ context.Context, _, vehicleID string) (smartcar.Vehicle, error) {
	if vehicleID != a.car {
		return smartcar.Vehicle{}, errors.New("dial tcp: connection refused")
	}
	return smartcar.Vehicle{}, a.answer
}

var apiAuthFailed = smartcar.DecodeError(401, http.Header{}, []byte(`{"type":"CONNECTED_SERVICES_ACCOUNT","code":"AUTHENTICATION_FAILED","description":"x","resolution":{"type":"REAUTHENTICATE"}}`))

// Inputs from different sources are ordered by when we received them, never
// by the time a sender put on them: whichever of two sources speaks last
// decides, with the sender's clock behind ours, equal, or minutes ahead.
func TestClockSkewNeverOrdersOneSourceAgainstAnother(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := newHarness(t, db)
		n := 0
		story := func(t *testing.T, name string, run func(c skewCase, r0 time.Time)) {
			t.Run(name, func(t *testing.T) {
				n++
				// Each story starts an hour after the previous, on a car of its own.
				r0 := t0.Add(time.Duration(n) * time.Hour)
				c := skewCase{h: h, car: fmt.Sprintf("skew-%d", n)}
				// The car exists, connected, before the story.
				c.webhook(t, "RESOLVED", r0.Add(-10*time.Minute), 0)
				run(c, r0)
			})
		}
		for _, s := range skews {
			// Smartcar webhook against the owner's repair.
			story(t, "a break reported after the owner's repair applies, "+s.name, func(c skewCase, r0 time.Time) {
				c.webhook(t, "ERROR", r0, 0)
				c.repair(t, r0.Add(time.Minute))
				c.webhook(t, "ERROR", r0.Add(2*time.Minute), s.d)
				c.want(t, model.StateNeedsReauth)
			})
			story(t, "a RESOLVED after the owner started a repair completes it, "+s.name, func(c skewCase, r0 time.Time) {
				c.webhook(t, "ERROR", r0, 0)
				v := c.h.vehicle(t, c.car)
				c.h.clock.advanceTo(r0.Add(time.Minute))
				if _, _, err := c.h.machine.Transition(context.Background(), nil, v.ID, store.StateChange{To: model.StateReconnecting, Reason: v.Reason, Source: model.SourceOwner}); err != nil {
					t.Fatal(err)
				}
				c.webhook(t, "RESOLVED", r0.Add(2*time.Minute), s.d)
				c.want(t, model.StateConnected)
			})
			story(t, "a break received before the owner's repair but applied after it is stale, "+s.name, func(c skewCase, r0 time.Time) {
				c.webhook(t, "ERROR", r0, 0)
				c.repair(t, r0.Add(time.Minute))
				w := authFailed(c.car+"-late", c.car, r0.Add(30*time.Second).Add(s.d))
				// Recorded at r0+30s, then the repair, then the processor.
				if _, err := h.store.RecordInbox(context.Background(), []store.InboxEvent{{EventID: w.EventID, Source: store.InboxSmartcar,
					EventType: "VEHICLE_ERROR", VehicleID: c.car, Body: w.body(), ReceivedAt: r0.Add(30 * time.Second)}}); err != nil {
					t.Fatal(err)
				}
				c.h.drain(t)
				c.want(t, model.StateConnected)
			})
			for _, s2 := range skews {
				both := s.name + " then " + s2.name
				// Host-reported error against Smartcar webhook.
				story(t, "a webhook RESOLVED after a host-reported error applies, "+both, func(c skewCase, r0 time.Time) {
					c.report(t, r0, s.d)
					c.want(t, model.StateNeedsReauth)
					c.webhook(t, "RESOLVED", r0.Add(time.Minute), s2.d)
					c.want(t, model.StateConnected)
				})
				story(t, "a host-reported error after a webhook RESOLVED applies, "+both, func(c skewCase, r0 time.Time) {
					c.webhook(t, "ERROR", r0.Add(-time.Minute), s.d)
					c.webhook(t, "RESOLVED", r0, s.d)
					c.want(t, model.StateConnected)
					c.report(t, r0.Add(time.Minute), s2.d)
					c.want(t, model.StateNeedsReauth)
				})
			}
			// Health check against either.
			story(t, "a successful health check after a webhook error applies, "+s.name, func(c skewCase, r0 time.Time) {
				c.webhook(t, "ERROR", r0, s.d)
				c.health(t, r0.Add(time.Minute), nil)
				c.want(t, model.StateConnected)
			})
			story(t, "a webhook RESOLVED after a failed health check applies, "+s.name, func(c skewCase, r0 time.Time) {
				c.health(t, r0, apiAuthFailed)
				c.want(t, model.StateNeedsReauth)
				c.webhook(t, "RESOLVED", r0.Add(time.Minute), s.d)
				c.want(t, model.StateConnected)
			})
			story(t, "a webhook error after a successful health check applies, "+s.name, func(c skewCase, r0 time.Time) {
				c.health(t, r0, nil)
				c.webhook(t, "ERROR", r0.Add(time.Minute), s.d)
				c.want(t, model.StateNeedsReauth)
			})
			story(t, "a successful health check after a host-reported error applies, "+s.name, func(c skewCase, r0 time.Time) {
				c.report(t, r0, s.d)
				c.want(t, model.StateNeedsReauth)
				c.health(t, r0.Add(time.Minute), nil)
				c.want(t, model.StateConnected)
			})
			story(t, "a host-reported error after a successful health check applies, "+s.name, func(c skewCase, r0 time.Time) {
				c.health(t, r0, nil)
				c.report(t, r0.Add(time.Minute), s.d)
				c.want(t, model.StateNeedsReauth)
			})
		}
	})
}

// Deliveries from one source that arrive out of order are still ordered by
// that source's own clock, however far it is from ours, applied one at a
// time or in one batch.
func TestReorderedDeliveriesFromOneSourceFollowItsClock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		n := 0
		for _, s := range skews {
			for _, batched := range []bool{false, true} {
				name := fmt.Sprintf("%s, batched %v", s.name, batched)
				next := func() (skewCase, time.Time) {
					n++
					return skewCase{h: h, car: fmt.Sprintf("order-%d", n)}, t0.Add(time.Duration(n) * time.Hour)
				}
				drain := func() {
					if !batched {
						h.drain(t)
					}
				}
				t.Run("Smartcar: an ERROR sent before a RESOLVED but received after it is stale, "+name, func(t *testing.T) {
					c, r0 := next()
					errAt := r0.Add(s.d)
					h.deliverAt(t, resolved(c.car+"-res", c.car, errAt.Add(30*time.Second)).body(), r0)
					drain()
					h.deliverAt(t, authFailed(c.car+"-err", c.car, errAt).body(), r0.Add(time.Minute))
					h.drain(t)
					c.want(t, model.StateConnected)
				})
				t.Run("Smartcar sequence: a retried ERROR with a newer deliveredAt is still older than the RESOLVED after it, "+name, func(t *testing.T) {
					c, r0 := next()
					errSent := r0.Add(s.d)
					res := sequenced(resolved(c.car+"-res", c.car, errSent.Add(30*time.Second)), "wh", 8)
					// The ERROR's first delivery failed; its retry 100 s later
					// carries a new deliveredAt but the same sequence.
					retry := sequenced(authFailed(c.car+"-err", c.car, errSent.Add(100*time.Second)), "wh", 7)
					h.deliverAt(t, res, r0.Add(30*time.Second))
					drain()
					h.deliverAt(t, retry, r0.Add(100*time.Second))
					h.drain(t)
					c.want(t, model.StateConnected)
				})
				t.Run("Smartcar sequences of different webhooks are not compared; their times are, "+name, func(t *testing.T) {
					c, r0 := next()
					sent := r0.Add(s.d)
					h.deliverAt(t, sequenced(resolved(c.car+"-res", c.car, sent), "wh-a", 8), r0)
					drain()
					h.deliverAt(t, sequenced(authFailed(c.car+"-err", c.car, sent.Add(time.Second)), "wh-b", 7), r0.Add(time.Minute))
					h.drain(t)
					c.want(t, model.StateNeedsReauth)
				})
				t.Run("host: an error that happened before the last one applied but was reported after it is stale, "+name, func(t *testing.T) {
					c, r0 := next()
					h.clock.advanceTo(r0)
					report := func(code string, occurred time.Time) {
						body := fmt.Sprintf(`{"vehicle_id":%q,"occurred_at":%q,"error":{"type":"CONNECTED_SERVICES_ACCOUNT","code":%q,"description":"x"}}`,
							c.car, occurred.Format(time.RFC3339Nano), code)
						if _, err := h.svc.ReportError(ctx, []byte(body), ""); err != nil {
							t.Fatal(err)
						}
					}
					report("SUBSCRIPTION", r0.Add(s.d))
					drain()
					h.clock.advanceTo(r0.Add(time.Minute))
					report("AUTHENTICATION_FAILED", r0.Add(s.d).Add(-30*time.Second))
					h.drain(t)
					c.want(t, model.StateNeedsOEMAction)
				})
			}
		}
	})
}

// sequenced adds Smartcar's meta.sequence and a webhook id to a delivery.
func sequenced(w webhookError, webhookID string, seq int64) []byte {
	w.WebhookID, w.Sequence = webhookID, &seq
	return w.body()
}
