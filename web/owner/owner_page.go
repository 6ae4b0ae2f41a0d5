package owner

import (
	"strings"

	"github.com/labstack/echo/v4"

	ownerviews "reconnect/views/owner"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// OwnerPage lists the owner's vehicles, those that need the owner first.
func (h *Handler) OwnerPage(c echo.Context) error {
	who, err := h.Viewer.Current(c)
	if err != nil {
		return h.pageError(c, err)
	}
	ctx := c.Request().Context()
	vs, err := h.Store.VehiclesByOwner(ctx, who.Owner.ID)
	if err != nil {
		return err
	}
	v := ownerviews.VehiclesView{Page: h.layout(c, render.T(c, "owner.title")), ReadOnly: who.ReadOnly}
	v.Banner = who.Banner
	v.Greeting = render.T(c, "owner.greeting_anon")
	if first := strings.Fields(who.Owner.Name); len(first) > 0 {
		v.Greeting = render.T(c, "owner.greeting", map[string]any{"Name": first[0]})
	}
	need := 0
	for _, veh := range vs {
		v.Vehicles = append(v.Vehicles, h.vehicleCard(ctx, veh))
		if veh.State.NeedsOwner() {
			need++
		}
	}
	switch {
	case len(vs) == 0:
		v.Summary = render.T(c, "owner.no_vehicles")
	case need == 0:
		v.Summary = render.T(c, "owner.summary_none", map[string]any{"App": h.AppName})
	default:
		v.Summary = render.T(c, "owner.summary_some", map[string]any{"Count": need})
	}
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
	if inAppBrowser(c.Request().UserAgent()) {
		v.InApp = ownerviews.InApp{Show: true, URL: h.PublicBaseURL + paths.OwnerPage()}
	}
	return render.HTML(c, 200, ownerviews.Vehicles(v))
}
