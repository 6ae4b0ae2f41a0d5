package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/links"
	"reconnect/views/owner"
)

// linkLanding shows what a link is for and asks for one click. A GET never
// uses the link up: mail scanners fetch every link in a message.
func (s *Server) linkLanding(c echo.Context) error {
	token := c.Param("token")
	r, err := s.links.Resolve(c.Request().Context(), token)
	if err != nil {
		return err
	}
	if !r.Status.Usable() {
		return s.renderLinkStatus(c, r.Status)
	}
	_ = s.store.MarkLinkViewed(c.Request().Context(), r.Link.ID)
	s.localizeFor(c, r.Owner)
	v := owner.LandingView{Page: s.page(c, t(c, "landing.title")), Action: "/l/" + token}
	data := map[string]any{"App": s.cfg.AppName}
	if r.Vehicle != nil {
		data["Car"] = carTitle(*r.Vehicle)
		v.Heading, v.Intro = t(c, "landing.title"), t(c, "landing.intro", data)
		if r.Status == links.AlreadyFixed {
			v.Fixed = t(c, "landing.fixed", data)
		}
	} else {
		v.Heading, v.Intro = t(c, "landing.title_all", data), t(c, "landing.intro_all", data)
		// Say which car is broken: the owner came because something is wrong.
		vs, err := s.store.VehiclesByOwner(c.Request().Context(), r.Owner.ID)
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
			v.Heading, v.Intro = t(c, "landing.title"), t(c, "landing.intro", data)
		default:
			data["Count"] = len(broken)
			v.Heading, v.Intro = t(c, "landing.title_many"), t(c, "landing.intro_many", data)
		}
	}
	// The language switcher must not send the token back through "next".
	v.Path = "/"
	if inAppBrowser(c.Request().UserAgent()) {
		v.InApp.Show, v.InApp.URL = true, s.cfg.PublicBaseURL+"/l/"+token
	}
	return render(c, http.StatusOK, owner.Landing(v))
}

func (s *Server) renderLinkStatus(c echo.Context, st links.Status) error {
	key := "link.unknown"
	status := http.StatusNotFound
	switch st {
	case links.Expired:
		key, status = "link.expired", http.StatusGone
	case links.Used:
		key, status = "link.used", http.StatusGone
	}
	return s.renderLinkProblem(c, status, t(c, key), t(c, "link.explain"))
}

func (s *Server) renderLinkProblem(c echo.Context, status int, heading, explain string) error {
	v := owner.LinkProblemView{Page: s.page(c, heading), Heading: heading, Explain: explain}
	v.Path = "/"
	return render(c, status, owner.LinkProblem(v))
}
