package smartcarsim

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// A migration announced for a cut-over breaks nothing before it; at the
// cut-over it breaks every car of the make except those whose owners signed
// in again after the announcement, and only the broken ones are reported.
func TestScheduledMigrationSparesEarlyMoversAndBreaksTheRestAtTheCutover(t *testing.T) {
	h := newHarness(t)
	rc := newReceiver(t, testAMT)
	h.webhook(rc)
	early, earlyTok := h.seed("early@example.com", "TESLA")
	late, lateTok := h.seed("late@example.com", "TESLA")
	ford, fordTok := h.seed("ford@example.com", "FORD")
	earlyID, lateID, fordID := early.Vehicles[0].ID, late.Vehicles[0].ID, ford.Vehicles[0].ID

	announced := h.sim.Now()
	if err := h.sim.Advance(time.Minute); err != nil {
		t.Fatal(err)
	}
	// The early mover re-authenticates after the announcement.
	c := h.browser()
	link := h.base + "/oauth/reauthenticate?" + url.Values{"response_type": {"vehicle_id"}, "client_id": {testClientID},
		"vehicle_id": {earlyID}, "redirect_uri": {testRedirect}, "state": {"s"}}.Encode()
	if q := h.walk(c, h.open(c, link), "early@example.com").callback(t); q.Get("vehicle_id") != earlyID {
		t.Fatalf("re-authentication: %v", q)
	}

	cutover := h.sim.Now().Add(time.Hour)
	res := h.control(http.MethodPost, "/_control/migrations", map[string]any{
		"make": "TESLA", "at": cutover.Format(time.RFC3339Nano), "spare_reauthenticated_after": announced.Format(time.RFC3339Nano)})
	if res.status != http.StatusAccepted || res.json["scheduled"] != true {
		t.Fatalf("schedule: %d %s", res.status, res.raw)
	}
	works := func(id string, tok TokenInfo) bool {
		return h.do(http.MethodGet, "/v2.0/vehicles/"+id, nil, withBearer(tok.AccessToken)).status == http.StatusOK
	}
	if err := h.sim.Advance(59 * time.Minute); err != nil {
		t.Fatal(err)
	}
	if !works(lateID, lateTok) || !works(earlyID, earlyTok) {
		t.Fatal("a car broke before the cut-over")
	}
	if got := rc.ofType("VEHICLE_ERROR"); len(got) != 0 {
		t.Fatalf("errors reported before the cut-over: %d", len(got))
	}

	if err := h.sim.Advance(time.Minute); err != nil {
		t.Fatal(err)
	}
	broken := h.do(http.MethodGet, "/v2.0/vehicles/"+lateID, nil, withBearer(lateTok.AccessToken))
	if broken.status == http.StatusOK || broken.json["code"] != "AUTHENTICATION_FAILED" {
		t.Fatalf("the late owner's car at the cut-over: %d %s", broken.status, broken.raw)
	}
	if !works(earlyID, earlyTok) {
		t.Fatal("the early mover's car broke")
	}
	if !works(fordID, fordTok) {
		t.Fatal("a Ford broke in a Tesla migration")
	}
	waitFor(t, "the late owner's car is reported", func() bool {
		for _, e := range rc.ofType("VEHICLE_ERROR") {
			if dig(e.body, "vehicleId") == lateID && dig(e.body, "data", "errors", 0, "state") == "ERROR" {
				return true
			}
		}
		return false
	})
	for _, e := range rc.ofType("VEHICLE_ERROR") {
		if id := dig(e.body, "vehicleId"); id != lateID {
			t.Fatalf("an error was reported for %v", id)
		}
	}

	// The schedule ran once: later requests break nothing more (within
	// the access token's two hours).
	if err := h.sim.Advance(30 * time.Minute); err != nil {
		t.Fatal(err)
	}
	if !works(earlyID, earlyTok) {
		t.Fatal("the early mover's car broke later")
	}
}
