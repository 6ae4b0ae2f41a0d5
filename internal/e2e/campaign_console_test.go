package e2e

import (
	"context"
	"net/http"
	"net/url"
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

// staffBrowser signs a new staff member of the role in, in a browser of
// their own, and leaves them on the dashboard.
func staffBrowser(t *testing.T, w *world, email, role string) context.Context {
	t.Helper()
	link := staffLink(t, w, email, role)
	ctx := bt.New(t, 180*time.Second)
	setPassword(t, ctx, link, false)
	signIn(t, ctx, w.appURL, email, staffPassword)
	if who := text(t, ctx, "console-who"); !strings.Contains(who, email) {
		t.Fatalf("signed in as %q", who)
	}
	return ctx
}

func csrfOf(t *testing.T, ctx context.Context) string {
	t.Helper()
	token, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('input[name="_csrf"]').value`))
	if err != nil || token == "" {
		t.Fatalf("no CSRF token on the page: %v", err)
	}
	return token
}

// reconnectAsOwner is the owner's side: the email link, Continue,
// Reconnect on the car, the simulator's login and consent, and "Done".
func reconnectAsOwner(t *testing.T, w *world, hostID, email string, v model.Vehicle) {
	t.Helper()
	ctx := bt.New(t, 90*time.Second)
	do(t, ctx, chromedp.Navigate(w.owner(t, hostID).Link), chromedp.WaitVisible(bt.TestID("continue")),
		chromedp.Click(bt.TestID("continue")), chromedp.WaitVisible(bt.TestID("reconnect-"+v.SmartcarID)),
		chromedp.Click(bt.TestID("reconnect-"+v.SmartcarID)), chromedp.WaitVisible(bt.TestID("sim-login")),
		chromedp.SendKeys(bt.TestID("sim-email"), email),
		chromedp.SendKeys(bt.TestID("sim-password"), "any-password"),
		chromedp.Click(bt.TestID("sim-login")),
		chromedp.WaitVisible(bt.TestID("sim-approve")),
		chromedp.Click(bt.TestID("sim-approve")),
		chromedp.WaitVisible(bt.TestID("reconnect-success")),
	)
}

// TestConsoleAdminDefinesPreviewsAndLaunchesACampaignThatCountsAReconnect
// is a migration campaign from the admin's chair: a refused form names its
// fields, the preview counts the demo's two Teslas before anything is
// saved, the draft is saved, its notices previewed, the launch confirmed
// (and refused without the tick), and the page then shows progress and
// each car. When Alice reconnects her Tesla through the simulator, the
// campaign counts it completed. Every page passes axe, and the audit log
// has the creation and the launch.
func TestConsoleAdminDefinesPreviewsAndLaunchesACampaignThatCountsAReconnect(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		w := startWorld(t, dialect, nil)
		aliceTesla := w.vehicle(t, "demo-alice", "TESLA")
		carolTesla := w.vehicle(t, "demo-carol", "TESLA")
		ctx := staffBrowser(t, w, "ada@support.example", store.RoleAdmin)

		do(t, ctx, chromedp.Click(bt.TestID("nav-campaigns")), chromedp.WaitVisible(bt.TestID("campaigns-empty")))
		bt.NoAxeViolations(t, ctx, "campaign list, empty")
		do(t, ctx, chromedp.Click(bt.TestID("campaign-new")), chromedp.WaitVisible(bt.TestID("campaign-form")))
		bt.NoAxeViolations(t, ctx, "new campaign form")

		// A form the service refuses answers 422 and names the field.
		status, _ := fetchStatus(t, ctx, http.MethodPost, paths.ConsoleCampaigns(nil),
			url.Values{"_csrf": {csrfOf(t, ctx)}, "intent": {"save"}, "make": {"TESLA"}, "cutover_at": {"2027-03-03 09:00"}}.Encode())
		if status != http.StatusUnprocessableEntity {
			t.Fatalf("a nameless campaign answered %d", status)
		}
		do(t, ctx, chromedp.Click(bt.TestID("campaign-save")), chromedp.WaitVisible(bt.TestID("form-errors")),
			chromedp.WaitVisible(bt.TestID("campaign-name-error")))
		bt.NoAxeViolations(t, ctx, "new campaign form with errors")

		cutover := w.app.Store.Now().Add(30*24*time.Hour + time.Hour).UTC()
		do(t, ctx,
			chromedp.SendKeys(bt.TestID("campaign-name"), "Tesla moves to a new platform"),
			chromedp.SendKeys(bt.TestID("campaign-make"), "tesla"),
			chromedp.SendKeys(bt.TestID("campaign-cutover"), cutover.Format("2006-01-02 15:04")),
			chromedp.SendKeys(bt.TestID("campaign-message-en"), "Sign in once more before the switch."),
			chromedp.Click(bt.TestID("campaign-preview")),
			chromedp.WaitVisible(bt.TestID("cohort-preview")),
		)
		if v, o, broken := text(t, ctx, "cohort-vehicles"), text(t, ctx, "cohort-owners"), text(t, ctx, "cohort-needs_reauth"); v != "2" || o != "2" || !strings.HasPrefix(broken, "1") {
			t.Fatalf("preview: %s vehicles of %s owners, %q needing reconnection", v, o, broken)
		}
		if n, _ := w.app.Campaigns.List(context.Background(), store.Page{}); len(n) != 0 {
			t.Fatal("the preview saved a campaign")
		}
		bt.NoAxeViolations(t, ctx, "new campaign form with the cohort preview")

		do(t, ctx, chromedp.Click(bt.TestID("campaign-save")), chromedp.WaitVisible(bt.TestID("campaign-launch")))
		if st := text(t, ctx, "campaign-state"); st != "Draft" {
			t.Fatalf("saved as %q", st)
		}
		bt.NoAxeViolations(t, ctx, "campaign page, draft")
		do(t, ctx, chromedp.Click(bt.TestID("campaign-notices")), chromedp.WaitVisible(bt.TestID("notice-step")))
		if n := count(t, ctx, `[data-testid="notice-step"]`); n != len(campaign.DefaultNoticeOffsets) {
			t.Fatalf("%d notices previewed", n)
		}
		if de := text(t, ctx, "notice-de"); de != "Sign in once more before the switch." {
			t.Fatalf("German falls back to %q", de)
		}
		bt.NoAxeViolations(t, ctx, "notice preview")

		saved, err := w.app.Campaigns.List(context.Background(), store.Page{})
		if err != nil || len(saved) != 1 {
			t.Fatalf("saved campaigns: %d %v", len(saved), err)
		}
		page := w.appURL + paths.ConsoleCampaign(saved[0].ID, nil)
		do(t, ctx, chromedp.Navigate(page), chromedp.WaitVisible(bt.TestID("campaign-launch")),
			chromedp.Click(bt.TestID("campaign-launch")), chromedp.WaitVisible(bt.TestID("confirm-submit")))
		bt.NoAxeViolations(t, ctx, "launch confirmation")
		do(t, ctx, chromedp.Click(bt.TestID("confirm-submit")), chromedp.WaitVisible(bt.TestID("confirm-error")))
		if list, _ := w.app.Campaigns.List(context.Background(), store.Page{}); len(list) != 1 || list[0].State != model.CampaignDraft {
			t.Fatalf("launched without the tick: %+v", list)
		}
		do(t, ctx, chromedp.Click(bt.TestID("confirm-check")), chromedp.Click(bt.TestID("confirm-submit")),
			chromedp.WaitVisible(bt.TestID("campaign-progress-line")))
		if st := text(t, ctx, "campaign-state"); st != "Running" {
			t.Fatalf("after the launch the campaign is %q", st)
		}
		if line := text(t, ctx, "campaign-progress-line"); !strings.HasPrefix(line, "0 of 2 owners notified, next notice in 16 days") {
			t.Fatalf("progress %q", line)
		}
		if n := count(t, ctx, `[data-testid="campaign-vehicles"] tbody tr`); n != 2 {
			t.Fatalf("%d vehicles listed", n)
		}
		bt.NoAxeViolations(t, ctx, "campaign page, running")
		do(t, ctx, chromedp.SendKeys(bt.TestID("campaign-q"), "carol@"))
		// Wait for the page the search leads to: the row was on the old one too.
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(bt.TestID("campaign-search"))); err != nil {
			t.Fatal(err)
		}
		do(t, ctx, chromedp.WaitVisible(bt.TestID("cv-"+carolTesla.SmartcarID)))
		if n := count(t, ctx, `[data-testid="campaign-vehicles"] tbody tr`); n != 1 {
			t.Fatalf("an owner's email found %d vehicles", n)
		}
		if got := auditActions(t, w.app.Store); !inOrder(got, []model.AuditAction{model.AuditCampaignCreated, model.AuditCampaignLaunched}) {
			t.Fatalf("audit log: %v", got)
		}

		reconnectAsOwner(t, w, "demo-alice", "alice@example.com", aliceTesla)
		do(t, ctx, chromedp.Navigate(page), chromedp.WaitVisible(bt.TestID("step-"+aliceTesla.SmartcarID)))
		if n := text(t, ctx, "funnel-completed"); !strings.HasPrefix(n, "1") {
			t.Fatalf("completed after Alice reconnected: %q", n)
		}
		if step := text(t, ctx, "step-"+aliceTesla.SmartcarID); step != "Completed" {
			t.Fatalf("Alice's Tesla is at %q", step)
		}
	})
}

// TestConsoleAgentReadsCampaignsButCannotMoveThem: an agent sees the list
// and a campaign's page, with no way to define, launch, pause or cancel,
// and the server refuses those requests with 403 whatever the page shows.
func TestConsoleAgentReadsCampaignsButCannotMoveThem(t *testing.T) {
	w := startWorld(t, "sqlite", nil)
	bg := context.Background()
	camp, err := w.app.Campaigns.Create(bg, campaign.Input{Name: "Tesla sign-in change", Make: "TESLA", Reason: model.ReasonNewSignIn,
		CutoverAt: w.app.Store.Now().Add(10 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.app.Campaigns.Launch(bg, camp.ID); err != nil {
		t.Fatal(err)
	}
	ctx := staffBrowser(t, w, "gus@support.example", store.RoleAgent)
	do(t, ctx, chromedp.Click(bt.TestID("nav-campaigns")), chromedp.WaitVisible(bt.TestID("campaigns-table")))
	if n := count(t, ctx, `[data-testid="campaign-new"]`); n != 0 {
		t.Fatal("an agent is offered a new campaign")
	}
	if p := text(t, ctx, "campaign-progress"); p != "0 of 2 owners notified, 0 of 2 vehicles completed" {
		t.Fatalf("list progress %q", p)
	}
	bt.NoAxeViolations(t, ctx, "campaign list, agent")
	do(t, ctx, chromedp.Click(bt.TestID("campaign-link")), chromedp.WaitVisible(bt.TestID("campaign-progress-line")))
	if n := count(t, ctx, `[data-testid="campaign-actions"], [data-testid="campaign-pause"], [data-testid="campaign-cancel"]`); n != 0 {
		t.Fatal("an agent is offered campaign actions")
	}
	bt.NoAxeViolations(t, ctx, "campaign page, agent")
	do(t, ctx, chromedp.Click(bt.TestID("campaign-notices")), chromedp.WaitVisible(bt.TestID("notice-step")))
	if n := count(t, ctx, `[data-testid="campaign-test-email"]`); n != 0 {
		t.Fatal("an agent is offered a test email")
	}
	token := csrfOf(t, ctx)
	body := url.Values{"_csrf": {token}, "confirm": {"yes"}}.Encode()
	for _, u := range []string{paths.ConsoleCampaignMove(camp.ID, "pause"), paths.ConsoleCampaignMove(camp.ID, "cancel"),
		paths.ConsoleCampaignMove(camp.ID, "launch"), paths.ConsoleCampaignMove(camp.ID, "resume"), paths.ConsoleCampaignTestEmail(camp.ID),
		paths.ConsoleCampaigns(nil)} {
		if status, _ := fetchStatus(t, ctx, http.MethodPost, u, body+"&intent=save&name=x"); status != http.StatusForbidden {
			t.Errorf("an agent's POST %s answered %d", u, status)
		}
	}
	for _, u := range []string{paths.ConsoleCampaignMove(camp.ID, "pause"), paths.ConsoleCampaignNew()} {
		if status, _ := fetchStatus(t, ctx, http.MethodGet, u, ""); status != http.StatusForbidden {
			t.Errorf("an agent's GET %s answered %d", u, status)
		}
	}
	if got, _ := w.app.Campaigns.Get(bg, camp.ID); got.State != model.CampaignRunning {
		t.Fatalf("an agent moved the campaign to %s", got.State)
	}
}
