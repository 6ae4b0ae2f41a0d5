package e2e

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	bt "reconnect/internal/browsertest"
	"reconnect/internal/campaign"
	"reconnect/internal/mail/devsmtp"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/web/paths"
)

// A campaign over the demo's two Teslas sends Carol its notice over SMTP. A
// mail gateway fetches the email's link and presses Continue: the funnel
// does not count that as opened. Carol pressing it does. An agent then
// reads the funnel page: the steps, the chart with the cut-over and "not
// enough data" for the forecast, the table of days; narrows it to a model
// with the GET form; every state passes axe; and the page with JavaScript
// off shows the same table and filters the same way.
func TestCampaignFunnelCountsAPersonNotAScannerAndShowsThePage(t *testing.T) {
	w := startMailWorld(t, "sqlite")
	ctx := context.Background()
	carolTesla := w.vehicle(t, "demo-carol", "TESLA")
	c, err := w.app.Campaigns.Create(ctx, campaign.Input{Name: "Tesla platform move", Make: "TESLA", Reason: model.ReasonNewPlatform,
		CutoverAt: time.Now().Add(10 * 24 * time.Hour).UTC().Truncate(time.Hour), FirstWave: 100}) // everyone at once: waves are not the subject
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.app.Campaigns.Launch(ctx, c.ID); err != nil {
		t.Fatal(err)
	}

	// The notices already due at launch go out as one email to Carol.
	wait, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := w.smtp.Inbox.Wait(wait, func(ms []devsmtp.Message) bool {
		return slices.ContainsFunc(ms, func(m devsmtp.Message) bool { return slices.Contains(m.To, "carol@example.com") })
	}); err != nil {
		t.Fatalf("no campaign email to Carol: %v", err)
	}
	m := w.smtp.Inbox.To("carol@example.com")[0]
	href := hrefRE.FindStringSubmatch(m.HTML)
	if href == nil {
		t.Fatalf("no link in Carol's email:\n%s", m.HTML)
	}
	link := href[1]
	steps := func() map[model.FunnelStep]int64 {
		t.Helper()
		f, err := w.app.Campaigns.Funnel(ctx, c.ID, campaign.FunnelFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return f.Steps
	}

	// The inbox has the message before the app records the server's
	// answer, and with it that Carol was told.
	waitFor(t, "Carol's email recorded as sent", 30*time.Second, func() bool { return steps()[model.StepNotified] >= 1 })

	// A gateway renders the page and presses the button with its own
	// client: nothing is opened.
	scanner := newBrowser(t, w.appURL)
	scanner.ua = "Mozilla/5.0 (compatible; Proofpoint URL Defense)"
	tok := scanner.csrf(link)
	if res, _ := scanner.post(link, url.Values{"_csrf": {tok}}); res.StatusCode == http.StatusSeeOther {
		t.Fatalf("the scanner's Continue opened a session: %s", res.Header.Get("Location"))
	}
	if s := steps(); s[model.StepOpened] != 0 || s[model.StepNotified] < 1 {
		t.Fatalf("after the scanner: %v", s)
	}
	// Carol herself.
	newBrowser(t, w.appURL).open(link)
	if s := steps(); s[model.StepOpened] != 1 {
		t.Fatalf("after Carol continued: %v", s)
	}
	if cv, err := w.app.Store.CampaignVehicleOf(ctx, c.ID, carolTesla.ID); err != nil || cv.OpenedAt == nil {
		t.Fatalf("Carol's row %+v %v", cv, err)
	}

	// An agent reads the funnel, from the campaign's page.
	b := staffBrowser(t, w.world, "gus@support.example", store.RoleAgent)
	do(t, b, chromedp.Navigate(w.appURL+paths.ConsoleCampaign(c.ID, nil)), chromedp.WaitVisible(bt.TestID("campaign-funnel")),
		chromedp.Click(bt.TestID("campaign-funnel")), chromedp.WaitVisible(bt.TestID("funnel-steps")))
	if n := text(t, b, "funnel-cohort"); n != "2" {
		t.Fatalf("cohort %q", n)
	}
	if n := text(t, b, "funnel-count-"+string(model.StepOpened)); n != "1" {
		t.Fatalf("opened %q", n)
	}
	if n := count(t, b, `svg[role="img"][data-testid="funnel-chart"] title`); n != 1 {
		t.Fatalf("the chart has %d titles", n)
	}
	if n := count(t, b, `[data-testid="funnel-chart-cutover"]`); n != 1 {
		t.Fatal("the chart does not mark the cut-over")
	}
	if n := count(t, b, `[data-testid="funnel-chart-`+string(model.StepOpened)+`"]`); n != 1 {
		t.Fatal("the chart has no opened line")
	}
	if fc := text(t, b, "funnel-forecast"); !strings.Contains(fc, "Not enough data") {
		t.Fatalf("forecast on launch day: %q", fc)
	}
	today := time.Now().UTC().Format("2006-01-02")
	if row := text(t, b, "funnel-day-"+today); !strings.Contains(row, "1") {
		t.Fatalf("today's row %q", row)
	}
	if n := count(t, b, `[data-testid="funnel-days"] tbody tr`); n < 10 {
		t.Fatalf("%d days in the table, want every day to the cut-over", n)
	}
	bt.NoAxeViolations(t, b, "campaign funnel")

	// Narrow to Carol's model (Model Y): one vehicle, opened.
	do(t, b, chromedp.SetValue(bt.TestID("funnel-model"), "Model Y"))
	if _, err := chromedp.RunResponse(b, chromedp.Click(bt.TestID("funnel-apply"))); err != nil {
		t.Fatal(err)
	}
	do(t, b, chromedp.WaitVisible(bt.TestID("funnel-clear")))
	if n, o := text(t, b, "funnel-cohort"), text(t, b, "funnel-count-"+string(model.StepOpened)); n != "1" || o != "1" {
		t.Fatalf("Model Y: cohort %q, opened %q", n, o)
	}
	if loc, _ := bt.Location(b); !strings.Contains(loc, "model=Model+Y") {
		t.Fatalf("the filter is not in the address: %s", loc)
	}
	bt.NoAxeViolations(t, b, "campaign funnel, filtered")

	// Without JavaScript: the same table, and the form still filters.
	if _, err := chromedp.Call(b, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	do(t, b, chromedp.Navigate(w.appURL+paths.ConsoleCampaignFunnel(c.ID, nil)), chromedp.WaitVisible(bt.TestID("funnel-steps")))
	if n, o := text(t, b, "funnel-cohort"), text(t, b, "funnel-count-"+string(model.StepOpened)); n != "2" || o != "1" {
		t.Fatalf("without JavaScript: cohort %q, opened %q", n, o)
	}
	do(t, b, chromedp.SetValue(bt.TestID("funnel-model"), "Model 3"))
	if _, err := chromedp.RunResponse(b, chromedp.Click(bt.TestID("funnel-apply"))); err != nil {
		t.Fatal(err)
	}
	do(t, b, chromedp.WaitVisible(bt.TestID("funnel-clear")))
	if n, o := text(t, b, "funnel-cohort"), text(t, b, "funnel-count-"+string(model.StepOpened)); n != "1" || o != "0" {
		t.Fatalf("Model 3 without JavaScript: cohort %q, opened %q", n, o)
	}
}
