package owner

import (
	"context"
	"strings"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/i18n"
	"reconnect/internal/model"
	"reconnect/internal/vehicletext"
	ownerviews "reconnect/views/owner"
	"reconnect/web/render"
)

// vehicleCard builds the view model of one vehicle in the request's language.
func (h *Handler) vehicleCard(ctx context.Context, v model.Vehicle) ownerviews.VehicleCard {
	st, ok := h.campaignOf(ctx, v)
	return h.card(ctx, v, st, ok)
}

// vehicleCards is vehicleCard for each of a page's cars, the campaigns of
// those inCampaign looked up together.
func (h *Handler) vehicleCards(ctx context.Context, vs []model.Vehicle, inCampaign map[int64]bool) []ownerviews.VehicleCard {
	var members []model.Vehicle
	for _, v := range vs {
		if inCampaign[v.ID] {
			members = append(members, v)
		}
	}
	var standings map[int64]campaign.Standing
	if len(members) > 0 {
		standings = h.campaignsOf(ctx, members)
	}
	cards := make([]ownerviews.VehicleCard, 0, len(vs))
	for _, v := range vs {
		st, ok := standings[v.ID]
		cards = append(cards, h.card(ctx, v, st, ok))
	}
	return cards
}

// card builds a car's card; st is the campaign it follows when inCampaign.
func (h *Handler) card(ctx context.Context, v model.Vehicle, st campaign.Standing, inCampaign bool) ownerviews.VehicleCard {
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
	if inCampaign {
		card.Campaign = h.campaignCard(l, v, st)
		// Reconnecting early is the point: the button shows while the car
		// still works, and the trip is the campaign's.
		card.CanReconnect = card.CanReconnect || !st.Done
		card.Attention = card.Attention || !st.Done
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

// campaignOf is the live campaign the car follows, or completed; a lookup
// that fails shows the card without it (the page must not fail for it).
func (h *Handler) campaignOf(ctx context.Context, v model.Vehicle) (campaign.Standing, bool) {
	if h.Campaigns == nil || v.State == model.StateDeclined {
		return campaign.Standing{}, false
	}
	st, ok, err := h.Campaigns.ForVehicle(ctx, v.ID, h.Store.Now())
	if err != nil {
		h.Log.Warn("campaign of vehicle", "vehicle_id", v.ID, "err", err)
		return campaign.Standing{}, false
	}
	return st, ok
}

// campaignsOf is campaignOf for several cars at once, keyed by vehicle id.
func (h *Handler) campaignsOf(ctx context.Context, vs []model.Vehicle) map[int64]campaign.Standing {
	if h.Campaigns == nil {
		return nil
	}
	ids := make([]int64, 0, len(vs))
	for _, v := range vs {
		if v.State != model.StateDeclined {
			ids = append(ids, v.ID)
		}
	}
	out, err := h.Campaigns.ForVehicles(ctx, ids, h.Store.Now())
	if err != nil {
		h.Log.Warn("campaigns of vehicles", "vehicles", len(ids), "err", err)
		return nil
	}
	return out
}

// campaignCard words the campaign in the owner's language and time zone,
// with the days left whenever the date is ahead.
func (h *Handler) campaignCard(l *i18n.Localizer, v model.Vehicle, st campaign.Standing) *ownerviews.CampaignCard {
	tz := ""
	if v.OwnerID != nil {
		if o, err := h.Store.OwnerByID(context.Background(), *v.OwnerID); err == nil {
			tz = o.TimeZone
		}
	}
	txt := vehicletext.Campaign(l, st.Campaign, h.AppName, h.Store.Now(), vehicletext.Location(tz, h.TimeZone))
	if st.Done {
		return &ownerviews.CampaignCard{Done: txt.Done}
	}
	c := &ownerviews.CampaignCard{Heading: txt.Heading, Reason: txt.Reason, ToDo: txt.ToDo, DaysLeft: txt.DaysLeft}
	switch {
	case txt.After:
	case txt.Days == 0:
		c.DaysLeft = l.T("campaign.days_left_today")
	case txt.Days == 1:
		c.DaysLeft = l.T("campaign.days_left_one")
	default:
		c.DaysLeft = l.T("campaign.days_left_many", map[string]any{"Days": txt.Days})
	}
	return c
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
