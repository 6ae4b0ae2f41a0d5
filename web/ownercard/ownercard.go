// Package ownercard builds what the owner's page says about each car: the
// card (message, what to do, buttons) and the page's summary sentence. The
// owner's page and the console's per-car summary both build them here, so
// what staff read as "what the owner sees" is what the owner sees.
package ownercard

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"reconnect/internal/campaign"
	"reconnect/internal/i18n"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/internal/vehicletext"
	ownerviews "reconnect/views/owner"
	"reconnect/web/render"
)

// CampaignStanding finds the live campaign a vehicle follows, or the one
// it completed (*campaign.Service).
type CampaignStanding interface {
	ForVehicle(ctx context.Context, vehicleID int64, now time.Time) (campaign.Standing, bool, error)
	// ForVehicles is ForVehicle for several cars at once, keyed by
	// vehicle id; cars with nothing to show are left out.
	ForVehicles(ctx context.Context, vehicleIDs []int64, now time.Time) (map[int64]campaign.Standing, error)
}

// Builder builds cards in the language of the context's localizer.
type Builder struct {
	// AppName is the host app's name, said on the cards.
	AppName string
	// OEMLinks are the carmakers' pages where owners fix what only the
	// carmaker can.
	OEMLinks *vehicletext.OEMLinks
	Store    *store.Store
	// Campaigns says which migration campaign a car follows; nil shows none.
	Campaigns CampaignStanding
	// TimeZone words campaign dates for owners whose own zone is unknown.
	TimeZone *time.Location
	Log      *slog.Logger
}

// Card builds the view model of one vehicle in the context's language.
func (b Builder) Card(ctx context.Context, v model.Vehicle) ownerviews.VehicleCard {
	st, ok := b.CampaignOf(ctx, v)
	return b.card(ctx, v, st, ok)
}

// Cards is Card for each of a page's cars; the campaigns of those that
// inCampaign marks are looked up together, the others not at all.
func (b Builder) Cards(ctx context.Context, vs []model.Vehicle, inCampaign map[int64]bool) []ownerviews.VehicleCard {
	var standings map[int64]campaign.Standing
	if b.Campaigns != nil {
		var ids []int64
		for _, v := range vs {
			if inCampaign[v.ID] && v.State != model.StateDeclined {
				ids = append(ids, v.ID)
			}
		}
		if len(ids) > 0 {
			var err error
			if standings, err = b.Campaigns.ForVehicles(ctx, ids, b.Store.Now()); err != nil {
				// The page must not fail for it: the cards show without.
				b.Log.Warn("campaigns of vehicles", "vehicles", len(ids), "err", err)
			}
		}
	}
	cards := make([]ownerviews.VehicleCard, 0, len(vs))
	for _, v := range vs {
		st, ok := standings[v.ID]
		cards = append(cards, b.card(ctx, v, st, ok))
	}
	return cards
}

// card builds a car's card; st is the campaign it follows when inCampaign.
func (b Builder) card(ctx context.Context, v model.Vehicle, st campaign.Standing, inCampaign bool) ownerviews.VehicleCard {
	l := i18n.From(ctx)
	data := map[string]any{"Make": vehicletext.MakeName(v.Make), "App": b.AppName, "Car": vehicletext.Title(v)}
	card := ownerviews.VehicleCard{
		ID: v.ID, TestID: v.SmartcarID, Title: vehicletext.Title(v), Nickname: v.Nickname,
		Chip:      ownerviews.Chip{Label: l.T("chip."+string(v.State), data), Tone: render.ChipTone(v.State)},
		Attention: v.State.NeedsOwner(), Declined: v.State == model.StateDeclined,
	}
	if rk, tk := vehicletext.ReasonKeys(v); rk != "" {
		card.Reason = l.T(rk, data)
		if tk != "" {
			card.ToDo = l.T(tk, data)
			if vehicletext.FixFirst(tk) {
				card.ToDo += " " + l.T("todo.then_reconnect")
			}
		}
	}
	if c, ok := vehicletext.OEMCaseOf(v); ok {
		card.Fix = b.OEMFix(l, v.Make, c)
	}
	card.Trust = l.T("owner.trust", data)
	allowed := v.State.Allows()
	card.CanReconnect, card.CanConnect, card.CanDecline = allowed.Reconnect, allowed.Connect, allowed.Decline
	if allowed.PairKey && strings.HasPrefix(v.ResolutionURL, "https://") {
		card.KeyURL = v.ResolutionURL
	}
	if v.SnoozedUntil != nil && v.SnoozedUntil.After(b.Store.Now()) && v.State.NeedsOwner() {
		card.Snoozed = l.T("owner.snoozed", map[string]any{"Date": formatDate(l.Lang(), *v.SnoozedUntil)})
	}
	if inCampaign {
		card.Campaign = b.campaignCard(l, v, st)
		// Reconnecting early is the point: the button shows while the car
		// still works, and the trip is the campaign's.
		card.CanReconnect = card.CanReconnect || !st.Done
		card.Attention = card.Attention || !st.Done
	}
	return card
}

// Summary is the sentence at the top of the owner's page about all their
// cars, in the localizer's language.
func (b Builder) Summary(l *i18n.Localizer, vs []model.Vehicle) string {
	need, declined := 0, 0
	for _, veh := range vs {
		switch {
		case veh.State.NeedsOwner():
			need++
		case veh.State == model.StateDeclined:
			declined++
		}
	}
	data := map[string]any{"App": b.AppName, "Count": need}
	// The summary says what is true of every car: a declined car is not
	// connected, so "all connected" is said only when all are.
	var summary []string
	switch {
	case len(vs) == 0:
		summary = append(summary, l.T("owner.no_vehicles"))
	case need > 0:
		summary = append(summary, l.T("owner.summary_some", data))
	case declined == 0:
		summary = append(summary, l.T("owner.summary_none", data))
	}
	if declined > 0 {
		data["Count"] = declined
		summary = append(summary, l.T("owner.summary_declined", data))
		if need == 0 && declined < len(vs) {
			summary = append(summary, l.T("owner.summary_connected_rest", data))
		}
	}
	return strings.Join(summary, " ")
}

// OEMFix is the carmaker's page for the make and case, or the sentence
// that sends the owner to the carmaker's app when we know no page.
func (b Builder) OEMFix(l *i18n.Localizer, make string, c model.OEMCase) ownerviews.OEMFix {
	data := map[string]any{"Make": vehicletext.MakeName(make)}
	if u := b.OEMLinks.URL(make, c); u != "" {
		return ownerviews.OEMFix{URL: u, Label: l.T("oem.link_"+string(c), data)}
	}
	return ownerviews.OEMFix{Hint: l.T("oem.fallback", data)}
}

// CampaignOf is the live campaign the car follows, or completed; a lookup
// that fails shows the card without it (the page must not fail for it).
func (b Builder) CampaignOf(ctx context.Context, v model.Vehicle) (campaign.Standing, bool) {
	if b.Campaigns == nil || v.State == model.StateDeclined {
		return campaign.Standing{}, false
	}
	st, ok, err := b.Campaigns.ForVehicle(ctx, v.ID, b.Store.Now())
	if err != nil {
		b.Log.Warn("campaign of vehicle", "vehicle_id", v.ID, "err", err)
		return campaign.Standing{}, false
	}
	return st, ok
}

// campaignCard words the campaign in the owner's language and time zone,
// with the days left whenever the date is ahead.
func (b Builder) campaignCard(l *i18n.Localizer, v model.Vehicle, st campaign.Standing) *ownerviews.CampaignCard {
	tz := ""
	if v.OwnerID != nil {
		if o, err := b.Store.OwnerByID(context.Background(), *v.OwnerID); err == nil {
			tz = o.TimeZone
		}
	}
	txt := vehicletext.Campaign(l, st.Campaign, b.AppName, b.Store.Now(), vehicletext.Location(tz, b.TimeZone))
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
