package owner

import (
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/i18n"
	ownerviews "reconnect/views/owner"
	"reconnect/web/render"
)

// OwnerPage lists the owner's vehicles, those that need the owner first.
func (h *Handler) OwnerPage(c echo.Context) error {
	who, page, err := h.Viewer.CurrentPage(c)
	if err != nil {
		return h.pageError(c, err)
	}
	ctx := c.Request().Context()
	vs := page.Vehicles
	v := ownerviews.VehiclesView{Page: h.layout(c, render.T(c, "owner.title")), ReadOnly: who.ReadOnly}
	v.Banner = who.Banner
	v.Greeting = render.T(c, "owner.greeting_anon")
	if first := strings.Fields(who.Owner.Name); len(first) > 0 {
		v.Greeting = render.T(c, "owner.greeting", map[string]any{"Name": first[0]})
	}
	v.Vehicles = h.vehicleCards(ctx, vs, page.InCampaign)
	v.Summary = h.Cards().Summary(i18n.From(ctx), vs)
	if !who.ReadOnly {
		// The notice names its car by id; its text is made here, now.
		if n, ok := h.Sessions.Flash(c); ok {
			for _, veh := range vs {
				if veh.ID == n.VehicleID {
					v.Flash = render.T(c, n.Key, map[string]any{"Car": carTitle(veh)})
				}
			}
		}
	}
	if !who.ReadOnly {
		inApp, err := h.inAppEscape(c, who.Owner.ID)
		if err != nil {
			return err
		}
		v.InApp = inApp
	}
	return render.HTML(c, 200, ownerviews.Vehicles(v))
}
