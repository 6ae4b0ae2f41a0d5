package e2e

import (
	"context"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/model"
)

// A car in a running campaign shows the carmaker's change on its card,
// server-rendered in the owner's language and time zone, with the days
// left and a Reconnect button while it still works; Reconnect goes to
// Connect's re-authentication with the car chosen. Once the car is
// re-authenticated the card says the owner is all set. The support page
// and address are on the owner's pages, the callback's errors included.
func TestCampaignCardOffersReconnectWhileTheCarStillWorks(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) { campaignCard(t, dialect) })
	}
}

func campaignCard(t *testing.T, dialect string) {
	w := startWorld(t, dialect, map[string]string{"SUPPORT_URL": "https://help.example.com/cars", "SUPPORT_EMAIL": "help@example.com"})
	ctx := context.Background()
	carol := w.owner(t, "demo-carol").Owner // French, Europe/Paris
	tesla := w.vehicle(t, "demo-carol", "TESLA")
	if tesla.State != model.StateConnected {
		t.Fatalf("carol's Tesla is %s", tesla.State)
	}
	c, err := w.app.Campaigns.Create(ctx, campaign.Input{Name: "Tesla platform", Make: "TESLA", Reason: model.ReasonNewPlatform,
		CutoverAt: w.app.Store.Now().Add(12 * 24 * time.Hour), FirstWave: 100}) // everyone at once: the card is the subject
	if err != nil {
		t.Fatal(err)
	}
	if c, err = w.app.Campaigns.Launch(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	m, err := w.app.Links.Mint(ctx, nil, linkMintEmail(carol.ID))
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, w.appURL)
	b.open(m.URL)
	res, body := b.get("/me")
	page := html.UnescapeString(body)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="campaign-`+tesla.SmartcarID+`"`) ||
		!strings.Contains(page, "Tesla passe à une nouvelle plateforme le ") || !strings.Contains(page, "Plus que 12 jours.") ||
		!strings.Contains(body, `data-testid="reconnect-`+tesla.SmartcarID+`"`) {
		t.Fatalf("the Tesla's card:\n%s", body)
	}
	support := `<a href="https://help.example.com/cars">https://help.example.com/cars</a>`
	if !strings.Contains(body, `data-testid="support"`) || !strings.Contains(body, support) || !strings.Contains(body, `href="mailto:help@example.com"`) {
		t.Fatalf("the owner page offers support:\n%s", body)
	}
	// So does the Connect callback's error page.
	if _, cb := b.get("/connect/callback?error=access_denied&state=unknown"); !strings.Contains(cb, support) {
		t.Fatalf("the callback's error page offers support:\n%s", cb)
	}
	vw := w.vehicle(t, "demo-carol", "VOLKSWAGEN")
	if strings.Contains(body, `data-testid="campaign-`+vw.SmartcarID+`"`) || strings.Contains(body, `data-testid="reconnect-`+vw.SmartcarID+`"`) {
		t.Fatal("the Volkswagen is in no campaign and works: no card, no button")
	}
	u := b.reconnect(tesla.ID, "")
	if !strings.HasSuffix(u.Path, "/oauth/reauthenticate") || u.Query().Get("vehicle_id") != tesla.SmartcarID {
		t.Fatalf("Reconnect went to %s", u)
	}

	// The campaign's completion rules record the repair.
	if _, err := w.app.Store.CompleteCampaignVehicle(ctx, c.ID, tesla.ID, model.SourceCallback, w.app.Store.Now()); err != nil {
		t.Fatal(err)
	}
	_, body = b.get("/me")
	if page := html.UnescapeString(body); !strings.Contains(page, "Tout est prêt pour le ") || strings.Contains(page, "Plus que 12 jours.") {
		t.Fatalf("after completion:\n%s", body)
	}
}
