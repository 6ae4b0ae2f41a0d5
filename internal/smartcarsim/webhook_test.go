package smartcarsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSignatureVectors(t *testing.T) {
	if got := hmacHex("amt", []byte("challenge")); got != "9baf5a7464bd86740ad5a06e439dcf535a075022ed2c92d74efacf646d79328e" {
		t.Fatalf("test HMAC %s", got)
	}
	if got := Sign("amt", []byte("challenge")); got != "9baf5a7464bd86740ad5a06e439dcf535a075022ed2c92d74efacf646d79328e" {
		t.Fatalf("Sign %s", got)
	}
	if got := Sign("amt", []byte(`{"pizza":"pasta"}`)); got != "4c05a8da471f05156ad717baa4017acd13a3a809850b9ca7d3301dcaaa854f70" {
		t.Fatalf("Sign body %s", got)
	}
}

func TestBehaviour16_WebhookVerify(t *testing.T) {
	t.Run("a correct answer verifies; nothing is sent before", func(t *testing.T) {
		h := newHarness(t)
		rc := newReceiver(t, testAMT)
		u, _ := h.seed("v@example.com", "TESLA")
		if _, err := h.sim.SetWebhook(rc.srv.URL, testAMT, "4.0"); err != nil {
			t.Fatal(err)
		}
		h.sim.SetFailure(u.Vehicles[0].ID, "CSA", "AUTHENTICATION_FAILED")
		r := h.control("POST", "/_control/webhook/verify", nil)
		if r.status != http.StatusOK || r.json["verified"] != true {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		v := rc.verifies[0]
		if v["eventType"] != "VERIFY" || dig(v, "meta", "version") != "4.0" || dig(v, "meta", "webhookId") != "wh-1" ||
			dig(v, "meta", "deliveryId") == nil || dig(v, "meta", "webhookName") == nil || v["vehicleId"] != nil {
			t.Fatalf("VERIFY payload %v", v)
		}
		if _, err := time.Parse(time.RFC3339, dig(v, "meta", "deliveredAt").(string)); err != nil {
			t.Fatalf("VERIFY deliveredAt: %v", err)
		}
		time.Sleep(30 * time.Millisecond)
		if n := len(rc.got()); n != 0 {
			t.Fatalf("an event from before VERIFY was delivered late (%d)", n)
		}
		found := false
		for _, d := range h.sim.Deliveries() {
			found = found || strings.Contains(d.Error, "not verified")
		}
		if !found {
			t.Fatal("the dropped event is not in the deliveries log")
		}
		h.sim.ClearFailure(u.Vehicles[0].ID)
		waitFor(t, "RESOLVED", func() bool { return len(rc.got()) == 1 })
	})

	t.Run("a wrong hash fails with 424", func(t *testing.T) {
		h := newHarness(t)
		rc := newReceiver(t, testAMT)
		rc.wrongHash = true
		h.sim.SetWebhook(rc.srv.URL, testAMT, "4.0")
		err := h.sim.VerifyWebhook(t.Context())
		var verr *VerifyError
		if !errors.As(err, &verr) || err.Error() != "424 verification request responded with an invalid hash" {
			t.Fatalf("err %v", err)
		}
		r := h.control("POST", "/_control/webhook/verify", nil)
		if r.status != http.StatusFailedDependency || r.json["error"] != "verification request responded with an invalid hash" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		u, _ := h.seed("w@example.com", "TESLA")
		h.sim.SetFailure(u.Vehicles[0].ID, "CSA", "AUTHENTICATION_FAILED")
		time.Sleep(30 * time.Millisecond)
		if len(rc.got()) != 0 {
			t.Fatal("an unverified webhook received an event")
		}
	})

	t.Run("a non-200 answer fails", func(t *testing.T) {
		h := newHarness(t)
		srv := newReceiver(t, testAMT)
		h.sim.SetWebhook(srv.srv.URL+"/missing", testAMT, "4.0")
		srv.srv.Config.Handler = http.NotFoundHandler()
		if err := h.sim.VerifyWebhook(t.Context()); err == nil || !strings.HasPrefix(err.Error(), "424 ") {
			t.Fatalf("err %v", err)
		}
	})

	t.Run("format 2.0 uses the legacy VERIFY", func(t *testing.T) {
		h := newHarness(t)
		rc := newReceiver(t, testAMT)
		if _, err := h.sim.SetWebhook(rc.srv.URL, testAMT, "2.0"); err != nil {
			t.Fatal(err)
		}
		if err := h.sim.VerifyWebhook(t.Context()); err != nil {
			t.Fatal(err)
		}
		v := rc.verifies[0]
		if v["version"] != "2.0" || v["eventName"] != "verify" || v["webhookId"] != "wh-1" {
			t.Fatalf("2.0 VERIFY %v", v)
		}
	})

	t.Run("changing the URL needs a new VERIFY", func(t *testing.T) {
		h := newHarness(t)
		rc := newReceiver(t, testAMT)
		h.webhook(rc)
		info, _ := h.sim.SetWebhook(rc.srv.URL+"/v2", testAMT, "4.0")
		if info.Verified {
			t.Fatal("still verified after a URL change")
		}
	})
}

func TestBehaviour17_SignedCompactBodies(t *testing.T) {
	h := newHarness(t)
	rc := newReceiver(t, testAMT)
	h.webhook(rc)
	u, err := h.sim.CreateUser(UserSpec{Email: "sig@example.com", ExternalID: `<b>&"Ünïcødé"</b>`, Connected: true,
		Vehicles: []VehicleSpec{{Make: "TESLA"}}})
	if err != nil {
		t.Fatal(err)
	}
	vid := u.Vehicles[0].ID
	h.sim.SetFailure(vid, "CSA", "AUTHENTICATION_FAILED")
	waitFor(t, "event", func() bool { return len(rc.got()) == 1 })
	e := rc.got()[0]
	if !e.signedOK {
		t.Fatalf("SC-Signature %q does not match the raw body", e.header.Get("SC-Signature"))
	}
	if e.header.Get("Content-Type") != "application/json" || !strings.HasPrefix(e.header.Get("User-Agent"), "Smartcar/") {
		t.Fatalf("headers %v", e.header)
	}
	var compact bytes.Buffer
	json.Compact(&compact, e.raw)
	if !bytes.Equal(compact.Bytes(), e.raw) {
		t.Fatal("body is not compact JSON")
	}
	if bytes.Contains(e.raw, []byte(`\u003c`)) || bytes.Contains(e.raw, []byte(`\u0026`)) || !bytes.Contains(e.raw, []byte(`<b>&\"Ünïcødé\"</b>`)) {
		t.Fatalf("HTML or Unicode was escaped: %s", e.raw)
	}
	if bytes.HasSuffix(e.raw, []byte("\n")) {
		t.Fatal("trailing newline")
	}

	t.Run("pretty mode still signs the exact bytes and trips re-serialising receivers", func(t *testing.T) {
		h.switches(func(s *Switches) { s.Pretty = true })
		h.sim.ClearFailure(vid)
		waitFor(t, "event", func() bool { return len(rc.got()) == 2 })
		p := rc.got()[1]
		if !bytes.Contains(p.raw, []byte("\n  ")) || !p.signedOK {
			t.Fatalf("pretty body or signature wrong: %s", p.raw)
		}
		var re bytes.Buffer
		json.Compact(&re, p.raw)
		if hmacHex(testAMT, re.Bytes()) == p.header.Get("SC-Signature") {
			t.Fatal("a re-serialised body should not verify")
		}
	})
}

func TestBehaviour18_VehicleErrorAndStateEvents(t *testing.T) {
	h := newHarness(t)
	rc := newReceiver(t, testAMT)
	h.webhook(rc)
	u, err := h.sim.CreateUser(UserSpec{Email: "ev@example.com", ExternalID: "crm-9", Connected: true,
		Vehicles: []VehicleSpec{{Make: "TESLA", Model: "Model 3", Year: 2021}}})
	if err != nil {
		t.Fatal(err)
	}
	v := u.Vehicles[0]

	h.sim.SetFailure(v.ID, "CSA", "AUTHENTICATION_FAILED")
	waitFor(t, "ERROR", func() bool { return len(rc.got()) == 1 })
	e := rc.got()[0].body
	checks := map[string][2]any{
		"eventType":    {e["eventType"], "VEHICLE_ERROR"},
		"vehicleId":    {e["vehicleId"], v.ID},
		"user.id":      {dig(e, "data", "user", "id"), u.UserID},
		"externalId":   {dig(e, "data", "user", "externalId"), "crm-9"},
		"vehicle.make": {dig(e, "data", "vehicle", "make"), "TESLA"},
		"model":        {dig(e, "data", "vehicle", "model"), "Model 3"},
		"year":         {dig(e, "data", "vehicle", "year"), float64(2021)},
		"type":         {dig(e, "data", "errors", 0, "type"), "CONNECTED_SERVICES_ACCOUNT"},
		"state":        {dig(e, "data", "errors", 0, "state"), "ERROR"},
		"resolution":   {dig(e, "data", "errors", 0, "resolution", "type"), "REAUTHENTICATE"},
		"mode":         {dig(e, "meta", "mode"), "LIVE"},
		"version":      {dig(e, "meta", "version"), "4.0"},
		"webhookId":    {dig(e, "meta", "webhookId"), "wh-1"},
		"deliveredAt":  {dig(e, "meta", "deliveredAt"), float64(testEpoch.UnixMilli())},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %v, want %v", name, c[0], c[1])
		}
	}
	if url, _ := dig(e, "data", "errors", 0, "resolution", "url").(string); !strings.Contains(url, "/oauth/reauthenticate?response_type=vehicle_id&client_id="+testClientID+"&vehicle_id="+v.ID) {
		t.Errorf("resolution url %q", url)
	}

	t.Run("RESOLVED after re-authentication", func(t *testing.T) {
		c := h.browser()
		p := h.open(c, h.base+"/oauth/reauthenticate?response_type=vehicle_id&client_id="+testClientID+"&vehicle_id="+v.ID+"&redirect_uri="+testRedirect)
		h.walk(c, p, "ev@example.com").callback(t)
		waitFor(t, "RESOLVED", func() bool { return len(rc.got()) == 2 })
		r := rc.got()[1].body
		if dig(r, "data", "errors", 0, "state") != "RESOLVED" || dig(r, "data", "errors", 0, "code") != "AUTHENTICATION_FAILED" {
			t.Fatalf("%v", r)
		}
	})

	t.Run("FIRST_DELIVERY after a subscribe", func(t *testing.T) {
		tok, _ := h.sim.IssueTokens(u.UserID)
		h.switches(func(s *Switches) { s.ISOTimestamps = true })
		h.do("POST", "/v2.0/vehicles/"+v.ID+"/webhooks/wh-1", nil, withBearer(tok.AccessToken))
		waitFor(t, "VEHICLE_STATE", func() bool { return len(rc.ofType("VEHICLE_STATE")) == 1 })
		s := rc.ofType("VEHICLE_STATE")[0].body
		if dig(s, "data", "triggers", 0, "code") != "FIRST_DELIVERY" || dig(s, "data", "user", "id") != u.UserID ||
			dig(s, "data", "signals", 0, "code") != "odometer-traveleddistance" || dig(s, "meta", "signalCount") != float64(1) {
			t.Fatalf("%v", s)
		}
		if dig(s, "meta", "deliveredAt") != "2026-10-01T09:00:00.000Z" {
			t.Fatalf("ISO deliveredAt %v", dig(s, "meta", "deliveredAt"))
		}
	})

	t.Run("unsubscribed vehicles get nothing", func(t *testing.T) {
		h.do("DELETE", "/v2.0/vehicles/"+v.ID+"/webhooks/wh-1", nil, withBearer(testAMT))
		before := len(rc.got())
		h.sim.SetFailure(v.ID, "VEHICLE_STATE", "ASLEEP")
		time.Sleep(30 * time.Millisecond)
		if len(rc.got()) != before {
			t.Fatal("event sent to an unsubscribed vehicle")
		}
	})

	t.Run("API-only failures send no webhook", func(t *testing.T) {
		w, _ := h.seed("api-only@example.com", "FORD")
		before := len(rc.got())
		h.sim.SetFailure(w.Vehicles[0].ID, "SERVER", "")
		h.sim.SetFailure(w.Vehicles[0].ID, "RATE_LIMIT", "VEHICLE")
		time.Sleep(30 * time.Millisecond)
		if len(rc.got()) != before {
			t.Fatal("SERVER or RATE_LIMIT produced a webhook")
		}
	})
}

func TestBehaviour19_RetryPolicy(t *testing.T) {
	t.Run("failures are retried with the same eventId and new deliveryIds", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.Clock = NewOffsetClock() })
		rc := newReceiver(t, testAMT)
		rc.answer = func(n int, _ *http.Request) int {
			return []int{http.StatusInternalServerError, http.StatusFound, http.StatusOK}[min(n-1, 2)]
		}
		h.webhook(rc)
		u, _ := h.seed("retry@example.com", "TESLA")
		h.sim.SetFailure(u.Vehicles[0].ID, "CSA", "PERMISSION")
		waitFor(t, "three attempts", func() bool { return len(rc.got()) == 3 })
		time.Sleep(40 * time.Millisecond)
		got := rc.got()
		if len(got) != 3 {
			t.Fatalf("%d attempts after a success", len(got))
		}
		ids, deliveries, times := map[any]bool{}, map[any]bool{}, map[any]bool{}
		for _, e := range got {
			ids[e.body["eventId"]] = true
			deliveries[dig(e.body, "meta", "deliveryId")] = true
			times[dig(e.body, "meta", "deliveredAt")] = true
			if !e.signedOK {
				t.Error("retry not signed")
			}
		}
		if len(ids) != 1 || len(deliveries) != 3 || len(times) != 3 {
			t.Fatalf("eventIds %d, deliveryIds %d, deliveredAts %d", len(ids), len(deliveries), len(times))
		}
		if gap := got[2].arrivedAt.Sub(got[1].arrivedAt); gap < 10*time.Millisecond {
			t.Errorf("third attempt came %v after the second, want the 10ms delay", gap)
		}
		log := h.sim.Deliveries()
		var attempts []int
		for _, d := range log {
			if d.EventType == "VEHICLE_ERROR" {
				attempts = append(attempts, d.Attempt)
			}
		}
		if !slices.Equal(attempts, []int{1, 2, 3}) || log[len(log)-1].Status != 200 || log[1].Error == "" && log[1].Status == 0 {
			t.Fatalf("log %+v", log)
		}
	})

	t.Run("four attempts then the event is dropped; timeouts count", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.WebhookTimeout = 50 * time.Millisecond })
		rc := newReceiver(t, testAMT)
		h.webhook(rc)
		rc.mu.Lock()
		rc.hold = 80 * time.Millisecond
		rc.mu.Unlock()
		u, _ := h.seed("drop@example.com", "TESLA")
		h.sim.SetFailure(u.Vehicles[0].ID, "CSA", "AUTHENTICATION_FAILED")
		waitFor(t, "four attempts", func() bool { return len(rc.got()) == 4 })
		time.Sleep(150 * time.Millisecond)
		if n := len(rc.got()); n != 4 {
			t.Fatalf("%d attempts", n)
		}
		for _, d := range h.sim.Deliveries() {
			if d.EventType == "VEHICLE_ERROR" && d.Error == "" {
				t.Fatalf("a timed-out attempt was logged as success: %+v", d)
			}
		}
	})

	t.Run("duplicates", func(t *testing.T) {
		h := newHarness(t)
		rc := newReceiver(t, testAMT)
		h.webhook(rc)
		h.switches(func(s *Switches) { s.Duplicates = true })
		u, _ := h.seed("dup@example.com", "TESLA")
		h.sim.SetFailure(u.Vehicles[0].ID, "CSA", "AUTHENTICATION_FAILED")
		waitFor(t, "two copies", func() bool { return len(rc.got()) == 2 })
		a, b := rc.got()[0].body, rc.got()[1].body
		if a["eventId"] != b["eventId"] || dig(a, "meta", "deliveryId") == dig(b, "meta", "deliveryId") {
			t.Fatal("duplicates should share eventId and differ in deliveryId")
		}
	})

	t.Run("reorder and concurrency", func(t *testing.T) {
		h := newHarness(t)
		rc := newReceiver(t, testAMT)
		h.webhook(rc)
		for i := range 30 {
			h.seed("order"+itoaTest(i)+"@example.com", "VOLVO")
		}
		order := func() []string {
			var out []string
			for _, e := range rc.ofType("VEHICLE_ERROR") {
				out = append(out, dig(e.body, "data", "vehicle", "id").(string))
			}
			return out
		}
		h.switches(func(s *Switches) { s.Concurrency = 1 })
		h.sim.Migrate("VOLVO")
		waitFor(t, "30 events", func() bool { return len(rc.ofType("VEHICLE_ERROR")) == 30 })
		var vins []string
		byVIN := map[string]string{}
		for _, v := range h.sim.Vehicles() {
			vins = append(vins, v.VIN)
			byVIN[v.VIN] = v.ID
		}
		slices.Sort(vins)
		var natural []string
		for _, vin := range vins {
			natural = append(natural, byVIN[vin])
		}
		if !slices.Equal(order(), natural) || rc.maxInFlight != 1 {
			t.Fatalf("with concurrency 1 and no reorder, delivery should follow the batch (max in flight %d)", rc.maxInFlight)
		}

		for _, v := range h.sim.Vehicles() {
			h.sim.ClearFailure(v.ID)
		}
		waitFor(t, "RESOLVED", func() bool { return len(rc.ofType("VEHICLE_ERROR")) == 60 })
		rc.mu.Lock()
		rc.events, rc.maxInFlight, rc.hold = nil, 0, 20*time.Millisecond
		rc.mu.Unlock()
		h.switches(func(s *Switches) { s.Reorder = true; s.Concurrency = 4 })
		h.sim.Migrate("VOLVO")
		waitFor(t, "30 events", func() bool { return len(rc.ofType("VEHICLE_ERROR")) == 30 })
		if slices.Equal(order(), natural) {
			t.Fatal("reorder left the batch in order")
		}
		if rc.maxInFlight < 2 || rc.maxInFlight > 4 {
			t.Fatalf("max in flight %d, want 2..4", rc.maxInFlight)
		}
	})
}

func TestBehaviour20_PermissionNoise(t *testing.T) {
	h := newHarness(t)
	rc := newReceiver(t, testAMT)
	h.webhook(rc)
	u, tok := h.seed("noise@example.com", "TESLA")
	v := u.Vehicles[0]
	h.switches(func(s *Switches) { s.Noise = true })
	h.do("POST", "/v2.0/vehicles/"+v.ID+"/webhooks/wh-1", nil, withBearer(tok.AccessToken))
	waitFor(t, "state and noise", func() bool { return len(rc.got()) == 2 })
	noise := rc.ofType("VEHICLE_ERROR")
	if len(noise) != 1 {
		t.Fatalf("%d VEHICLE_ERRORs", len(noise))
	}
	e := noise[0].body
	if dig(e, "data", "errors", 0, "type") != "PERMISSION" || dig(e, "data", "errors", 0, "resolution", "type") != "REAUTHENTICATE" ||
		dig(e, "data", "errors", 0, "signals", 0, "code") != "closure-isdoorlocked" || len(dig(e, "data", "errors", 0, "signals").([]any)) != 1 {
		t.Fatalf("noise event %s", noise[0].raw)
	}
	if r := h.do("GET", "/v2.0/vehicles/"+v.ID, nil, withBearer(tok.AccessToken)); r.status != http.StatusOK {
		t.Fatalf("the vehicle must keep working: %d", r.status)
	}
	if r := h.do("GET", "/v3/vehicles/"+v.ID+"/signals", nil, func(r *http.Request) {
		withBearer(h.appToken())(r)
		r.Header.Set("sc-user-id", u.UserID)
	}); r.status != http.StatusOK {
		t.Fatalf("signals must keep working: %d", r.status)
	}
	if h.sim.Vehicles()[0].Failure != nil {
		t.Fatal("noise must not break the vehicle")
	}
	if r := h.control("POST", "/_control/vehicles/"+v.ID+"/noise", nil); r.status != http.StatusAccepted {
		t.Fatalf("on-demand noise: %d", r.status)
	}
	waitFor(t, "second noise", func() bool { return len(rc.ofType("VEHICLE_ERROR")) == 2 })
}

// TestWebhookPoolIsBounded migrates thousands of vehicles and checks that
// neither in-flight requests nor goroutines grow with the batch.
func TestWebhookPoolIsBounded(t *testing.T) {
	h := newHarness(t)
	rc := newReceiver(t, testAMT)
	h.webhook(rc)
	const n = 2000
	specs := make([]VehicleSpec, n)
	for i := range specs {
		specs[i] = VehicleSpec{Make: "NISSAN"}
	}
	if _, err := h.sim.CreateUser(UserSpec{Email: "fleet@example.com", Connected: true, Vehicles: specs}); err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()
	var peak int
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			mu.Lock()
			peak = max(peak, runtime.NumGoroutine())
			mu.Unlock()
			time.Sleep(time.Millisecond)
		}
	}()
	if got, _ := h.sim.Migrate("NISSAN"); got != n {
		t.Fatalf("migrated %d", got)
	}
	waitFor(t, "all events", func() bool { return len(rc.got()) == n })
	close(done)
	mu.Lock()
	defer mu.Unlock()
	if rc.maxInFlight > 4 {
		t.Errorf("%d requests in flight, want at most 4", rc.maxInFlight)
	}
	if peak-base > 100 {
		t.Errorf("goroutines grew by %d during the migration", peak-base)
	}
}
