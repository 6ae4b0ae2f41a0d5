package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "reconnect/internal/browsertest"
	"reconnect/internal/model"
)

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// TestJourneyEmailLinkToReconnectedCar is the heart of the product: an email
// link, one click, the broken car and its reason, Reconnect, the simulator's
// login and confirmation, back, "done", and the car connected everywhere.
func TestJourneyEmailLinkToReconnectedCar(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := startWorld(t, dialect, nil)
		alice := w.owner(t, "demo-alice")
		tesla := w.vehicle(t, "demo-alice", "TESLA")
		if tesla.State != model.StateNeedsReauth {
			t.Fatalf("seeded Tesla is %s", tesla.State)
		}
		ctx := bt.New(t, 90*time.Second)

		do(t, ctx, chromedp.Navigate(alice.Link), chromedp.WaitVisible(bt.TestID("continue")))
		bt.NoAxeViolations(t, ctx, "landing")
		do(t, ctx, chromedp.Click(bt.TestID("continue")), chromedp.WaitVisible(bt.TestID("vehicle-"+tesla.SmartcarID)))
		loc, _ := bt.Location(ctx)
		if strings.Contains(loc, "/l/") {
			t.Fatalf("the token stayed in the address bar: %s", loc)
		}
		chip, _ := bt.Text(ctx, `[data-testid="state-`+tesla.SmartcarID+`"]`)
		reason, _ := bt.Text(ctx, `[data-testid="reason-`+tesla.SmartcarID+`"]`)
		if chip != "Needs reconnecting" || !strings.Contains(reason, "lost access to your Tesla account") {
			t.Fatalf("owner page shows chip %q reason %q", chip, reason)
		}
		bt.NoAxeViolations(t, ctx, "owner page")

		do(t, ctx, chromedp.Click(bt.TestID("reconnect-"+tesla.SmartcarID)), chromedp.WaitVisible(bt.TestID("sim-login")))
		loc, _ = bt.Location(ctx)
		if !strings.HasPrefix(loc, w.simURL+"/oauth/reauthenticate") && !strings.HasPrefix(loc, w.simURL) {
			t.Fatalf("Reconnect did not go to Connect: %s", loc)
		}
		do(t, ctx,
			chromedp.SendKeys(bt.TestID("sim-email"), "alice@example.com"),
			chromedp.SendKeys(bt.TestID("sim-password"), "any-password"),
			chromedp.Click(bt.TestID("sim-login")),
			chromedp.WaitVisible(bt.TestID("sim-approve")),
			chromedp.Click(bt.TestID("sim-approve")),
			chromedp.WaitVisible(bt.TestID("reconnect-success")),
		)
		heading, _ := bt.Text(ctx, `[data-testid="reconnect-success"]`)
		back, _ := bt.Text(ctx, `[data-testid="back-to-app"]`)
		if !strings.Contains(heading, "reconnected") || back != "Back to ChargeWell" {
			t.Fatalf("success page: %q / %q", heading, back)
		}
		bt.NoAxeViolations(t, ctx, "success page")

		do(t, ctx, chromedp.Click(bt.TestID("see-all")), chromedp.WaitVisible(bt.TestID("vehicle-"+tesla.SmartcarID)))
		chip, _ = bt.Text(ctx, `[data-testid="state-`+tesla.SmartcarID+`"]`)
		if chip != "Connected" {
			t.Fatalf("after the repair the owner page says %q", chip)
		}
		got := w.vehicle(t, "demo-alice", "TESLA")
		if got.State != model.StateConnected {
			t.Fatalf("vehicle is %s after the repair", got.State)
		}
		evs := w.events(t, tesla.ID)
		for _, want := range []string{"reconnect_started", "state_changed:reconnecting", "state_changed:connected", "reconnect_completed"} {
			if !slices.Contains(evs, want) {
				t.Fatalf("timeline lacks %s: %v", want, evs)
			}
		}
	})
}

// Denying at Connect leaves the car broken with a clear message, and
// Reconnect works again from the same page.
func TestJourneyDenyThenRetry(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	alice := w.owner(t, "demo-alice")
	tesla := w.vehicle(t, "demo-alice", "TESLA")
	ctx := bt.New(t, 90*time.Second)
	do(t, ctx, chromedp.Navigate(alice.Link), chromedp.Click(bt.TestID("continue")),
		chromedp.WaitVisible(bt.TestID("reconnect-"+tesla.SmartcarID)),
		chromedp.Click(bt.TestID("reconnect-"+tesla.SmartcarID)),
		chromedp.WaitVisible(bt.TestID("sim-deny")),
		chromedp.Click(bt.TestID("sim-deny")),
		chromedp.WaitVisible(bt.TestID("result-problem")),
	)
	msg, _ := bt.Text(ctx, `[data-testid="result-message"]`)
	if !strings.Contains(msg, "did not allow access") {
		t.Fatalf("deny message: %q", msg)
	}
	bt.NoAxeViolations(t, ctx, "connect error page")
	if v := w.vehicle(t, "demo-alice", "TESLA"); v.State != model.StateNeedsReauth {
		t.Fatalf("after a deny the car is %s, want needs_reauth", v.State)
	}
	if evs := w.events(t, tesla.ID); !slices.Contains(evs, "reconnect_failed") {
		t.Fatalf("the failed attempt is not on the timeline: %v", evs)
	}
	do(t, ctx, chromedp.Click(bt.TestID("reconnect-"+tesla.SmartcarID)), chromedp.WaitVisible(bt.TestID("sim-login")))
}
