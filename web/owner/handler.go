// Package owner serves car owners and everyone else who follows a link
// from an email: the link landing, the owner page and its actions, the
// return from Smartcar Connect, unsubscribing, and the language switcher.
package owner

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
	"reconnect/internal/i18n"
	"reconnect/internal/links"
	"reconnect/internal/model"
	"reconnect/internal/repair"
	"reconnect/internal/store"
	"reconnect/internal/vehicletext"
	"reconnect/views/layouts"
	"reconnect/web/render"
	"reconnect/web/session"
	"reconnect/web/viewer"
)

// Handler holds what the owner pages use, and nothing else.
type Handler struct {
	// AppName is the host app's name, said on every page.
	AppName string
	// Brand is the host app's logo and colour on every page.
	Brand layouts.Brand
	// OEMLinks are the carmakers' pages where owners fix what only the
	// carmaker can (a subscription, terms, a car missing from the account).
	OEMLinks *vehicletext.OEMLinks
	// PublicBaseURL makes the absolute address an in-app browser is told
	// to open elsewhere.
	PublicBaseURL string
	Log           *slog.Logger
	Store         *store.Store
	I18n          *i18n.Catalog
	Sessions      *session.Manager
	// Viewer says who is looking: the owner, or staff viewing as them.
	Viewer *viewer.Finder
	Links  *links.Service
	Repair *repair.Service
	// FreshLinks serves "email me a new link" on the expired-link page.
	FreshLinks FreshLinkRequester
	// Unsubscriber serves the unsubscribe link in every email.
	Unsubscriber Unsubscriber
	// Campaigns says which migration campaign a car follows, for its card
	// and its Reconnect; nil shows none.
	Campaigns CampaignStanding
	// SupportURL and SupportEmail (SUPPORT_URL, SUPPORT_EMAIL) are shown
	// on every owner page, the Connect callback's error pages included.
	SupportURL   string
	SupportEmail string
	// TimeZone words campaign dates for owners whose own zone is unknown
	// (EMAIL_TIME_ZONE).
	TimeZone *time.Location
}

// CampaignStanding finds the live campaign a vehicle follows, or the one
// it completed (*campaign.Service).
type CampaignStanding interface {
	ForVehicle(ctx context.Context, vehicleID int64, now time.Time) (campaign.Standing, bool, error)
	// ForVehicles is ForVehicle for several vehicles, keyed by vehicle id.
	ForVehicles(ctx context.Context, vehicleIDs []int64, now time.Time) (map[int64]campaign.Standing, error)
}

// FreshLinkRequester emails a fresh link to the owner with an address, if
// there is one; it answers the same either way.
type FreshLinkRequester interface {
	Request(ctx context.Context, email string) error
}

// Unsubscriber turns reconnect emails off for the owner of an unsubscribe
// token; it is idempotent, and first is true for the call that did it.
type Unsubscriber interface {
	Unsubscribe(ctx context.Context, token, via string) (o model.Owner, first bool, err error)
}

// The names and plain-language reasons are shared with the emails.
var (
	makeName   = vehicletext.MakeName
	carTitle   = vehicletext.Title
	reasonKeys = vehicletext.ReasonKeys
)

func (h *Handler) layout(c echo.Context, title string) layouts.Page {
	p := render.Layout(c, h.AppName, title)
	p.Brand = h.Brand
	p.SupportURL, p.SupportEmail = h.SupportURL, h.SupportEmail
	return p
}

// pageError renders the session page for a missing session and passes
// every other error on.
func (h *Handler) pageError(c echo.Context, err error) error {
	if errors.Is(err, viewer.ErrNoOwnerSession) {
		return h.renderLinkProblem(c, http.StatusUnauthorized, render.T(c, "session.title"), render.T(c, "session.explain"))
	}
	return err
}
