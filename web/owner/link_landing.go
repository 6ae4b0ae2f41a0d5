package owner

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/links"
	ownerviews "reconnect/views/owner"
	"reconnect/web/middleware"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// LinkLanding shows what a link is for and asks for one click. A GET never
// uses the link up: mail scanners fetch every link in a message.
func (h *Handler) LinkLanding(c echo.Context) error {
	token := c.Param("token")
	r, err := h.Links.Resolve(c.Request().Context(), token)
	if err != nil {
		return err
	}
	if !r.Status.Usable() {
		return h.renderLinkStatus(c, token, r)
	}
	// A scanner's fetch is not a view, nor is a HEAD (a mail gateway's
	// check); a GET never opens anything either way.
	if auto, _ := links.IsAutomated(c.Request()); !auto && !middleware.IsHead(c) {
		_ = h.Store.MarkLinkViewed(c.Request().Context(), r.Link.ID)
	}
	h.Viewer.LocalizeFor(c, r.Owner)
	v := ownerviews.LandingView{Page: h.layout(c, render.T(c, "landing.title")), Action: paths.Link(token)}
	data := map[string]any{"App": h.AppName}
	if r.Vehicle != nil {
		data["Car"] = carTitle(*r.Vehicle)
		v.Heading, v.Intro = render.T(c, "landing.title"), render.T(c, "landing.intro", data)
		if r.Status == links.AlreadyFixed {
			// Nothing to repair: say so, and offer the page, not "Continue".
			v.Heading, v.Fixed = render.T(c, "landing.title_all", data), render.T(c, "landing.fixed", data)
		}
	} else {
		v.Heading, v.Intro = render.T(c, "landing.title_all", data), render.T(c, "landing.intro_all", data)
		// Say which car is broken: the owner came because something is wrong.
		vs, err := h.Store.VehiclesByOwner(c.Request().Context(), r.Owner.ID)
		if err != nil {
			return err
		}
		var broken []string
		for _, veh := range vs {
			if veh.State.NeedsOwner() {
				broken = append(broken, carTitle(veh))
			}
		}
		switch len(broken) {
		case 0:
		case 1:
			data["Car"] = broken[0]
			v.Heading, v.Intro = render.T(c, "landing.title"), render.T(c, "landing.intro", data)
		default:
			data["Count"] = len(broken)
			v.Heading, v.Intro = render.T(c, "landing.title_many"), render.T(c, "landing.intro_many", data)
		}
	}
	// The switcher reloads this very page with ?lang=: a GET uses nothing up.
	v.Path = paths.Link(token)
	v.InApp = inAppOffer(c.Request().UserAgent(), h.PublicBaseURL+paths.Link(token))
	return render.HTML(c, http.StatusOK, ownerviews.Landing(v))
}
