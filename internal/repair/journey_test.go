package repair_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/lifecycle"
	"reconnect/internal/links"
	"reconnect/internal/model"
	"reconnect/internal/repair"
	"reconnect/internal/store"
)

// A re-authentication finished in another browser (started in an email
// app's web view, finished in the system browser) arrives without its
// session. Smartcar did the work, so the one verification call decides,
// and the result says only whether the car works.
func TestReauthFinishedInAnotherBrowserIsVerified(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		t.Run("a car that answers is reconnected", func(t *testing.T) {
			w := newWorld(t, db)
			target, state := w.begin("")
			q := w.connect(target, ownerMail)
			res, err := w.repair.Callback(w.ctx, repair.Visit{}, q)
			if err != nil || res.Outcome != repair.Fixed || !res.Elsewhere || res.ReturnURL != "" {
				t.Fatalf("result %+v %v, want Fixed elsewhere without a return URL", res, err)
			}
			w.expectState(model.StateConnected, "")
			if w.count(model.EventReconnectCompleted) != 1 {
				t.Fatal("the repair is not on the timeline")
			}
			// The state is spent: the first browser, coming back, hears
			// "Done" and nothing is done twice.
			before := len(w.events())
			if res, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, reauthOK(state, w.simCar)); err != nil || !res.Again {
				t.Fatalf("the first browser after: %+v %v", res, err)
			}
			if len(w.events()) != before {
				t.Fatal("the repair was recorded twice")
			}
		})
		t.Run("a car still broken at Smartcar is not called fixed, nor left reconnecting", func(t *testing.T) {
			w := newWorld(t, db)
			_, state := w.begin("")
			res, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: "the-system-browser"}, reauthOK(state, w.simCar))
			if err != nil || res.Outcome != repair.NotVerified || !res.Elsewhere {
				t.Fatalf("result %+v %v, want NotVerified elsewhere", res, err)
			}
			w.expectState(model.StateNeedsReauth, reasonCSA)
		})
		t.Run("a callback naming another vehicle is refused and changes nothing", func(t *testing.T) {
			w := newWorld(t, db)
			w.sim.ClearFailure(w.simCar)
			_, state := w.begin("")
			before := len(w.events())
			if _, err := w.repair.Callback(w.ctx, repair.Visit{}, reauthOK(state, "some-other-car")); !errors.Is(err, repair.ErrStateSession) {
				t.Fatalf("got %v, want ErrStateSession", err)
			}
			if len(w.events()) != before {
				t.Fatal("a refused callback wrote to the timeline")
			}
			w.expectState(model.StateReconnecting, reasonCSA)
			if res, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, reauthOK(state, w.simCar)); err != nil || res.Outcome != repair.Fixed || res.Elsewhere {
				t.Fatalf("the genuine callback afterwards: %+v %v", res, err)
			}
		})
		t.Run("a full Connect's code is never exchanged without its session", func(t *testing.T) {
			w := newWorld(t, db)
			w.sim.ClearFailure(w.simCar)
			target, state := w.begin(store.FlowConnect)
			q := w.connect(target, ownerMail)
			if q.Get("code") == "" {
				t.Fatalf("the simulator sent no code: %v", q)
			}
			if _, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: "the-system-browser"}, q); !errors.Is(err, repair.ErrOtherBrowser) {
				t.Fatalf("got %v, want ErrOtherBrowser", err)
			}
			if w.count(model.EventTokensStored) != 0 {
				t.Fatal("the code was exchanged in another browser")
			}
			if _, err := w.store.TokenByUser(w.ctx, w.simUser.UserID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("tokens were stored: %v", err)
			}
			// The browser that started it still can.
			if res, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, q); err != nil || res.Outcome != repair.Fixed {
				t.Fatalf("the starting browser: %+v %v", res, err)
			}
			_ = state
		})
	})
}

// Without a v2 token pair the verification reads the car's signals with
// the app token: the v3 vehicle record answers even for a broken car, and
// would report a still-broken car fixed.
func TestVerificationWithTheAppTokenSeesAStillBrokenCar(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		if _, err := w.store.TokenByUser(w.ctx, w.simUser.UserID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the owner holds a v2 pair: %v", err)
		}
		_, state := w.begin("")
		// Smartcar still reports AUTHENTICATION_FAILED.
		res, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, reauthOK(state, w.simCar))
		if err != nil || res.Outcome != repair.NotVerified || res.Reason != reasonCSA {
			t.Fatalf("result %+v %v, want NotVerified for %s", res, err, reasonCSA)
		}
		w.expectState(model.StateNeedsReauth, reasonCSA)

		_, state = w.begin("")
		w.sim.ClearFailure(w.simCar)
		if res, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, reauthOK(state, w.simCar)); err != nil || res.Outcome != repair.Fixed {
			t.Fatalf("a working car: %+v %v", res, err)
		}
	})
}

// A full Connect for a car asks for at least what the car had, not only
// the configured scopes; when the owner grants less, the timeline and the
// host hear which permissions were lost.
func TestFullConnectKeepsTheCarsPermissions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		for _, tc := range []struct {
			name    string
			uncheck string
			lost    []string
		}{
			{"granting everything loses nothing", "", nil},
			{"unticking a scope the car had is reported", "read_odometer", []string{"read_odometer"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				w := newWorld(t, db)
				w.holdV2Pair(time.Hour)
				w.sim.ClearFailure(w.simCar)
				var changes []lifecycle.Change
				w.machine.AddHook(lifecycle.HookFunc(func(_ context.Context, _ *store.Store, ch lifecycle.Change) error {
					changes = append(changes, ch)
					return nil
				}))
				// The app is configured with less than the car has.
				w.repair = repair.New(w.store, w.client, w.machine, w.sealer, []string{"read_vehicle_info"}, links.New(w.store, links.Config{}))
				target, state := w.begin(store.FlowConnect)
				u, _ := url.Parse(target)
				asked := strings.Fields(u.Query().Get("scope"))
				if !slices.Contains(asked, "read_vehicle_info") || !slices.Contains(asked, "read_odometer") {
					t.Fatalf("the full Connect asks for %v, want what the car had", asked)
				}
				w.uncheck = tc.uncheck
				res, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, w.connect(target, ownerMail))
				if err != nil || res.Outcome != repair.Fixed {
					t.Fatalf("result %+v %v", res, err)
				}
				_ = state
				last := changes[len(changes)-1]
				if last.Vehicle.State != model.StateConnected || !slices.Equal(last.PermissionsLost, tc.lost) {
					t.Fatalf("the host hears %s with permissions lost %v, want %v", last.Vehicle.State, last.PermissionsLost, tc.lost)
				}
				if tc.lost == nil {
					if w.count(model.EventPermissionsNarrowed) != 0 {
						t.Fatal("a full grant was reported as narrowed")
					}
					return
				}
				_, d := w.latest(model.EventPermissionsNarrowed)
				b, _ := json.Marshal(d["missing"])
				if string(b) != `["read_odometer"]` {
					t.Fatalf("permissions_narrowed says missing %s", b)
				}
			})
		}
	})
}
