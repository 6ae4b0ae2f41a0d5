package owner

import (
	"context"

	"reconnect/internal/campaign"
	"reconnect/internal/i18n"
	"reconnect/internal/model"
	ownerviews "reconnect/views/owner"
	"reconnect/web/ownercard"
)

// Cards is the builder of the owner page's cards and summary; the console
// builds its "what the owner sees" with the same one.
func (h *Handler) Cards() ownercard.Builder {
	return ownercard.Builder{AppName: h.AppName, OEMLinks: h.OEMLinks, Store: h.Store, Campaigns: h.Campaigns, TimeZone: h.TimeZone, Log: h.Log}
}

// vehicleCard builds the view model of one vehicle in the request's language.
func (h *Handler) vehicleCard(ctx context.Context, v model.Vehicle) ownerviews.VehicleCard {
	return h.Cards().Card(ctx, v)
}

// vehicleCards is vehicleCard for each of a page's cars, the campaigns of
// those inCampaign looked up together.
func (h *Handler) vehicleCards(ctx context.Context, vs []model.Vehicle, inCampaign map[int64]bool) []ownerviews.VehicleCard {
	return h.Cards().Cards(ctx, vs, inCampaign)
}

func (h *Handler) oemFix(l *i18n.Localizer, make string, c model.OEMCase) ownerviews.OEMFix {
	return h.Cards().OEMFix(l, make, c)
}

func (h *Handler) campaignOf(ctx context.Context, v model.Vehicle) (campaign.Standing, bool) {
	return h.Cards().CampaignOf(ctx, v)
}
