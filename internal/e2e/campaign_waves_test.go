package e2e

import (
	"context"
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

// TestConsoleShowsAnAutoPausedCampaignAndFollowsUp is the safety and the
// follow-up from the admin's chair: a campaign that paused itself is a
// banner on the campaign list and its page, with the reason and the
// wave's numbers; the admin resumes it, sees Alice (who started and did
// not finish) with her phone number, and emails everyone who has not
// finished (confirmed, audited). The create form's preview warns that
// CAMPAIGN_RATE cannot keep a tight schedule. Every page passes axe.
func TestConsoleShowsAnAutoPausedCampaignAndFollowsUp(t *testing.T) {
	w := startWorld(t, "sqlite", map[string]string{"CAMPAIGN_RATE": "1"})
	bg := context.Background()
	st := w.app.Store
	alice := w.owner(t, "demo-alice").Owner
	aliceTesla := w.vehicle(t, "demo-alice", "TESLA")
	if _, err := st.UpsertOwner(bg, store.OwnerInput{HostUserID: alice.HostUserID, Email: alice.Email, Name: alice.Name,
		Locale: alice.Locale, TimeZone: alice.TimeZone, Phone: "+4930123456"}); err != nil {
		t.Fatal(err)
	}
	camp, err := w.app.Campaigns.Create(bg, campaign.Input{Name: "Tesla sign-in change", Make: "TESLA", Reason: model.ReasonNewSignIn,
		CutoverAt: st.Now().Add(10 * 24 * time.Hour), FirstWave: 100})
	if err != nil {
		t.Fatal(err)
	}
	if camp, err = w.app.Campaigns.Launch(bg, camp.ID); err != nil {
		t.Fatal(err)
	}
	now := st.Now()
	if err := st.MarkCampaignStep(bg, camp.ID, aliceTesla.ID, "started_at", now); err != nil {
		t.Fatal(err)
	}
	if err := st.FailCampaignVehicle(bg, camp.ID, aliceTesla.ID, "server_error", now); err != nil {
		t.Fatal(err)
	}
	// The wave's numbers as the safety check records them when it trips.
	if moved, err := st.MoveCampaign(bg, camp.ID, model.CampaignRunning, model.CampaignPaused, now); err != nil || !moved {
		t.Fatalf("pause: %v %v", moved, err)
	}
	if err := st.SetCampaignPause(bg, camp.ID, model.PauseBounces, `{"wave":1,"emails":60,"failed":5,"bounced":2}`); err != nil {
		t.Fatal(err)
	}

	ctx := staffBrowser(t, w, "ada@support.example", store.RoleAdmin)
	do(t, ctx, chromedp.Click(bt.TestID("nav-campaigns")), chromedp.WaitVisible(bt.TestID("auto-pause-banner")))
	if reason := text(t, ctx, "auto-pause-reason"); reason != "7 of the 60 emails of wave 1 were refused or bounced (11.7%; the limit is 5%)." {
		t.Fatalf("banner on the list: %q", reason)
	}
	bt.NoAxeViolations(t, ctx, "campaign list with an auto-paused campaign")
	do(t, ctx, chromedp.Click(bt.TestID("auto-pause-campaign")), chromedp.WaitVisible(bt.TestID("campaign-name")))
	if n := count(t, ctx, `[data-testid="auto-pause-banner"]`); n != 1 {
		t.Fatalf("%d banners on the campaign page", n)
	}
	if phone := text(t, ctx, "stuck-phone"); phone != "+4930123456" {
		t.Fatalf("stuck owner's phone %q", phone)
	}
	if n := count(t, ctx, `[data-testid="campaign-follow-up"]`); n != 0 {
		t.Fatal("a paused campaign offers the follow-up")
	}
	bt.NoAxeViolations(t, ctx, "campaign page, auto-paused")

	do(t, ctx, chromedp.Click(bt.TestID("auto-pause-resume")), chromedp.WaitVisible(bt.TestID("confirm-submit")),
		chromedp.Click(bt.TestID("confirm-check")), chromedp.Click(bt.TestID("confirm-submit")),
		chromedp.WaitVisible(bt.TestID("campaign-follow-up")))
	if n := count(t, ctx, `[data-testid="auto-pause-banner"]`); n != 0 {
		t.Fatal("the banner stays after the resume")
	}
	do(t, ctx, chromedp.Click(bt.TestID("campaign-follow-up")), chromedp.WaitVisible(bt.TestID("confirm-submit")))
	bt.NoAxeViolations(t, ctx, "follow-up confirmation")
	do(t, ctx, chromedp.Click(bt.TestID("confirm-submit")), chromedp.WaitVisible(bt.TestID("confirm-error")))
	do(t, ctx, chromedp.Click(bt.TestID("confirm-check")), chromedp.Click(bt.TestID("confirm-submit")),
		chromedp.WaitVisible(bt.TestID("console-flash")))
	if msg := text(t, ctx, "console-flash"); !strings.Contains(msg, "follow-up is on its way") {
		t.Fatalf("flash %q", msg)
	}
	ns, err := st.NoticesOfOwner(bg, camp.ID, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	followUps := 0
	for _, n := range ns {
		if n.Kind == store.NoticeFollowUp {
			followUps++
		}
	}
	if followUps != 1 {
		t.Fatalf("Alice has %d follow-up notices", followUps)
	}
	if got := auditActions(t, st); !inOrder(got, []model.AuditAction{model.AuditCampaignResumed, model.AuditCampaignFollowUp}) {
		t.Fatalf("audit log: %v", got)
	}

	// One email a minute cannot send a notice to two owners a minute
	// before the next.
	do(t, ctx, chromedp.Navigate(w.appURL+paths.ConsoleCampaignNew()), chromedp.WaitVisible(bt.TestID("campaign-form")),
		chromedp.SendKeys(bt.TestID("campaign-name"), "Tight schedule"),
		chromedp.SendKeys(bt.TestID("campaign-make"), "TESLA"),
		chromedp.SendKeys(bt.TestID("campaign-cutover"), st.Now().Add(24*time.Hour).UTC().Format("2006-01-02 15:04")),
		chromedp.SetValue(bt.TestID("campaign-offsets"), "-1m, 0"),
		chromedp.Click(bt.TestID("campaign-preview")),
		chromedp.WaitVisible(bt.TestID("cohort-preview")),
	)
	warnings, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('[data-testid="cohort-warning"]')].map(e => e.textContent).join("\n")`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(warnings, "At 1 emails a minute, the -1m notice to 2 owners takes 2 minutes") {
		t.Fatalf("no rate warning in the preview: %q", warnings)
	}
	bt.NoAxeViolations(t, ctx, "new campaign form with a rate warning")
}
