package owner

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/links"
	ownerviews "reconnect/views/owner"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// renderLinkStatus explains a link that cannot be used. When the link
// still names its owner (expired, or an in-app link already used), a
// fresh one is one button away: nobody has to type an address.
func (h *Handler) renderLinkStatus(c echo.Context, token string, r links.Resolved) error {
	key := "link.unknown"
	status := http.StatusNotFound
	switch r.Status {
	case links.Expired:
		key, status = "link.expired", http.StatusGone
	case links.Used:
		key, status = "link.used", http.StatusGone
	}
	heading := render.T(c, key)
	v := ownerviews.LinkProblemView{Page: h.layout(c, heading), Heading: heading, Explain: render.T(c, "link.explain")}
	if h.canRenew(r) {
		h.Viewer.LocalizeFor(c, r.Owner)
		heading = render.T(c, key)
		v = ownerviews.LinkProblemView{Page: h.layout(c, heading), Heading: heading, Explain: render.T(c, "link.explain_known"), Renew: paths.LinkRenew(token)}
	}
	v.Path = c.Request().URL.Path
	return render.HTML(c, status, ownerviews.LinkProblem(v))
}

// canRenew reports whether "email me a new link" can go to the link's
// owner without asking for the address.
func (h *Handler) canRenew(r links.Resolved) bool {
	return h.FreshLinks != nil && r.Owner.ID != 0 && r.Owner.Email != "" && (r.Status == links.Expired || r.Status == links.Used)
}

func (h *Handler) renderLinkProblem(c echo.Context, status int, heading, explain string) error {
	v := ownerviews.LinkProblemView{Page: h.layout(c, heading), Heading: heading, Explain: explain}
	v.Path = c.Request().URL.Path
	return render.HTML(c, status, ownerviews.LinkProblem(v))
}

// renderLinkSent says a fresh link is on its way: the heading is about
// what to do now, not about the old link.
func (h *Handler) renderLinkSent(c echo.Context) error {
	heading := render.T(c, "link.check_email")
	v := ownerviews.LinkProblemView{Page: h.layout(c, heading), Heading: heading, Sent: true}
	v.Path = paths.Home()
	return render.HTML(c, http.StatusOK, ownerviews.LinkProblem(v))
}
