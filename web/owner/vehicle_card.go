package owner

import (
	"context"
	"strings"
	"time"

	"reconnect/internal/i18n"
	"reconnect/internal/model"
	"reconnect/internal/vehicletext"
	ownerviews "reconnect/views/owner"
	"reconnect/web/render"
)

// vehicleCard builds the view model of one vehicle in the request's language.
func (h *Handler) vehicleCard(ctx context.Context, v model.Vehicle) ownerviews.VehicleCard {
	l := i18n.From(ctx)
	data := map[string]any{"Make": makeName(v.Make), "App": h.AppName, "Car": carTitle(v)}
	card := ownerviews.VehicleCard{
		ID: v.ID, TestID: v.SmartcarID, Title: carTitle(v), Nickname: v.Nickname,
		Chip:      ownerviews.Chip{Label: l.T("chip."+string(v.State), data), Tone: render.ChipTone(v.State)},
		Attention: v.State.NeedsOwner(), Declined: v.State == model.StateDeclined,
	}
	if rk, tk := reasonKeys(v); rk != "" {
		card.Reason = l.T(rk, data)
		if tk != "" {
			card.ToDo = l.T(tk, data)
			if vehicletext.FixFirst(tk) {
				card.ToDo += " " + l.T("todo.then_reconnect")
			}
		}
	}
	if c, ok := vehicletext.OEMCaseOf(v); ok {
		card.Fix = h.oemFix(l, v.Make, c)
	}
	card.Trust = l.T("owner.trust", data)
	allowed := v.State.Allows()
	card.CanReconnect, card.CanConnect, card.CanDecline = allowed.Reconnect, allowed.Connect, allowed.Decline
	if allowed.PairKey && strings.HasPrefix(v.ResolutionURL, "https://") {
		card.KeyURL = v.ResolutionURL
	}
	if v.SnoozedUntil != nil && v.SnoozedUntil.After(h.Store.Now()) && v.State.NeedsOwner() {
		card.Snoozed = l.T("owner.snoozed", map[string]any{"Date": formatDate(l.Lang(), *v.SnoozedUntil)})
	}
	return card
}

// oemFix is the carmaker's page for the make and case, or the sentence
// that sends the owner to the carmaker's app when we know no page.
func (h *Handler) oemFix(l *i18n.Localizer, make string, c model.OEMCase) ownerviews.OEMFix {
	data := map[string]any{"Make": makeName(make)}
	if u := h.OEMLinks.URL(make, c); u != "" {
		return ownerviews.OEMFix{URL: u, Label: l.T("oem.link_"+string(c), data)}
	}
	return ownerviews.OEMFix{Hint: l.T("oem.fallback", data)}
}

func formatDate(lang string, tm time.Time) string {
	switch lang {
	case "de":
		return tm.Format("2.1.2006")
	case "fr", "es":
		return tm.Format("02/01/2006")
	}
	return tm.Format("2 January 2006")
}
