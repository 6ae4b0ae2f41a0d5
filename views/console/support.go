package console

import (
	"context"
	"io"
	"time"

	"github.com/a-h/templ"

	"reconnect/internal/i18n"
	"reconnect/internal/useragent"
	ownerviews "reconnect/views/owner"
)

// agentWords says a user agent as "Chrome 131 on macOS", with what is
// known of it.
func agentWords(ctx context.Context, a useragent.Agent) string {
	browser := a.Browser
	if browser != "" && a.Version != "" {
		browser += " " + a.Version
	}
	switch {
	case browser != "" && a.OS != "":
		return i18n.T(ctx, "console.support.ua_browser_on", map[string]any{"Browser": browser, "OS": a.OS})
	case browser != "":
		return browser
	case a.OS != "":
		return i18n.T(ctx, "console.support.ua_unknown_on", map[string]any{"OS": a.OS})
	}
	return i18n.T(ctx, "console.support.ua_unknown")
}

// OwnerSees is the top of the console's owner page: what the owner's page
// says right now, in the owner's language, car by car.
type OwnerSees struct {
	// Lang is the owner's language tag and Language its name; Localizer
	// renders the owner's cards in it.
	Lang      string
	Language  string
	Localizer *i18n.Localizer
	// Summary is the owner page's sentence about all the cars.
	Summary string
	Cars    []CarSummary
}

// CarSummary is one car: its card as the owner sees it, and what staff
// read beside it.
type CarSummary struct {
	Card       ownerviews.VehicleCard
	Title      string
	SmartcarID string
	State      Chip
	Since      time.Time
	// LastError says the newest error recorded about the car, in a
	// timeline sentence; "" for none.
	LastError   string
	LastErrorAt *time.Time
	// LastEmail is the subject of the newest email about the car, and
	// EmailOpened how soon its link was used ("2 h later"), "" if not.
	LastEmail   string
	LastEmailAt *time.Time
	EmailOpened string
	Campaigns   []CarCampaign
	// OwnerChangedAt is when the car changed hands, or seemed to (a
	// decline as sold or not theirs: OwnerChangeSuspected).
	OwnerChangedAt       *time.Time
	OwnerChangeSuspected bool
}

// CarCampaign is a live campaign the car is in, and how far it got.
type CarCampaign struct {
	Name     string
	URL      string
	Done     bool
	Declined bool
}

// asOwner renders c in the owner's language.
func asOwner(l *i18n.Localizer, c templ.Component) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		if l != nil {
			ctx = i18n.WithLocalizer(ctx, l)
		}
		return c.Render(ctx, w)
	})
}

// PreviewTestID is the test hook prefix of a car's card as the console
// shows it ("vehicle-preview-…", "reason-preview-…"), so that it is never
// taken for the owner's own page.
func PreviewTestID(smartcarID string) string { return "preview-" + smartcarID }
