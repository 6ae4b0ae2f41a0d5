package web

import (
	"context"
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/i18n"
	"reconnect/internal/model"
	"reconnect/internal/vehicletext"
	ownerviews "reconnect/views/owner"
)

// The names and plain-language reasons are shared with the emails.
var (
	makeName   = vehicletext.MakeName
	carTitle   = vehicletext.Title
	reasonKeys = vehicletext.ReasonKeys
)

var chipTones = map[model.State]string{
	model.StateConnected: "ok", model.StateNeedsReauth: "danger", model.StateNeedsOEMAction: "warn",
	model.StateNeedsVirtualKey: "warn", model.StateReconnecting: "info", model.StateDeclined: "neutral",
}

// vehicleCard builds the view model of one vehicle in the request's language.
func (s *Server) vehicleCard(ctx context.Context, v model.Vehicle) ownerviews.VehicleCard {
	l := i18n.From(ctx)
	data := map[string]any{"Make": makeName(v.Make), "App": s.cfg.AppName, "Car": carTitle(v)}
	card := ownerviews.VehicleCard{
		ID: v.ID, TestID: v.SmartcarID, Title: carTitle(v), Nickname: v.Nickname,
		Chip:      ownerviews.Chip{Label: l.T("chip."+string(v.State), data), Tone: chipTones[v.State]},
		Attention: v.State.NeedsOwner(),
	}
	if rk, tk := reasonKeys(v); rk != "" {
		card.Reason = l.T(rk, data)
		if tk != "" {
			card.ToDo = l.T(tk, data)
		}
	}
	allowed := v.State.Allows()
	card.CanReconnect, card.CanConnect, card.CanDecline = allowed.Reconnect, allowed.Connect, allowed.Decline
	if allowed.PairKey && strings.HasPrefix(v.ResolutionURL, "https://") {
		card.KeyURL = v.ResolutionURL
	}
	if v.SnoozedUntil != nil && v.SnoozedUntil.After(s.store.Now()) && v.State.NeedsOwner() {
		card.Snoozed = l.T("owner.snoozed", map[string]any{"Date": formatDate(l.Lang(), *v.SnoozedUntil)})
	}
	return card
}

// ownerPage lists the owner's vehicles, those that need the owner first.
func (s *Server) ownerPage(c echo.Context) error {
	who, err := s.currentViewer(c)
	if err != nil {
		return s.ownerPageError(c, err)
	}
	ctx := c.Request().Context()
	vs, err := s.store.VehiclesByOwner(ctx, who.Owner.ID)
	if err != nil {
		return err
	}
	v := ownerviews.VehiclesView{Page: s.page(c, t(c, "owner.title")), ReadOnly: who.ReadOnly}
	v.Banner = who.Banner
	v.Greeting = t(c, "owner.greeting_anon")
	if first := strings.Fields(who.Owner.Name); len(first) > 0 {
		v.Greeting = t(c, "owner.greeting", map[string]any{"Name": first[0]})
	}
	need := 0
	for _, veh := range vs {
		v.Vehicles = append(v.Vehicles, s.vehicleCard(ctx, veh))
		if veh.State.NeedsOwner() {
			need++
		}
	}
	switch {
	case len(vs) == 0:
		v.Summary = t(c, "owner.no_vehicles")
	case need == 0:
		v.Summary = t(c, "owner.summary_none", map[string]any{"App": s.cfg.AppName})
	default:
		v.Summary = t(c, "owner.summary_some", map[string]any{"Count": need})
	}
	if !who.ReadOnly {
		v.Flash = s.sessions.Flash(c)
	}
	if inAppBrowser(c.Request().UserAgent()) {
		v.InApp = ownerviews.InApp{Show: true, URL: s.cfg.PublicBaseURL + "/me"}
	}
	return render(c, 200, ownerviews.Vehicles(v))
}
