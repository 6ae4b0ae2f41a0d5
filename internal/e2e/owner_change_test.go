package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reconnect/internal/app"
	bt "reconnect/internal/browsertest"
	"reconnect/internal/hostwebhook"
	"reconnect/internal/mail/devsmtp"
	"reconnect/internal/model"
	"reconnect/internal/store"
)

// ownerChanges is the host's end of our webhooks, keeping the
// vehicle.owner_changed ones as sent.
type ownerChanges struct {
	mu  sync.Mutex
	got []map[string]any
}

func (h *ownerChanges) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var p struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	if json.Unmarshal(body, &p) == nil && p.Type == hostwebhook.EventOwnerChanged {
		h.mu.Lock()
		h.got = append(h.got, p.Data)
		h.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *ownerChanges) of(vehicleID string) []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]any
	for _, d := range h.got {
		if d["vehicle_id"] == vehicleID {
			out = append(out, d)
		}
	}
	return out
}

// fullConnect runs a full Smartcar Connect from the owner's page for car,
// signing in at the simulator as email and choosing the simulator's car
// pick among those shown, and waits until Connect sends the owner back.
func fullConnect(t *testing.T, w *world, link, email string, car model.Vehicle, pick string) {
	t.Helper()
	ctx := bt.New(t, 90*time.Second)
	do(t, ctx, chromedp.Navigate(link), chromedp.Click(bt.TestID("continue")),
		chromedp.WaitVisible(bt.TestID("connect-"+car.SmartcarID)),
		chromedp.Click(bt.TestID("connect-"+car.SmartcarID)),
		chromedp.WaitVisible(bt.TestID("sim-login")),
		chromedp.SendKeys(bt.TestID("sim-email"), email),
		chromedp.SendKeys(bt.TestID("sim-password"), "secret"),
		chromedp.Click(bt.TestID("sim-login")),
		chromedp.WaitVisible(bt.TestID("sim-vehicle-"+pick)),
		chromedp.Click(bt.TestID("sim-vehicle-"+pick)),
	)
	// Back at the app, the callback's page: whatever it says about the car
	// on the card, everything granted has been handled by then.
	done := `[data-testid="reconnect-success"],[data-testid="result-problem"]`
	waitFor(t, "Connect sends the owner back", 30*time.Second, func() bool {
		if loc, _ := bt.Location(ctx); strings.HasPrefix(loc, w.appURL) {
			n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(done)+`).length`))
			return n > 0
		}
		_, _ = chromedp.Run(ctx, chromedp.Evaluate[any](`(b => b && b.click())(document.querySelector('[data-testid="sim-continue"]')||document.querySelector('[data-testid="sim-approve"]'))`))
		time.Sleep(300 * time.Millisecond)
		return false
	})
}

// TestSoldThenANewOwnerConnectsIt: Alice declines her Tesla as sold (a
// suspicion: the car stays hers, flagged); she sells it to Carol in the
// carmaker's account; Carol runs a full Connect and grants it. The car is
// then Carol's, never silently: both timelines say so, Alice's keeps her
// history and Carol's holds none of it, the host hears vehicle.owner_changed
// once for the suspicion and once for the move, the console flags the car
// in the search results and on the owner page, and when the Tesla breaks
// again the email goes to Carol, not to Alice.
func TestSoldThenANewOwnerConnectsIt(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		hooks := &ownerChanges{}
		hostSrv := httptest.NewServer(hooks)
		defer hostSrv.Close()
		smtp, err := devsmtp.Start(devsmtp.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { smtp.Close() })
		w := startWorld(t, dialect, map[string]string{
			"HOST_WEBHOOK_URL": hostSrv.URL + "/reconnect", "HOST_WEBHOOK_SECRET": hostwebhook.NewSecret(),
			"SMTP_URL": smtp.URL(), "MAIL_FROM": "ChargeWell <noreply@chargewell.example>",
			"EMAIL_DEBOUNCE": "1s", "EMAIL_QUIET_HOURS": "off", "EMAIL_MIN_INTERVAL": "0s",
			"JOBS_FETCH_COOLDOWN": "20ms", "JOBS_FETCH_POLL_INTERVAL": "100ms",
		}, app.WithDevInbox(smtp.Inbox))
		simPost(t, http.MethodPut, w.simURL+"/_control/webhook", `{"url":"`+w.appURL+`/webhooks/smartcar"}`)
		simPost(t, http.MethodPost, w.simURL+"/_control/webhook/verify", `{}`)
		ctx := context.Background()
		st := w.app.Store
		alice, carol := w.owner(t, "demo-alice"), w.owner(t, "demo-carol")
		tesla := w.vehicle(t, "demo-alice", "TESLA")
		// Carol's own Tesla: her full Connect from its card lists her Teslas.
		carolTesla := w.vehicle(t, "demo-carol", "TESLA")

		// 1. Alice says she sold it: suspected, still hers, flagged.
		b := newBrowser(t, w.appURL)
		b.open(alice.Link)
		decline := "/me/vehicles/" + strconv.FormatInt(tesla.ID, 10) + "/decline"
		if res, body := b.post(decline, url.Values{"_csrf": {b.csrf(decline)}, "reason": {"sold"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("decline as sold: %d %s", res.StatusCode, body)
		}
		if v, _ := st.VehicleByID(ctx, tesla.ID); v.OwnerID == nil || *v.OwnerID != alice.Owner.ID || v.OwnerChangedAt == nil {
			t.Fatalf("after the decline: %+v, want Alice's and flagged", v)
		}
		waitFor(t, "the suspicion reaches the host", 10*time.Second, func() bool { return len(hooks.of(tesla.SmartcarID)) == 1 })
		if d := hooks.of(tesla.SmartcarID)[0]; d["suspected"] != true || d["cause"] != string(model.OwnerChangeSold) {
			t.Fatalf("suspicion webhook: %v", d)
		}
		aliceBefore, err := st.OwnerTimeline(ctx, alice.Owner.ID, store.Page{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		aliceMail := len(smtp.Inbox.To("alice@example.com"))

		// 2. The sale, at the carmaker; 3. Carol's full Connect grants it.
		simPost(t, http.MethodPost, w.simURL+"/_control/vehicles/"+tesla.SmartcarID+"/sell", `{"email":"carol@example.com"}`)
		// Her car's VIN is not on file, so Connect lets her choose among her
		// Teslas, and she chooses the one she bought.
		if err := st.DB().Exec("UPDATE vehicles SET vin = '' WHERE id = ?", carolTesla.ID).Error; err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := st.SetState(ctx, carolTesla.ID, store.StateChange{To: model.StateNeedsReauth, Reason: "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED", Source: model.SourceWebhook}); err != nil {
			t.Fatal(err)
		}
		fullConnect(t, w, carol.Link, "carol@example.com", carolTesla, tesla.SmartcarID)

		moved, err := st.VehicleByID(ctx, tesla.ID)
		if err != nil || moved.OwnerID == nil || *moved.OwnerID != carol.Owner.ID {
			t.Fatalf("after Carol's Connect the Tesla is %+v (%v), want Carol's", moved, err)
		}
		// Alice's "sold" is hers: Carol just granted the car, so it works.
		if moved.State != model.StateConnected {
			t.Fatalf("Carol's new Tesla is %s (%s), want connected", moved.State, moved.Reason)
		}
		kindsOf := func(o model.Owner) ([]model.Event, map[model.EventKind]int) {
			t.Helper()
			evs, err := st.OwnerTimeline(ctx, o.ID, store.Page{Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			k := map[model.EventKind]int{}
			for _, e := range evs {
				if e.VehicleID != nil && *e.VehicleID == tesla.ID {
					k[e.Kind]++
				}
			}
			return evs, k
		}
		aliceAfter, ak := kindsOf(alice.Owner)
		if ak[model.EventOwnerChangeSuspected] != 1 || ak[model.EventOwnerChanged] != 1 || ak[model.EventDeclined] != 1 {
			t.Fatalf("Alice's timeline of the Tesla: %v", ak)
		}
		for _, e := range aliceBefore {
			if !slices.ContainsFunc(aliceAfter, func(x model.Event) bool { return x.ID == e.ID && x.Detail == e.Detail }) {
				t.Fatalf("Alice's history lost %+v", e)
			}
		}
		carolEvs, ck := kindsOf(carol.Owner)
		if ck[model.EventOwnerChanged] != 1 || ck[model.EventDeclined] != 0 || ck[model.EventOwnerChangeSuspected] != 0 {
			t.Fatalf("Carol's timeline of the Tesla: %v", ck)
		}
		for _, e := range carolEvs {
			if slices.ContainsFunc(aliceBefore, func(x model.Event) bool { return x.ID == e.ID }) {
				t.Fatalf("Carol sees Alice's %s", e.Kind)
			}
		}
		waitFor(t, "the move reaches the host", 10*time.Second, func() bool { return len(hooks.of(tesla.SmartcarID)) >= 2 })
		time.Sleep(500 * time.Millisecond) // a second sending would come now
		// Carol's grant reaches us twice, by her Connect and by Smartcar's
		// webhook naming her Smartcar user; whichever comes first moves it.
		if got := hooks.of(tesla.SmartcarID); len(got) != 2 || got[1]["suspected"] != false ||
			(got[1]["cause"] != string(model.OwnerChangeConnect) && got[1]["cause"] != string(model.OwnerChangeSmartcarUser)) {
			t.Fatalf("owner_changed webhooks: %v, want the suspicion and one move", got)
		}

		// The console flags the car in the search results and on its owner.
		staff := staffBrowser(t, w, "ned@support.example", store.RoleAgent)
		do(t, staff, chromedp.Navigate(w.appURL+"/console/search?q="+url.QueryEscape(tesla.VIN)), chromedp.WaitVisible(bt.TestID("owner-change-"+tesla.SmartcarID)))
		if badge := text(t, staff, "owner-change-"+tesla.SmartcarID); !strings.Contains(badge, "Changed hands") {
			t.Fatalf("search badge %q", badge)
		}
		do(t, staff, chromedp.Navigate(w.appURL+"/console/owners/"+strconv.FormatInt(carol.Owner.ID, 10)), chromedp.WaitVisible(bt.TestID("owner-change-"+tesla.SmartcarID)))
		bt.NoAxeViolations(t, staff, "owner page with a car that changed hands")

		// The Tesla breaks again: Carol is told, Alice is not.
		simPost(t, http.MethodPut, w.simURL+"/_control/vehicles/"+tesla.SmartcarID+"/failure", `{"type":"CONNECTED_SERVICES_ACCOUNT","code":"AUTHENTICATION_FAILED"}`)
		waitFor(t, "the Tesla breaks under Carol", 15*time.Second, func() bool {
			v, _ := st.VehicleByID(ctx, tesla.ID)
			return v.State == model.StateNeedsReauth && v.OwnerID != nil && *v.OwnerID == carol.Owner.ID
		})
		mailCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if _, err := smtp.Inbox.Wait(mailCtx, func(ms []devsmtp.Message) bool {
			return slices.ContainsFunc(ms, func(m devsmtp.Message) bool {
				return slices.Contains(m.To, "carol@example.com") && strings.Contains(m.Text, "Tesla")
			})
		}); err != nil {
			t.Fatalf("Carol was not emailed about her Tesla: %v", err)
		}
		if n := len(smtp.Inbox.To("alice@example.com")); n != aliceMail {
			t.Fatalf("Alice got %d more emails after the car left her", n-aliceMail)
		}
		if got := hooks.of(tesla.SmartcarID); len(got) != 2 {
			t.Fatalf("%d owner_changed webhooks after the break, want still 2", len(got))
		}
	})
}
