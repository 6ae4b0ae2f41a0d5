package repair_test

// The owner's trip through Connect against the in-process simulator and a
// real database of each dialect: Begin mints the state, the simulator's
// pages (or a hand-made callback, for answers a browser cannot be made to
// produce) bring the owner back, and Callback decides.

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/lifecycle"
	"reconnect/internal/links"
	"reconnect/internal/model"
	"reconnect/internal/repair"
	"reconnect/internal/secrets"
	"reconnect/internal/smartcar"
	"reconnect/internal/smartcarsim"
	"reconnect/internal/store"
)

const (
	clientID  = "6c1f7a52-3d4e-4b8a-9f10-2a3b4c5d6e7f"
	secret    = "repair-test-secret"
	apiID     = "client_repair"
	apiSecret = "repair-api-secret"
	amt       = "amt-repair"
	redirect  = "https://reconnect.example/connect/callback"
	session   = "session-of-the-owner"
	ownerMail = "owner@example.com"
	reasonCSA = "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED"
)

var scopes = []string{"read_vehicle_info", "read_odometer"}

type world struct {
	t       *testing.T
	ctx     context.Context
	sim     *smartcarsim.Sim
	clock   *smartcarsim.FakeClock
	client  *smartcar.Client
	store   *store.Store
	machine *lifecycle.Machine
	sealer  *secrets.Sealer
	repair  *repair.Service
	owner   model.Owner
	simUser smartcarsim.UserInfo
	car     model.Vehicle // ours, broken: needs_reauth for reasonCSA
	simCar  string        // its Smartcar id
	// uncheck is a scope the owner unticks on Connect's grant screen.
	uncheck string
}

func newWorld(t *testing.T, db *database.DB) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), clock: smartcarsim.NewFakeClock(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))}
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	w.sim = smartcarsim.New(smartcarsim.Config{
		ClientID: clientID, ClientSecret: secret, APIClientID: apiID, APIClientSecret: apiSecret,
		ManagementToken: amt, RedirectURIs: []string{redirect}, DefaultScopes: scopes,
		Clock: w.clock, PublicURL: base, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	srv.Config.Handler = w.sim.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(w.sim.Close)
	var err error
	w.client, err = smartcar.New(smartcar.Config{
		ConnectURL: base, AuthURL: base, IAMURL: base, APIURL: base, VehicleAPIURL: base, ManagementURL: base,
		ClientID: clientID, ClientSecret: secret, APIClientID: apiID, APIClientSecret: apiSecret,
		ManagementToken: amt, RedirectURI: redirect, Now: w.clock.Now,
	}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	if w.sealer, err = secrets.NewSealer([][]byte{key}); err != nil {
		t.Fatal(err)
	}
	w.store = store.New(db).WithClock(w.clock.Now)
	w.machine = lifecycle.New(w.store)
	w.repair = repair.New(w.store, w.client, w.machine, w.sealer, scopes, links.New(w.store, links.Config{PublicBaseURL: "https://reconnect.example"}))

	if w.simUser, err = w.sim.CreateUser(smartcarsim.UserSpec{Email: ownerMail, ExternalID: "host-1", Connected: true,
		Vehicles: []smartcarsim.VehicleSpec{{Make: "TESLA", Model: "Model 3", Year: 2021, VIN: "5YJ3E1EA7MF000101"}}}); err != nil {
		t.Fatal(err)
	}
	w.simCar = w.simUser.Vehicles[0].ID
	if w.owner, err = w.store.UpsertOwner(w.ctx, store.OwnerInput{HostUserID: "host-1", Email: ownerMail}); err != nil {
		t.Fatal(err)
	}
	w.car = w.addCar(w.simCar, &w.owner.ID, "5YJ3E1EA7MF000101")
	w.breakCar(w.car.ID, "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", model.StateNeedsReauth, reasonCSA)
	return w
}

func (w *world) addCar(smartcarID string, owner *int64, vin string) model.Vehicle {
	w.t.Helper()
	v, err := w.store.UpsertVehicle(w.ctx, store.VehicleInput{SmartcarID: smartcarID, OwnerID: owner, SmartcarUserID: w.simUser.UserID,
		Make: "TESLA", Model: "Model 3", Year: 2021, VIN: vin})
	if err != nil {
		w.t.Fatal(err)
	}
	return v
}

// breakCar breaks the car at Smartcar (when typ is set) and records it
// broken here, as detection would.
func (w *world) breakCar(id int64, typ, code string, st model.State, reason string) {
	w.t.Helper()
	if typ != "" {
		if err := w.sim.SetFailure(w.simCar, typ, code); err != nil {
			w.t.Fatal(err)
		}
	}
	if _, _, err := w.machine.Transition(w.ctx, nil, id, store.StateChange{To: st, Reason: reason, Source: model.SourceWebhook}); err != nil {
		w.t.Fatal(err)
	}
}

// holdV2Pair stores a sealed v2 pair for the owner, as an earlier full
// Connect would have, with the access token expiring after accessFor.
func (w *world) holdV2Pair(accessFor time.Duration) smartcarsim.TokenInfo {
	w.t.Helper()
	ti, err := w.sim.IssueTokens(w.simUser.UserID)
	if err != nil {
		w.t.Fatal(err)
	}
	access, _ := w.sealer.Seal(ti.AccessToken)
	refresh, _ := w.sealer.Seal(ti.RefreshToken)
	if err := w.store.SaveToken(w.ctx, store.SmartcarToken{SmartcarUserID: w.simUser.UserID, OwnerID: &w.owner.ID, AccessToken: access, RefreshToken: refresh,
		AccessExpiresAt: w.clock.Now().Add(accessFor), RefreshExpiresAt: w.clock.Now().Add(smartcar.RefreshLifetime)}); err != nil {
		w.t.Fatal(err)
	}
	return ti
}

func (w *world) begin(flow string) (target, state string) {
	w.t.Helper()
	target, err := w.repair.Begin(w.ctx, repair.Start{Owner: w.owner, VehicleID: w.car.ID, SessionID: session, Flow: flow})
	if err != nil {
		w.t.Fatalf("begin: %v", err)
	}
	u, err := url.Parse(target)
	if err != nil {
		w.t.Fatal(err)
	}
	state = u.Query().Get("state")
	if state == "" {
		w.t.Fatalf("no state in %s", target)
	}
	return target, state
}

func (w *world) vehicle() model.Vehicle {
	w.t.Helper()
	v, err := w.store.VehicleByID(w.ctx, w.car.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return v
}

// events lists the car's timeline, newest first.
func (w *world) events() []model.Event {
	w.t.Helper()
	evs, err := w.store.EventsByVehicle(w.ctx, w.car.ID, store.Page{})
	if err != nil {
		w.t.Fatal(err)
	}
	return evs
}

func (w *world) count(kind model.EventKind) int {
	n := 0
	for _, e := range w.events() {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func (w *world) latest(kind model.EventKind) (model.Event, map[string]any) {
	w.t.Helper()
	for _, e := range w.events() {
		if e.Kind == kind {
			d := map[string]any{}
			if e.Detail == "" {
				return e, d
			}
			if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
				w.t.Fatalf("%s detail %q: %v", kind, e.Detail, err)
			}
			return e, d
		}
	}
	w.t.Fatalf("no %s event on the timeline", kind)
	return model.Event{}, nil
}

func (w *world) expectState(st model.State, reason string) {
	w.t.Helper()
	if v := w.vehicle(); v.State != st || v.Reason != reason {
		w.t.Fatalf("vehicle is %s %q, want %s %q", v.State, v.Reason, st, reason)
	}
}

var (
	formRe  = regexp.MustCompile(`(?s)<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>`)
	inputRe = regexp.MustCompile(`<input([^>]*)>`)
	attrRe  = regexp.MustCompile(`(\w[\w-]*)(?:="([^"]*)")?`)
	vehRe   = regexp.MustCompile(`name="vehicle" value="([^"]+)"`)
)

// connect drives the simulator's Connect pages as a browser would, logging
// in as email and approving, and returns the query Connect sends back.
func (w *world) connect(start, email string) url.Values {
	w.t.Helper()
	jar, _ := cookiejar.New(nil)
	var callback *url.URL
	hc := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirect) {
			callback = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}}
	res, err := hc.Get(start)
	if err != nil {
		w.t.Fatal(err)
	}
	for step := 0; step < 8 && callback == nil; step++ {
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fm := formRe.FindStringSubmatch(string(body))
		if fm == nil {
			w.t.Fatalf("no form on the Connect page:\n%s", body)
		}
		form := url.Values{}
		for _, in := range inputRe.FindAllStringSubmatch(fm[2], -1) {
			attrs := map[string]string{}
			for _, a := range attrRe.FindAllStringSubmatch(in[1], -1) {
				attrs[a[1]] = html.UnescapeString(a[2])
			}
			_, checked := attrs["checked"]
			switch attrs["type"] {
			case "hidden":
				form.Add(attrs["name"], attrs["value"])
			case "checkbox", "radio":
				if checked && attrs["name"] != "" && (attrs["name"] != "scope" || attrs["value"] != w.uncheck) {
					form.Add(attrs["name"], attrs["value"])
				}
			case "email":
				form.Set(attrs["name"], email)
			case "password":
				form.Set(attrs["name"], "any-password")
			}
		}
		switch {
		case strings.Contains(fm[2], `value="login"`):
			form.Set("action", "login")
		case strings.Contains(fm[2], `value="continue"`):
			form.Set("action", "continue")
			if m := vehRe.FindStringSubmatch(fm[2]); form.Get("vehicle") == "" && m != nil {
				form.Set("vehicle", m[1])
			}
		case strings.Contains(fm[2], `value="approve"`):
			form.Set("action", "approve")
		}
		action, _ := url.Parse(html.UnescapeString(fm[1]))
		if res, err = hc.PostForm(res.Request.URL.ResolveReference(action).String(), form); err != nil {
			w.t.Fatal(err)
		}
	}
	if callback == nil {
		w.t.Fatal("Connect never redirected to the callback")
	}
	res.Body.Close()
	return callback.Query()
}

// TestReconnectRoundTrip follows one owner from the button to "Done".
func TestReconnectRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		target, state := w.begin("")

		// Begin: a re-authentication for this car, its state stored only
		// hashed and bound to the session, the car marked reconnecting.
		u, _ := url.Parse(target)
		if !strings.HasSuffix(u.Path, "/oauth/reauthenticate") || u.Query().Get("vehicle_id") != w.simCar ||
			u.Query().Get("redirect_uri") != redirect || u.Query().Get("external_id") != "host-1" {
			t.Fatalf("Begin sent the owner to %s", target)
		}
		cs, err := w.store.ConnectStateByHash(w.ctx, store.HashSecret(state))
		if err != nil {
			t.Fatalf("the state was not stored by its hash: %v", err)
		}
		if cs.SessionID != session || cs.OwnerID != w.owner.ID || cs.VehicleID == nil || *cs.VehicleID != w.car.ID ||
			cs.Flow != store.FlowReauth || cs.PrevState != model.StateNeedsReauth || cs.PrevReason != reasonCSA ||
			!cs.ExpiresAt.Equal(w.clock.Now().Add(repair.StateTTL)) || cs.UsedAt != nil {
			t.Fatalf("stored state %+v", cs)
		}
		w.expectState(model.StateReconnecting, reasonCSA)
		if e, d := w.latest(model.EventReconnectStarted); e.Source != model.SourceOwner || d["flow"] != store.FlowReauth {
			t.Fatalf("reconnect_started %+v %v", e, d)
		}

		// Connect and back: verified with one call, connected, on the timeline.
		q := w.connect(target, ownerMail)
		if q.Get("state") != state || q.Get("vehicle_id") != w.simCar {
			t.Fatalf("callback %v", q)
		}
		res, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, q)
		if err != nil || res.Outcome != repair.Fixed {
			t.Fatalf("callback: %+v %v", res, err)
		}
		if res.Vehicle.State != model.StateConnected || res.Vehicle.Reason != "" || res.OwnerID != w.owner.ID {
			t.Fatalf("result %+v", res)
		}
		w.expectState(model.StateConnected, "")
		e, d := w.latest(model.EventReconnectCompleted)
		if e.Source != model.SourceCallback || e.OwnerID == nil || *e.OwnerID != w.owner.ID || d["flow"] != store.FlowReauth {
			t.Fatalf("reconnect_completed %+v %v", e, d)
		}
		if sc, _ := w.latest(model.EventStateChanged); sc.ToState != model.StateConnected || sc.FromState != model.StateReconnecting || sc.Source != model.SourceCallback {
			t.Fatalf("state_changed %+v", sc)
		}

		// The same callback again in the same browser (a reload, back and
		// forward) shows "Done" again and does nothing twice; from any other
		// session it is refused.
		before := len(w.events())
		again, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, q)
		if err != nil || again.Outcome != repair.Fixed || !again.Again || again.Vehicle.State != model.StateConnected {
			t.Fatalf("reloaded success: %+v %v, want Fixed again", again, err)
		}
		if _, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: "someone-else"}, q); !errors.Is(err, repair.ErrStateReplayed) {
			t.Fatalf("replayed callback from another session: %v, want ErrStateReplayed", err)
		}
		if len(w.events()) != before {
			t.Fatal("a replayed callback wrote to the timeline")
		}
		w.expectState(model.StateConnected, "")
	})
}

// Refused callbacks change nothing: the car stays reconnecting, the state
// is not used up, and the genuine callback still works afterwards.
func TestCallbackRefusesForeignStates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		cases := []struct {
			name    string
			session string
			query   func(state string) url.Values
			want    error
		}{
			{"a state with one character changed is refused as tampered", session,
				func(s string) url.Values { return reauthOK(s[:len(s)-1]+flip(s[len(s)-1]), "") }, repair.ErrBadState},
			{"a callback without a state is refused as tampered", session,
				func(string) url.Values { return reauthOK("", "") }, repair.ErrBadState},
			{"a state longer than 256 characters is refused as tampered", session,
				func(s string) url.Values { return reauthOK(s+strings.Repeat("x", 257), "") }, repair.ErrBadState},
			{"a state from another browser session is refused", "someone-else",
				func(s string) url.Values { return reauthOK(s, "") }, repair.ErrStateSession},
			{"a state with no browser session at all is refused", "",
				func(s string) url.Values { return reauthOK(s, "") }, repair.ErrStateSession},
			{"a session id that is a prefix of the right one is refused", session[:len(session)-1],
				func(s string) url.Values { return reauthOK(s, "") }, repair.ErrStateSession},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				w := newWorld(t, db)
				w.sim.ClearFailure(w.simCar)
				_, state := w.begin("")
				before := len(w.events())
				_, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: tc.session}, tc.query(state))
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				if len(w.events()) != before {
					t.Fatal("a refused callback wrote to the timeline")
				}
				w.expectState(model.StateReconnecting, reasonCSA)
				if res, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, reauthOK(state, w.simCar)); err != nil || res.Outcome != repair.Fixed {
					t.Fatalf("the genuine callback after a refused one: %+v %v", res, err)
				}
			})
		}
	})
}

// reauthOK is the callback of a successful re-authentication.
func reauthOK(state, vehicleID string) url.Values {
	q := url.Values{"state": {state}}
	if vehicleID != "" {
		q.Set("vehicle_id", vehicleID)
	}
	return q
}

func flip(b byte) string {
	if b == 'A' {
		return "B"
	}
	return "A"
}

func TestCallbackStateExpiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		cases := []struct {
			name  string
			after time.Duration
			want  error
		}{
			{"a callback a second before the state expires completes", repair.StateTTL - time.Second, nil},
			{"a callback at the instant the state expires is refused", repair.StateTTL, repair.ErrStateExpired},
			{"a callback an hour later is refused", time.Hour, repair.ErrStateExpired},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				w := newWorld(t, db)
				w.sim.ClearFailure(w.simCar)
				_, state := w.begin("")
				w.clock.Advance(tc.after)
				res, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, reauthOK(state, w.simCar))
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				if tc.want == nil {
					if res.Outcome != repair.Fixed {
						t.Fatalf("outcome %v", res.Outcome)
					}
					return
				}
				w.expectState(model.StateReconnecting, reasonCSA)
			})
		}
	})
}

// A re-authentication that comes back naming another car (the owner picked
// the wrong one, or someone swapped the id) fixes nothing.
func TestCallbackNamingAnotherVehicle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		other := w.addCar("another-smartcar-id", &w.owner.ID, "")
		_, state := w.begin("")
		_, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, reauthOK(state, other.SmartcarID))
		if !errors.Is(err, repair.ErrVehicleMissing) {
			t.Fatalf("got %v, want ErrVehicleMissing", err)
		}
		w.expectState(model.StateNeedsReauth, reasonCSA)
		if e, d := w.latest(model.EventReconnectFailed); e.Source != model.SourceCallback || d["error"] != "vehicle_mismatch" {
			t.Fatalf("reconnect_failed %+v %v", e, d)
		}
		if v, _ := w.store.VehicleByID(w.ctx, other.ID); v.State != model.StateConnected {
			t.Fatalf("the car the callback named changed: %s", v.State)
		}
		if _, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, reauthOK(state, w.simCar)); !errors.Is(err, repair.ErrStateReplayed) {
			t.Fatalf("the state was not used up by the mismatch: %v", err)
		}
	})
}

// Connect errors put the car back where it was and say why.
func TestCallbackConnectErrorRestores(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		codes := []smartcar.ConnectError{smartcar.ConnectAccessDenied, smartcar.ConnectNoVehicles, smartcar.ConnectVehicleIncompatible,
			smartcar.ConnectInvalidSubscription, smartcar.ConnectConfigurationError, smartcar.ConnectServerError}
		for _, code := range codes {
			t.Run(string(code)+" restores needs_reauth and records reconnect_failed", func(t *testing.T) {
				w := newWorld(t, db)
				_, state := w.begin("")
				q := url.Values{"state": {state}, "error": {string(code)}, "error_description": {"described"}, "status_code": {"400"}}
				res, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, q)
				if err != nil || res.Outcome != repair.ConnectFailed || res.ConnectError != code {
					t.Fatalf("result %+v %v", res, err)
				}
				if res.Vehicle.State != model.StateNeedsReauth {
					t.Fatalf("result vehicle %s", res.Vehicle.State)
				}
				w.expectState(model.StateNeedsReauth, reasonCSA)
				e, d := w.latest(model.EventReconnectFailed)
				if e.Source != model.SourceCallback || d["error"] != string(code) || d["description"] != "described" || d["status_code"] != float64(400) {
					t.Fatalf("reconnect_failed %+v %v", e, d)
				}
				if w.count(model.EventReconnectCompleted) != 0 {
					t.Fatal("a failed Connect recorded a completion")
				}
				// The state comes back as a restore, not as the owner's
				// callback: a campaign must not count it as completed, nor the
				// host hear "reconnected".
				if sc, _ := w.latest(model.EventStateChanged); sc.Source != model.SourceRestore || sc.ToState != model.StateNeedsReauth {
					t.Fatalf("the restoring change %+v, want source %s", sc, model.SourceRestore)
				}
			})
		}

		t.Run("logging in to Connect with another account is access_denied and restores", func(t *testing.T) {
			w := newWorld(t, db)
			if _, err := w.sim.CreateUser(smartcarsim.UserSpec{Email: "stranger@example.com", Vehicles: []smartcarsim.VehicleSpec{{Make: "TESLA"}}}); err != nil {
				t.Fatal(err)
			}
			target, _ := w.begin("")
			q := w.connect(target, "stranger@example.com")
			res, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, q)
			if err != nil || res.Outcome != repair.ConnectFailed || res.ConnectError != smartcar.ConnectAccessDenied {
				t.Fatalf("result %+v %v (callback %v)", res, err, q)
			}
			w.expectState(model.StateNeedsReauth, reasonCSA)
		})

		t.Run("a car that needed the carmaker goes back to needs_oem_action", func(t *testing.T) {
			w := newWorld(t, db)
			w.breakCar(w.car.ID, "CONNECTED_SERVICES_ACCOUNT", "SUBSCRIPTION", model.StateNeedsOEMAction, "CONNECTED_SERVICES_ACCOUNT:SUBSCRIPTION")
			_, state := w.begin("")
			if _, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, url.Values{"state": {state}, "error": {"access_denied"}}); err != nil {
				t.Fatal(err)
			}
			w.expectState(model.StateNeedsOEMAction, "CONNECTED_SERVICES_ACCOUNT:SUBSCRIPTION")
		})

		t.Run("a second press after an abandoned trip still restores the state before the first", func(t *testing.T) {
			w := newWorld(t, db)
			w.begin("")
			_, state := w.begin("")
			if cs, _ := w.store.ConnectStateByHash(w.ctx, store.HashSecret(state)); cs.PrevState != model.StateNeedsReauth {
				t.Fatalf("the second attempt remembers %s", cs.PrevState)
			}
			if _, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, url.Values{"state": {state}, "error": {"access_denied"}}); err != nil {
				t.Fatal(err)
			}
			w.expectState(model.StateNeedsReauth, reasonCSA)
		})

		t.Run("news that arrived during the trip stands over the restore", func(t *testing.T) {
			w := newWorld(t, db)
			_, state := w.begin("")
			w.breakCar(w.car.ID, "", "", model.StateNeedsVirtualKey, "CONNECTED_SERVICES_ACCOUNT:VIRTUAL_KEY_REQUIRED")
			if _, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, url.Values{"state": {state}, "error": {"access_denied"}}); err != nil {
				t.Fatal(err)
			}
			w.expectState(model.StateNeedsVirtualKey, "CONNECTED_SERVICES_ACCOUNT:VIRTUAL_KEY_REQUIRED")
			if w.count(model.EventReconnectFailed) != 1 {
				t.Fatal("the failure was not recorded")
			}
		})
	})
}

// The verification call decides between "Done" and "not yet". The owner
// holds a v2 pair here, so the call is the v2 attributes request, which
// reaches the car's connection.
func TestCallbackVerification(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		cases := []struct {
			name      string
			typ, code string // the failure Smartcar still reports after Connect; "" for none
			outcome   repair.Outcome
			state     model.State
			reason    string
			event     model.EventKind
		}{
			{"a car that answers is fixed", "", "", repair.Fixed, model.StateConnected, "", model.EventReconnectCompleted},
			{"a car still failing authentication stays needs_reauth, unverified", "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED",
				repair.NotVerified, model.StateNeedsReauth, reasonCSA, model.EventReconnectUnverified},
			{"a car whose subscription lapsed moves to needs_oem_action, unverified", "CONNECTED_SERVICES_ACCOUNT", "SUBSCRIPTION",
				repair.NotVerified, model.StateNeedsOEMAction, "CONNECTED_SERVICES_ACCOUNT:SUBSCRIPTION", model.EventReconnectUnverified},
			{"a car that needs a virtual key moves to needs_virtual_key, unverified", "CONNECTED_SERVICES_ACCOUNT", "VIRTUAL_KEY_REQUIRED",
				repair.NotVerified, model.StateNeedsVirtualKey, "CONNECTED_SERVICES_ACCOUNT:VIRTUAL_KEY_REQUIRED", model.EventReconnectUnverified},
			{"a Smartcar server error restores the previous state, unverified", "SERVER", "INTERNAL",
				repair.NotVerified, model.StateNeedsReauth, reasonCSA, model.EventReconnectUnverified},
			{"a rate limit restores the previous state, unverified", "RATE_LIMIT", "VEHICLE",
				repair.NotVerified, model.StateNeedsReauth, reasonCSA, model.EventReconnectUnverified},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				w := newWorld(t, db)
				w.holdV2Pair(time.Hour)
				_, state := w.begin("")
				w.sim.ClearFailure(w.simCar)
				if tc.typ != "" {
					if err := w.sim.SetFailure(w.simCar, tc.typ, tc.code); err != nil {
						t.Fatal(err)
					}
				}
				res, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, reauthOK(state, w.simCar))
				if err != nil || res.Outcome != tc.outcome {
					t.Fatalf("result %+v %v, want outcome %v", res, err, tc.outcome)
				}
				if res.Vehicle.State != tc.state {
					t.Fatalf("result vehicle %s, want %s", res.Vehicle.State, tc.state)
				}
				if tc.outcome == repair.NotVerified && res.Reason != tc.reason {
					t.Fatalf("result reason %q, want %q", res.Reason, tc.reason)
				}
				w.expectState(tc.state, tc.reason)
				if e, _ := w.latest(tc.event); e.Source != model.SourceCallback {
					t.Fatalf("%s from %s", tc.event, e.Source)
				}
				if tc.outcome != repair.Fixed && w.count(model.EventReconnectCompleted) != 0 {
					t.Fatal("an unverified repair recorded a completion")
				}
			})
		}
	})
}

// An expired access token is refreshed for the verification, and the new
// pair is stored sealed at once: Smartcar retires the old refresh token.
func TestVerificationRefreshesAnExpiredAccessToken(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		old := w.holdV2Pair(-time.Minute)
		_, state := w.begin("")
		w.sim.ClearFailure(w.simCar)
		res, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, reauthOK(state, w.simCar))
		if err != nil || res.Outcome != repair.Fixed {
			t.Fatalf("result %+v %v", res, err)
		}
		tok, err := w.store.TokenByUser(w.ctx, w.simUser.UserID)
		if err != nil {
			t.Fatal(err)
		}
		access, err1 := w.sealer.Open(tok.AccessToken)
		refresh, err2 := w.sealer.Open(tok.RefreshToken)
		if err1 != nil || err2 != nil || access == old.AccessToken || refresh == old.RefreshToken {
			t.Fatalf("the refreshed pair was not stored: %v %v", err1, err2)
		}
		if strings.Contains(tok.AccessToken, access) || strings.Contains(tok.RefreshToken, refresh) {
			t.Fatal("the refreshed pair is stored in the clear")
		}
		if !tok.AccessExpiresAt.After(w.clock.Now()) || tok.OwnerID == nil || *tok.OwnerID != w.owner.ID {
			t.Fatalf("stored pair %+v", tok)
		}
	})
}

// A full Connect exchanges the code, keeps the tokens sealed, and verifies
// with the owner's own token.
func TestFullConnectStoresTokensSealed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		target, state := w.begin(store.FlowConnect)
		u, _ := url.Parse(target)
		if u.Query().Get("state") != state || !strings.Contains(u.Query().Get("scope"), "read_vehicle_info") {
			t.Fatalf("full Connect URL %s", target)
		}
		q := w.connect(target, ownerMail)
		if q.Get("code") == "" {
			t.Fatalf("no code in the callback %v", q)
		}
		res, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, q)
		if err != nil || res.Outcome != repair.Fixed {
			t.Fatalf("result %+v %v", res, err)
		}
		w.expectState(model.StateConnected, "")
		if _, d := w.latest(model.EventReconnectCompleted); d["flow"] != store.FlowConnect {
			t.Fatalf("completion detail %v", d)
		}
		if e, d := w.latest(model.EventTokensStored); e.Source != model.SourceCallback || d["vehicles"] != float64(1) {
			t.Fatalf("tokens_stored %+v %v", e, d)
		}

		tok, err := w.store.TokenByUser(w.ctx, w.simUser.UserID)
		if err != nil {
			t.Fatalf("no token stored: %v", err)
		}
		access, err := w.sealer.Open(tok.AccessToken)
		if err != nil {
			t.Fatalf("the stored access token does not open: %v", err)
		}
		refresh, err := w.sealer.Open(tok.RefreshToken)
		if err != nil {
			t.Fatalf("the stored refresh token does not open: %v", err)
		}
		if access == "" || refresh == "" || strings.Contains(tok.AccessToken, access) || strings.Contains(tok.RefreshToken, refresh) {
			t.Fatal("a token is stored in the clear")
		}
		if tok.OwnerID == nil || *tok.OwnerID != w.owner.ID || !tok.RefreshExpiresAt.Equal(w.clock.Now().Add(smartcar.RefreshLifetime)) {
			t.Fatalf("stored pair %+v", tok)
		}
		if _, err := w.client.VehicleAttributes(w.ctx, access, w.simCar); err != nil {
			t.Fatalf("the stored access token is not the one Smartcar issued: %v", err)
		}
		var raw string
		if err := w.store.DB().Raw("SELECT access_token FROM smartcar_tokens WHERE smartcar_user_id = ?", w.simUser.UserID).Scan(&raw).Error; err != nil {
			t.Fatal(err)
		}
		if raw == "" || strings.Contains(raw, access) {
			t.Fatalf("the database row holds %q", raw)
		}
	})
}

func TestFullConnectWithABadCodeIsUnverified(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		_, state := w.begin(store.FlowConnect)
		res, err := w.repair.Callback(w.ctx, repair.Visit{SessionID: session}, url.Values{"state": {state}, "code": {"not-a-code"}, "user_id": {w.simUser.UserID}})
		if err != nil || res.Outcome != repair.NotVerified {
			t.Fatalf("result %+v %v", res, err)
		}
		w.expectState(model.StateNeedsReauth, reasonCSA)
		if _, d := w.latest(model.EventReconnectUnverified); !strings.Contains(d["error"].(string), "exchange code") {
			t.Fatalf("detail %v", d)
		}
		if _, err := w.store.TokenByUser(w.ctx, w.simUser.UserID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a token was stored from a failed exchange: %v", err)
		}
	})
}

func TestBeginRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		stranger, err := w.store.UpsertOwner(w.ctx, store.OwnerInput{HostUserID: "host-2", Email: "other@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		fine := w.addCar("a-connected-car", &w.owner.ID, "")
		orphan := w.addCar("an-orphan-car", nil, "")
		w.breakCar(orphan.ID, "", "", model.StateNeedsReauth, reasonCSA)
		cases := []struct {
			name string
			st   repair.Start
			want error
		}{
			{"a connected car has nothing to do", repair.Start{Owner: w.owner, VehicleID: fine.ID, SessionID: session}, repair.ErrNothingToDo},
			{"another owner's car is not yours", repair.Start{Owner: stranger, VehicleID: w.car.ID, SessionID: session}, repair.ErrNotYours},
			{"a car with no owner is not yours", repair.Start{Owner: w.owner, VehicleID: orphan.ID, SessionID: session}, repair.ErrNotYours},
			{"a car that does not exist is not yours", repair.Start{Owner: w.owner, VehicleID: 987654, SessionID: session}, repair.ErrNotYours},
			{"no browser session, no state", repair.Start{Owner: w.owner, VehicleID: w.car.ID}, repair.ErrStateSession},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := len(w.events())
				if _, err := w.repair.Begin(w.ctx, tc.st); !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				if len(w.events()) != before {
					t.Fatal("a refused Begin wrote to the timeline")
				}
				w.expectState(model.StateNeedsReauth, reasonCSA)
			})
		}
	})
}

// Smartcar's own partial re-auth URL is completed when it is Connect's; any
// other is replaced by ours.
func TestBeginUsesSmartcarsResolutionURLOnlyFromConnect(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		cases := []struct {
			name       string
			resolution func(w *world) string
			wantExtra  bool // Smartcar's extra parameter survives
		}{
			{"Connect's own re-auth URL is completed with our state", func(w *world) string {
				return w.client.ReauthURL(smartcar.ReauthParams{VehicleID: w.simCar}) + "&flow=smartcar-hint"
			}, true},
			{"a URL on another origin is replaced by ours", func(w *world) string {
				return "https://evil.example/oauth/reauthenticate?vehicle_id=" + w.simCar + "&flow=smartcar-hint"
			}, false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				w := newWorld(t, db)
				if _, _, err := w.machine.Transition(w.ctx, nil, w.car.ID, store.StateChange{To: model.StateNeedsReauth, Reason: "invalid_grant",
					ResolutionURL: tc.resolution(w), Source: model.SourceWebhook}); err != nil {
					t.Fatal(err)
				}
				target, state := w.begin("")
				u, _ := url.Parse(target)
				connect, _ := url.Parse(w.client.ReauthURL(smartcar.ReauthParams{VehicleID: w.simCar}))
				if u.Host != connect.Host || u.Query().Get("vehicle_id") != w.simCar || u.Query().Get("redirect_uri") != redirect || u.Query().Get("state") != state {
					t.Fatalf("Begin sent the owner to %s", target)
				}
				if (u.Query().Get("flow") == "smartcar-hint") != tc.wantExtra {
					t.Fatalf("Smartcar's parameter kept=%v in %s", !tc.wantExtra, target)
				}
			})
		}
	})
}

func TestDecline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		for _, reason := range []string{repair.DeclineSold, repair.DeclineNotMine, repair.DeclineStoppedUsing} {
			t.Run("declining because "+reason+" moves the car to declined", func(t *testing.T) {
				w := newWorld(t, db)
				v, err := w.repair.Decline(w.ctx, w.owner.ID, w.car.ID, reason)
				if err != nil || v.State != model.StateDeclined {
					t.Fatalf("decline: %+v %v", v, err)
				}
				w.expectState(model.StateDeclined, "declined:"+reason)
				if e, d := w.latest(model.EventDeclined); e.Source != model.SourceOwner || d["reason"] != reason {
					t.Fatalf("declined event %+v %v", e, d)
				}
				if sc, _ := w.latest(model.EventStateChanged); sc.Source != model.SourceOwner || sc.ToState != model.StateDeclined {
					t.Fatalf("state change %+v", sc)
				}
			})
		}
		t.Run("remind me later snoozes for three days and leaves the state", func(t *testing.T) {
			w := newWorld(t, db)
			v, err := w.repair.Decline(w.ctx, w.owner.ID, w.car.ID, repair.DeclineRemindLater)
			want := w.clock.Now().Add(3 * 24 * time.Hour)
			if err != nil || v.SnoozedUntil == nil || !v.SnoozedUntil.Equal(want) {
				t.Fatalf("snooze: %+v %v", v.SnoozedUntil, err)
			}
			stored := w.vehicle()
			if stored.State != model.StateNeedsReauth || stored.SnoozedUntil == nil || !stored.SnoozedUntil.Equal(want) {
				t.Fatalf("stored %s until %v", stored.State, stored.SnoozedUntil)
			}
			if e, _ := w.latest(model.EventSnoozed); e.Source != model.SourceOwner {
				t.Fatalf("snoozed event %+v", e)
			}
			if w.count(model.EventDeclined) != 0 {
				t.Fatal("a snooze was recorded as a decline")
			}
		})
		refused := []struct {
			name   string
			owner  func(w *world) int64
			reason string
			want   error
		}{
			{"an empty reason is refused", func(w *world) int64 { return w.owner.ID }, "", repair.ErrBadReason},
			{"a reason in the wrong case is refused", func(w *world) int64 { return w.owner.ID }, "SOLD", repair.ErrBadReason},
			{"an invented reason is refused", func(w *world) int64 { return w.owner.ID }, "declined:sold", repair.ErrBadReason},
			{"another owner cannot decline the car", func(w *world) int64 { return w.owner.ID + 1000 }, repair.DeclineSold, repair.ErrNotYours},
		}
		for _, tc := range refused {
			t.Run(tc.name, func(t *testing.T) {
				w := newWorld(t, db)
				before := len(w.events())
				if _, err := w.repair.Decline(w.ctx, tc.owner(w), w.car.ID, tc.reason); !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				w.expectState(model.StateNeedsReauth, reasonCSA)
				if len(w.events()) != before || w.vehicle().SnoozedUntil != nil {
					t.Fatal("a refused decline changed something")
				}
			})
		}
	})
}
