package smartcar_test

// Conformance: our client against the simulator, in-process. The simulator
// was written independently from the protocol notes, so a client bug and a
// simulator bug would have to agree to go unnoticed.

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"reconnect/internal/model"
	"reconnect/internal/smartcar"
	"reconnect/internal/smartcarsim"
)

const (
	cfClientID = "0d6b4a8e-2f1c-4b7a-9e3d-5c8f1a2b3c4d"
	cfSecret   = "conformance secret/with=odd&chars"
	cfAPIID    = "client_conformance"
	cfAPISec   = "api-secret"
	cfAMT      = "amt-conformance-token"
	cfRedirect = "https://app.example.com/connect/callback"
)

type world struct {
	t      *testing.T
	sim    *smartcarsim.Sim
	clock  *smartcarsim.FakeClock
	base   string
	client *smartcar.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	clock := smartcarsim.NewFakeClock(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
	base := "http://" + srv.Listener.Addr().String()
	sim := smartcarsim.New(smartcarsim.Config{
		ClientID: cfClientID, ClientSecret: cfSecret, APIClientID: cfAPIID, APIClientSecret: cfAPISec,
		ManagementToken: cfAMT, RedirectURIs: []string{cfRedirect}, DefaultScopes: []string{"read_vehicle_info", "read_odometer"},
		WebhookRetryDelays: []time.Duration{0, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond},
		Clock:              clock, PublicURL: base,
	})
	srv.Config.Handler = sim.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	c, err := smartcar.New(smartcar.Config{
		ConnectURL: base, AuthURL: base, IAMURL: base, APIURL: base, VehicleAPIURL: base, ManagementURL: base,
		ClientID: cfClientID, ClientSecret: cfSecret, APIClientID: cfAPIID, APIClientSecret: cfAPISec,
		ManagementToken: cfAMT, RedirectURI: cfRedirect, Now: clock.Now,
	}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, sim: sim, clock: clock, base: base, client: c}
}

var (
	formRe   = regexp.MustCompile(`(?s)<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>`)
	inputRe  = regexp.MustCompile(`<input([^>]*)>`)
	attrRe   = regexp.MustCompile(`(\w[\w-]*)(?:="([^"]*)")?`)
	statusRe = regexp.MustCompile(`data-testid="sim-error-message">([^<]*)<`)
)

// connect drives the simulator's Connect pages the way a browser would:
// it submits each page's form with the given button until Connect
// redirects to our callback, and returns the callback's query.
func (w *world) connect(start string, email string) url.Values {
	w.t.Helper()
	jar, _ := cookiejar.New(nil)
	var callback *url.URL
	hc := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), cfRedirect) {
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
		page := string(body)
		if m := statusRe.FindStringSubmatch(page); m != nil {
			w.t.Fatalf("Connect showed an error page: %s", html.UnescapeString(m[1]))
		}
		fm := formRe.FindStringSubmatch(page)
		if fm == nil {
			w.t.Fatalf("no form on the Connect page:\n%s", page)
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
				if checked && attrs["name"] != "" {
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
			if form.Get("vehicle") == "" {
				if m := regexp.MustCompile(`name="vehicle" value="([^"]+)"`).FindStringSubmatch(fm[2]); m != nil {
					form.Set("vehicle", m[1])
				}
			}
		case strings.Contains(fm[2], `value="approve"`):
			form.Set("action", "approve")
		}
		action, _ := url.Parse(html.UnescapeString(fm[1]))
		target := res.Request.URL.ResolveReference(action)
		res, err = hc.PostForm(target.String(), form)
		if err != nil {
			w.t.Fatal(err)
		}
	}
	if callback == nil {
		w.t.Fatal("Connect never redirected to the callback")
	}
	res.Body.Close()
	return callback.Query()
}

// The full Connect round trip: our authorize URL is accepted, the callback
// carries code, user_id and our state byte for byte, the code exchanges with
// Basic auth for a pair with a 60-day refresh expiry, and the v2 API answers.
func TestConformanceConnectExchangeAndAPI(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	u, err := w.sim.CreateUser(smartcarsim.UserSpec{Email: "owner@example.com", ExternalID: "host-1", Vehicles: []smartcarsim.VehicleSpec{
		{Make: "TESLA", Model: "Model 3", Year: 2021, VIN: "5YJ3E1EA7MF000001"}, {Make: "TESLA", Model: "Model Y", Year: 2022, VIN: "7SAYGDEE6NF000002"}}})
	if err != nil {
		t.Fatal(err)
	}
	state := "st/ate with+odd&chars"
	start := w.client.AuthorizeURL(smartcar.AuthorizeParams{Scopes: []string{"read_vehicle_info", "read_odometer"}, RequiredScopes: []string{"read_vehicle_info"},
		State: state, Make: "TESLA", ExternalID: "host-1", ForcePrompt: true})
	cb := smartcar.ParseCallback(w.connect(start, "owner@example.com"))
	if cb.IsError() || cb.Code == "" || cb.UserID != u.UserID || cb.State != state || cb.ExternalID != "host-1" || !cb.IsFullConnect() {
		t.Fatalf("callback %+v", cb)
	}
	tok, err := w.client.ExchangeCode(ctx, cb.Code)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if tok.RefreshExpiry.Sub(w.clock.Now()) != smartcar.RefreshLifetime || tok.Expiry.Sub(w.clock.Now()) != 2*time.Hour {
		t.Fatalf("token lifetimes: %+v", tok)
	}
	if _, err := w.client.ExchangeCode(ctx, cb.Code); err == nil {
		t.Fatal("a code exchanged twice")
	} else {
		var se *smartcar.Error
		if !errors.As(err, &se) || se.Type != "invalid_grant" {
			t.Fatalf("reused code: %v", err)
		}
	}
	uid, err := w.client.User(ctx, tok.AccessToken)
	if err != nil || uid != u.UserID {
		t.Fatalf("user: %q %v", uid, err)
	}
	ids, err := w.client.AllVehicles(ctx, tok.AccessToken)
	if err != nil || len(ids) == 0 {
		t.Fatalf("vehicles: %v %v", ids, err)
	}
	attrs, err := w.client.VehicleAttributes(ctx, tok.AccessToken, ids[0])
	if err != nil || attrs.Make != "TESLA" || attrs.RequestID == "" {
		t.Fatalf("attributes: %+v %v", attrs, err)
	}
	perms, err := w.client.Permissions(ctx, tok.AccessToken, ids[0], 10, 0)
	if err != nil || len(perms.Permissions) == 0 {
		t.Fatalf("permissions: %+v %v", perms, err)
	}

	// Refresh returns a new pair; the old refresh token dies after the grace.
	next, err := w.client.Refresh(ctx, tok.RefreshToken)
	if err != nil || next.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh: %+v %v", next, err)
	}
	w.clock.Advance(2 * time.Minute)
	if _, err := w.client.Refresh(ctx, tok.RefreshToken); err == nil {
		t.Fatal("the old refresh token still works after the grace period")
	} else if cl := smartcar.Classify(asError(t, err)); cl.State != model.StateNeedsReauth {
		t.Fatalf("a dead refresh token classifies as %+v", cl)
	}

	// v3: application token + sc-user-id.
	v3, err := w.client.VehicleV3(ctx, u.UserID, ids[0])
	if err != nil || v3.Make != "TESLA" {
		t.Fatalf("v3 vehicle: %+v %v", v3, err)
	}
	page, err := w.client.Connections(ctx, smartcar.ConnectionsFilter{UserID: u.UserID, PageSize: 1})
	if err != nil || page.Meta.TotalCount != len(ids) || len(page.Connections) != 1 || (len(ids) > 1 && page.Next == "") {
		t.Fatalf("v3 connections: %+v %v", page, err)
	}
	mg, err := w.client.ManagementConnections(ctx, smartcar.ManagementFilter{UserID: u.UserID})
	if err != nil || len(mg.Connections) != len(ids) {
		t.Fatalf("management connections: %+v %v", mg, err)
	}
}

func asError(t *testing.T, err error) *smartcar.Error {
	t.Helper()
	var se *smartcar.Error
	if !errors.As(err, &se) {
		t.Fatalf("not a Smartcar error: %v", err)
	}
	return se
}

// Every failure state the simulator can produce decodes into our error type
// and classifies as the product rules say.
func TestConformanceFailureStatesClassify(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	u, _ := w.sim.CreateUser(smartcarsim.UserSpec{Email: "f@example.com", Connected: true, Vehicles: []smartcarsim.VehicleSpec{{Make: "TESLA", Model: "Model 3", Year: 2021}}})
	tok, err := w.sim.IssueTokens(u.UserID)
	if err != nil {
		t.Fatal(err)
	}
	vid := u.Vehicles[0].ID
	cases := []struct {
		typ, code string
		status    int
		kind      smartcar.Kind
		state     model.State
	}{
		{"CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", 400, smartcar.KindPrompt, model.StateNeedsReauth},
		{"CONNECTED_SERVICES_ACCOUNT", "PERMISSION", 400, smartcar.KindPrompt, model.StateNeedsReauth},
		{"CONNECTED_SERVICES_ACCOUNT", "SUBSCRIPTION", 400, smartcar.KindPrompt, model.StateNeedsOEMAction},
		{"CONNECTED_SERVICES_ACCOUNT", "ACCOUNT_ISSUE", 400, smartcar.KindPrompt, model.StateNeedsOEMAction},
		{"CONNECTED_SERVICES_ACCOUNT", "VEHICLE_MISSING", 400, smartcar.KindPrompt, model.StateNeedsOEMAction},
		{"CONNECTED_SERVICES_ACCOUNT", "NO_VEHICLES", 400, smartcar.KindPrompt, model.StateNeedsOEMAction},
		{"CONNECTED_SERVICES_ACCOUNT", "VIRTUAL_KEY_REQUIRED", 400, smartcar.KindPrompt, model.StateNeedsVirtualKey},
		{"PERMISSION", "", 403, smartcar.KindIgnore, ""},
		{"VEHICLE_STATE", "ASLEEP", 409, smartcar.KindIgnore, ""},
		{"VEHICLE_STATE", "UNREACHABLE", 409, smartcar.KindIgnore, ""},
		{"RATE_LIMIT", "VEHICLE", 429, smartcar.KindIgnore, ""},
		{"UPSTREAM", "UNKNOWN_ISSUE", 502, smartcar.KindIgnore, ""},
		{"SERVER", "INTERNAL", 500, smartcar.KindIgnore, ""},
		{"BILLING", "VEHICLE_LIMIT", 430, smartcar.KindIgnore, ""},
	}
	for _, tc := range cases {
		t.Run(tc.typ+":"+tc.code, func(t *testing.T) {
			if err := w.sim.SetFailure(vid, tc.typ, tc.code); err != nil {
				t.Fatal(err)
			}
			defer w.sim.ClearFailure(vid)
			_, err := w.client.VehicleAttributes(ctx, tok.AccessToken, vid)
			se := asError(t, err)
			if se.HTTPStatus != tc.status || se.Type != tc.typ || se.RequestID == "" {
				t.Fatalf("decoded %+v", se)
			}
			cl := smartcar.Classify(se)
			if cl.Kind != tc.kind || cl.State != tc.state {
				t.Fatalf("classified %+v, want kind %v state %q", cl, tc.kind, tc.state)
			}
			if tc.code == "AUTHENTICATION_FAILED" {
				// The partial re-auth URL completes only against the
				// configured Connect origin.
				full, err := w.client.CompleteResolutionURL(se.Resolution.URL, "state-1", "host-1")
				if err != nil {
					t.Fatalf("complete %q: %v", se.Resolution.URL, err)
				}
				q := mustQuery(t, full)
				if q.Get("vehicle_id") != vid || q.Get("redirect_uri") != cfRedirect || q.Get("state") != "state-1" {
					t.Fatalf("completed URL %s", full)
				}
			}
			if tc.typ == "RATE_LIMIT" && se.RetryAfter <= 0 {
				t.Fatal("no Retry-After kept")
			}
		})
	}
	// Legacy resolution shapes still decode.
	for _, shape := range []string{"string", "null"} {
		sw := w.sim.Switches()
		sw.LegacyResolution = shape
		if err := w.sim.SetSwitches(sw); err != nil {
			t.Fatal(err)
		}
		w.sim.SetFailure(vid, "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED")
		_, err := w.client.VehicleAttributes(ctx, tok.AccessToken, vid)
		if cl := smartcar.Classify(asError(t, err)); cl.State != model.StateNeedsReauth {
			t.Fatalf("resolution as %s: %+v", shape, cl)
		}
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// Re-authentication: our re-auth URL is accepted; success carries the
// vehicle id and our state and no code, and the old tokens keep working.
func TestConformanceReauthenticate(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	u, _ := w.sim.CreateUser(smartcarsim.UserSpec{Email: "r@example.com", Connected: true, Vehicles: []smartcarsim.VehicleSpec{{Make: "FORD", Model: "F-150", Year: 2023}}})
	tok, _ := w.sim.IssueTokens(u.UserID)
	vid := u.Vehicles[0].ID
	w.sim.SetFailure(vid, "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED")
	start := w.client.ReauthURL(smartcar.ReauthParams{VehicleID: vid, ResponseType: smartcar.ReauthVehicleID, State: "s-1", ExternalID: "host-9"})
	cb := smartcar.ParseCallback(w.connect(start, "r@example.com"))
	if !cb.IsReauth() || cb.VehicleID != vid || cb.State != "s-1" || cb.Code != "" {
		t.Fatalf("re-auth callback %+v", cb)
	}
	if _, err := w.client.VehicleAttributes(ctx, tok.AccessToken, vid); err != nil {
		t.Fatalf("after re-auth the old token must work: %v", err)
	}
}

// Webhooks: the simulator's VERIFY is answered with our ChallengeResponse,
// and every delivery it signs verifies with VerifySignature over the raw
// bytes; the same body re-serialised with spaces does not.
func TestConformanceWebhooks(t *testing.T) {
	w := newWorld(t)
	var mu sync.Mutex
	var events []*smartcar.WebhookEvent
	var bad int
	recv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ev, err := smartcar.ParseWebhook(body)
		if err != nil {
			http.Error(rw, err.Error(), 400)
			return
		}
		if ev.Type == smartcar.EventVerify {
			json.NewEncoder(rw).Encode(map[string]string{"challenge": smartcar.ChallengeResponse(cfAMT, ev.Challenge)})
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !smartcar.VerifySignature(body, r.Header.Get("SC-Signature"), "old-token", cfAMT) {
			bad++
			http.Error(rw, "bad signature", http.StatusUnauthorized)
			return
		}
		var v any
		json.Unmarshal(body, &v)
		spaced, _ := json.MarshalIndent(v, "", " ")
		if smartcar.VerifySignature(spaced, r.Header.Get("SC-Signature"), cfAMT) {
			bad++
		}
		events = append(events, ev)
	}))
	defer recv.Close()
	if _, err := w.sim.SetWebhook(recv.URL, cfAMT, "4.0"); err != nil {
		t.Fatal(err)
	}
	if err := w.sim.VerifyWebhook(context.Background()); err != nil {
		t.Fatalf("the simulator did not accept our VERIFY answer: %v", err)
	}
	u, _ := w.sim.CreateUser(smartcarsim.UserSpec{Email: "wh@example.com", Connected: true, Vehicles: []smartcarsim.VehicleSpec{{Make: "TESLA"}, {Make: "TESLA"}}})
	if n, err := w.sim.Migrate("TESLA"); err != nil || n != 2 {
		t.Fatalf("migrate: %d %v", n, err)
	}
	w.sim.ClearFailure(u.Vehicles[0].ID)
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(events)
		mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if bad != 0 {
		t.Fatalf("%d deliveries failed signature checks", bad)
	}
	var errorsSeen, resolved int
	for _, ev := range events {
		if ev.Type != smartcar.EventVehicleError || ev.EventID == "" || ev.UserID != u.UserID {
			t.Fatalf("unexpected event %+v", ev)
		}
		for _, e := range ev.Errors {
			switch e.State {
			case smartcar.ErrorStateError:
				errorsSeen++
				if cl := smartcar.Classify(e.AsError()); cl.State != model.StateNeedsReauth {
					t.Fatalf("migration error classifies as %+v", cl)
				}
			case smartcar.ErrorStateResolved:
				resolved++
			}
		}
	}
	if errorsSeen != 2 || resolved != 1 {
		t.Fatalf("saw %d errors and %d resolutions, want 2 and 1", errorsSeen, resolved)
	}
}
