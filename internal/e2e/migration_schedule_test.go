package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"reconnect/internal/demo"
	"reconnect/internal/model"
	"reconnect/internal/smartcarsim"
	"reconnect/web/paths"
)

var simSessionRE = regexp.MustCompile(`name="session" value="([^"]+)"`)

// reauthenticateInSim runs an owner through the simulator's
// re-authentication pages with a plain HTTP client, stopping at the
// redirect back to the app: the owner moved to the new sign-in.
func reauthenticateInSim(t *testing.T, w *world, vehicleID, email string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), w.simURL) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	step := func(res *http.Response, err error) (string, *http.Response) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b), res
	}
	q := url.Values{"response_type": {"vehicle_id"}, "client_id": {demo.ClientID}, "vehicle_id": {vehicleID},
		"redirect_uri": {w.appURL + paths.ConnectCallback()}, "state": {"early"}}
	page, _ := step(c.Get(w.simURL + "/oauth/reauthenticate?" + q.Encode()))
	for _, form := range []url.Values{{"email": {email}, "password": {"pw"}, "action": {"login"}}, {"action": {"approve"}}} {
		m := simSessionRE.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no session on the simulator's page: %s", page)
		}
		form.Set("session", m[1])
		action := "/oauth/login"
		if form.Get("action") == "approve" {
			action = "/oauth/confirm"
		}
		var res *http.Response
		page, res = step(c.PostForm(w.simURL+action, form))
		if action == "/oauth/confirm" && (res.StatusCode != http.StatusFound || !strings.Contains(res.Header.Get("Location"), "vehicle_id="+vehicleID)) {
			t.Fatalf("re-authentication did not end at the app: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
	}
}

// A migration announced for a cut-over, with owners moving early: at the
// cut-over the simulator breaks the other Teslas and sends signed
// VEHICLE_ERROR webhooks, and Reconnect follows up on exactly those cars.
func TestScheduledMigrationBreaksAtTheCutoverAndSparesEarlyMovers(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := startWorld(t, dialect, map[string]string{"JOBS_FETCH_COOLDOWN": "20ms", "JOBS_FETCH_POLL_INTERVAL": "100ms"})
		simPost(t, http.MethodPut, w.simURL+"/_control/webhook", `{"url":"`+w.appURL+`/webhooks/smartcar"}`)
		simPost(t, http.MethodPost, w.simURL+"/_control/webhook/verify", `{}`)
		// Dave's Tesla is connected at Smartcar; the host never told us
		// about it, so Reconnect learns of it from the webhook.
		dave, err := w.sim.CreateUser(smartcarsim.UserSpec{Email: "dave@example.com", Connected: true,
			Vehicles: []smartcarsim.VehicleSpec{{Make: "TESLA", Model: "Model Y", Year: 2023}}})
		if err != nil {
			t.Fatal(err)
		}
		daveTesla := dave.Vehicles[0].ID
		carolTesla := w.vehicle(t, "demo-carol", "TESLA")

		announced := w.sim.Now()
		reauthenticateInSim(t, w, carolTesla.SmartcarID, "carol@example.com")
		cutover := w.sim.Now().Add(1500 * time.Millisecond)
		simPost(t, http.MethodPost, w.simURL+"/_control/migrations", fmt.Sprintf(`{"make":"TESLA","at":%q,"spare_reauthenticated_after":%q}`,
			cutover.Format(time.RFC3339Nano), announced.Format(time.RFC3339Nano)))

		ctx := context.Background()
		if _, err := w.app.Store.VehicleBySmartcarID(ctx, daveTesla); err == nil {
			t.Fatal("Reconnect heard of dave's Tesla before the cut-over")
		}
		waitFor(t, "dave's Tesla needs re-authentication after the cut-over", 15*time.Second, func() bool {
			v, err := w.app.Store.VehicleBySmartcarID(ctx, daveTesla)
			return err == nil && v.State == model.StateNeedsReauth
		})
		if !w.sim.Now().After(cutover) {
			t.Fatal("the break came before the cut-over")
		}
		waitFor(t, "the inbox drains", 5*time.Second, func() bool {
			n, _ := w.app.Store.InboxPendingCount(ctx)
			return n == 0
		})
		if v := w.vehicle(t, "demo-carol", "TESLA"); v.State != model.StateConnected {
			t.Fatalf("carol moved early, yet her Tesla is %s", v.State)
		}
		if v := w.vehicle(t, "demo-carol", "VOLKSWAGEN"); v.State != model.StateConnected {
			t.Fatalf("a Volkswagen in a Tesla migration: %s", v.State)
		}
	})
}
