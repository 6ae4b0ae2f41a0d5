package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	bt "reconnect/internal/browsertest"
	"reconnect/internal/campaign"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/web/paths"
)

func inputValue(t *testing.T, ctx context.Context, testID string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="`+testID+`"]').value`))
	if err != nil {
		t.Fatalf("value of %s: %v", testID, err)
	}
	return v
}

// Staff see a suspected migration on the dashboard and the campaign list;
// its button opens the new-campaign form already filled in (make, a new
// platform, the first break as the cut-over, re-authentication), which saves
// as a draft though the cut-over has passed. An owner who failed three
// times is in the "Needs a person" queue, with a link to their page. Every
// page passes axe.
func TestConsoleShowsSuspectedMigrationsAndWhoNeedsAPerson(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		bg := context.Background()
		w, _ := alertWorld(t, dialect)
		firstBreak := w.app.Store.Now().Add(-40 * time.Minute).Truncate(time.Minute)
		if _, raised, err := w.app.Store.RaiseSuspectedMigration(bg, model.SuspectedMigration{Make: "TESLA", VehicleCount: 812, ConnectedCount: 4000,
			FirstError: "CONNECTED_SERVICES_ACCOUNT:AUTHENTICATION_FAILED", FirstBreakAt: firstBreak}); err != nil || !raised {
			t.Fatal(raised, err)
		}
		alice := w.owner(t, "demo-alice")
		tesla := w.vehicle(t, "demo-alice", "TESLA")
		owner := newBrowser(t, w.appURL)
		owner.open(alice.Link)
		for range 3 {
			failTrip(t, owner, tesla.ID)
		}

		ctx := staffBrowser(t, w, "ada@support.example", store.RoleAdmin)
		do(t, ctx, chromedp.Navigate(w.appURL+paths.Console()), chromedp.WaitVisible(bt.TestID("migration-banner")))
		banner := text(t, ctx, "migration-alert-TESLA")
		if !strings.Contains(banner, "TESLA") || !strings.Contains(banner, "812") || !strings.Contains(banner, "AUTHENTICATION_FAILED") {
			t.Fatalf("the banner says %q", banner)
		}
		bt.NoAxeViolations(t, ctx, "dashboard with a suspected migration")
		do(t, ctx, chromedp.Click(bt.TestID("nav-campaigns")), chromedp.WaitVisible(bt.TestID("migration-alert-TESLA")))
		bt.NoAxeViolations(t, ctx, "campaign list with a suspected migration")

		do(t, ctx, chromedp.Click(bt.TestID("migration-campaign-TESLA")), chromedp.WaitVisible(bt.TestID("campaign-form")))
		if mk, cut, reason := inputValue(t, ctx, "campaign-make"), inputValue(t, ctx, "campaign-cutover"), inputValue(t, ctx, "campaign-reason"); mk != "TESLA" ||
			cut != firstBreak.UTC().Format("2006-01-02 15:04") || reason != string(model.ReasonNewPlatform) {
			t.Fatalf("prefilled: make %q, cut-over %q, reason %q", mk, cut, reason)
		}
		if n := count(t, ctx, `[data-testid="campaign-flow-`+string(model.FlowReauthenticate)+`"]:checked`); n != 1 {
			t.Fatal("the repair flow is not re-authentication")
		}
		bt.NoAxeViolations(t, ctx, "new campaign form from a suspected migration")
		do(t, ctx, chromedp.Click(bt.TestID("campaign-save")), chromedp.WaitVisible(bt.TestID("campaign-launch")))
		if st := text(t, ctx, "campaign-state"); st != "Draft" {
			t.Fatalf("saved as %q", st)
		}
		list, err := w.app.Campaigns.List(bg, store.Page{})
		if err != nil || len(list) != 1 || list[0].Make != "TESLA" || !list[0].CutoverAt.Equal(firstBreak) || list[0].Reason != model.ReasonNewPlatform {
			t.Fatalf("the draft: %+v %v", list, err)
		}

		do(t, ctx, chromedp.Click(bt.TestID("nav-needs_person")), chromedp.WaitVisible(bt.TestID("needs-person")))
		if n := count(t, ctx, `[data-testid="queue-row"]`); n != 1 {
			t.Fatalf("%d owners in the queue", n)
		}
		if who, why := text(t, ctx, "queue-owner"), text(t, ctx, "queue-reason"); who != alice.Owner.Name || !strings.Contains(why, "3") {
			t.Fatalf("queue row: %q, %q", who, why)
		}
		bt.NoAxeViolations(t, ctx, "needs a person")

		// An agent sees the banner without the button (campaigns are the
		// admins'), and the queue.
		agent := staffBrowser(t, w, "cleo@support.example", store.RoleAgent)
		do(t, agent, chromedp.Navigate(w.appURL+paths.Console()), chromedp.WaitVisible(bt.TestID("migration-banner")))
		if n := count(t, agent, `[data-testid="migration-campaign-TESLA"]`); n != 0 {
			t.Fatal("an agent is offered to start a campaign")
		}
		do(t, agent, chromedp.Navigate(w.appURL+paths.ConsoleNeedsPerson(nil)), chromedp.WaitVisible(bt.TestID("queue-row")))

		// Filtered by a campaign: alice's Tesla is in the Tesla campaign,
		// not in the BMW one.
		var ids []string
		for _, mk := range []string{"TESLA", "BMW"} {
			c, err := w.app.Campaigns.Create(bg, campaign.Input{Name: mk + " move", Make: mk, Reason: model.ReasonNewPlatform, CutoverAt: w.app.Store.Now().Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.app.Campaigns.Launch(bg, c.ID); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, strconv.FormatInt(c.ID, 10))
		}
		filter := func(id string) {
			t.Helper()
			do(t, ctx, chromedp.Navigate(w.appURL+paths.ConsoleNeedsPerson(nil)), chromedp.WaitVisible(bt.TestID("queue-campaign")))
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="queue-campaign"]').value = `+jsString(id))); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.RunResponse(ctx, chromedp.Click(bt.TestID("queue-filter"))); err != nil {
				t.Fatal(err)
			}
			if got := inputValue(t, ctx, "queue-campaign"); got != id {
				t.Fatalf("the filter shows %q, want %q", got, id)
			}
		}
		filter(ids[0])
		if n := count(t, ctx, `[data-testid="queue-row"]`); n != 1 {
			t.Fatalf("%d owners in the Tesla campaign's queue", n)
		}
		filter(ids[1])
		if n := count(t, ctx, `[data-testid="queue-empty"]`); n != 1 {
			t.Fatal("the BMW campaign's queue is not empty")
		}
		bt.NoAxeViolations(t, ctx, "needs a person, filtered")
		do(t, ctx, chromedp.Navigate(w.appURL+paths.Console()), chromedp.WaitVisible(bt.TestID("count-connected")))
		if n := count(t, ctx, `[data-testid="migration-banner"]`); n != 0 {
			t.Fatal("a running campaign of the make leaves the banner up")
		}
		filter(ids[0])
		do(t, ctx, chromedp.Click(bt.TestID("queue-owner")), chromedp.WaitVisible(bt.TestID("console-who")))
		if loc, err := bt.Location(ctx); err != nil || !strings.HasSuffix(loc, paths.ConsoleOwner(alice.Owner.ID)) {
			t.Fatalf("the owner link went to %q (%v)", loc, err)
		}
	})
}
