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
)

// An owner whose car still works sees the campaign's card with the date
// and the days left, reconnects early through the simulator, and the card
// then says they are set; the campaign counts the completion. The page
// passes axe with the card, on a phone and in German too.
func TestOwnerReconnectsEarlyFromTheCampaignCard(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			w := startWorld(t, dialect, nil)
			ctx := context.Background()
			tesla := w.vehicle(t, "demo-carol", "TESLA")
			if tesla.State != model.StateConnected {
				t.Fatalf("carol's Tesla is %s, want connected", tesla.State)
			}
			cutover := time.Now().Add(10 * 24 * time.Hour).UTC().Truncate(time.Hour)
			c, err := w.app.Campaigns.Create(ctx, campaign.Input{
				Name: "Tesla platform move", Make: "TESLA", VehicleIDs: []string{tesla.SmartcarID},
				Reason: model.ReasonNewPlatform, CutoverAt: cutover,
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.app.Campaigns.Launch(ctx, c.ID); err != nil {
				t.Fatal(err)
			}

			b := bt.New(t, 120*time.Second)
			do(t, b, chromedp.EmulateViewport(360, 800),
				chromedp.Navigate(w.owner(t, "demo-carol").Link), chromedp.WaitVisible(bt.TestID("continue")),
				chromedp.Click(bt.TestID("continue")), chromedp.WaitVisible(bt.TestID("campaign-"+tesla.SmartcarID)))
			card := text(t, b, "campaign-"+tesla.SmartcarID)
			// Carol reads French: the date is "10 décembre"; its day is enough.
			day := strconv.Itoa(cutover.Day()) + " "
			if !strings.Contains(card, day) {
				t.Fatalf("the card does not name the cut-over's day %q: %q", day, card)
			}
			if days := text(t, b, "days-left-"+tesla.SmartcarID); !strings.Contains(days, "9") && !strings.Contains(days, "10") {
				t.Fatalf("days left: %q", days)
			}
			bt.NoAxeViolations(t, b, "owner page with a campaign card")

			// Reconnect while the car still works: that is the point.
			do(t, b, chromedp.Click(bt.TestID("reconnect-"+tesla.SmartcarID)), chromedp.WaitVisible(bt.TestID("sim-login")),
				chromedp.SendKeys(bt.TestID("sim-email"), "carol@example.com"),
				chromedp.SendKeys(bt.TestID("sim-password"), "any-password"),
				chromedp.Click(bt.TestID("sim-login")), chromedp.WaitVisible(bt.TestID("sim-approve")),
				chromedp.Click(bt.TestID("sim-approve")), chromedp.WaitVisible(bt.TestID("reconnect-success")))

			do(t, b, chromedp.Navigate(w.appURL+"/me"), chromedp.WaitVisible(bt.TestID("campaign-"+tesla.SmartcarID)))
			if done := text(t, b, "campaign-"+tesla.SmartcarID); !strings.Contains(done, day) || strings.Contains(done, card) {
				t.Fatalf("after reconnecting, the card says %q", done)
			}
			counts, err := w.app.Campaigns.Counts(ctx, c.ID)
			if err != nil || counts.Completed != 1 {
				t.Fatalf("campaign counts %+v %v, want one completed", counts, err)
			}

			// The same page in German passes axe too.
			do(t, b, chromedp.Navigate(w.appURL+"/me?lang=de"), chromedp.WaitVisible(`html[lang="de"]`))
			bt.NoAxeViolations(t, b, "owner page with a campaign card, German")
		})
	}
}
