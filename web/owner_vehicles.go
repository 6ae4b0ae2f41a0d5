package web

import (
	"context"
	"fmt"
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/i18n"
	"reconnect/internal/store"
	ownerviews "reconnect/views/owner"
)

// makeStyles are the makes not written in title case.
var makeStyles = map[string]string{"BMW": "BMW", "GMC": "GMC", "MINI": "MINI", "MG": "MG", "DS": "DS", "CUPRA": "CUPRA", "MERCEDES_BENZ": "Mercedes-Benz", "MERCEDES-BENZ": "Mercedes-Benz"}

// makeName turns Smartcar's upper-case make into the name owners know.
func makeName(make string) string {
	if styled, ok := makeStyles[strings.ToUpper(strings.TrimSpace(make))]; ok {
		return styled
	}
	m := strings.ReplaceAll(strings.TrimSpace(make), "_", "-")
	parts := strings.Split(strings.ToLower(m), "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "-")
}

// carTitle is "2021 Tesla Model 3", or the nickname's car when it has one.
func carTitle(v store.Vehicle) string {
	var parts []string
	if v.Year > 0 {
		parts = append(parts, fmt.Sprint(v.Year))
	}
	if v.Make != "" {
		parts = append(parts, makeName(v.Make))
	}
	if v.Model != "" {
		parts = append(parts, v.Model)
	}
	if len(parts) == 0 {
		return "your car"
	}
	return strings.Join(parts, " ")
}

// reasonKeys picks the explanation and the next step for a state and reason.
func reasonKeys(v store.Vehicle) (reason, todo string) {
	code := v.Reason
	if i := strings.LastIndex(code, ":"); i >= 0 {
		code = code[i+1:]
	}
	switch v.State {
	case store.StateNeedsReauth, store.StateReconnecting:
		reason, todo = "reason.auth_failed", "todo.reauth"
		if code == "PERMISSION" {
			reason = "reason.permission"
		}
		if v.State == store.StateReconnecting {
			reason = "reason.reconnecting"
		}
		switch code {
		case "SUBSCRIPTION", "ACCOUNT_ISSUE", "VEHICLE_MISSING", "NO_VEHICLES":
			todo = "todo." + strings.ToLower(code)
		}
	case store.StateNeedsOEMAction:
		switch code {
		case "SUBSCRIPTION", "ACCOUNT_ISSUE", "VEHICLE_MISSING", "NO_VEHICLES":
			return "reason." + strings.ToLower(code), "todo." + strings.ToLower(code)
		}
		return "reason.generic", "todo.account_issue"
	case store.StateNeedsVirtualKey:
		return "reason.virtual_key", "todo.virtual_key"
	case store.StateDeclined:
		return "reason.declined", ""
	}
	return reason, todo
}

var chipTones = map[store.State]string{
	store.StateConnected: "ok", store.StateNeedsReauth: "danger", store.StateNeedsOEMAction: "warn",
	store.StateNeedsVirtualKey: "warn", store.StateReconnecting: "info", store.StateDeclined: "neutral",
}

// vehicleCard builds the view model of one vehicle in the request's language.
func (s *Server) vehicleCard(ctx context.Context, v store.Vehicle) ownerviews.VehicleCard {
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
	switch v.State {
	case store.StateNeedsReauth, store.StateReconnecting, store.StateNeedsOEMAction:
		card.CanReconnect, card.CanDecline = true, true
		card.CanConnect = v.State != store.StateNeedsOEMAction
	case store.StateNeedsVirtualKey:
		card.CanDecline = true
		if strings.HasPrefix(v.ResolutionURL, "https://") {
			card.KeyURL = v.ResolutionURL
		}
	case store.StateDeclined:
		card.CanReconnect = true
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
