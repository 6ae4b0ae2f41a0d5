package owner

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/links"
	ownerviews "reconnect/views/owner"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// renderLinkStatus explains a link that cannot be used.
func (h *Handler) renderLinkStatus(c echo.Context, st links.Status) error {
	key := "link.unknown"
	status := http.StatusNotFound
	switch st {
	case links.Expired:
		key, status = "link.expired", http.StatusGone
	case links.Used:
		key, status = "link.used", http.StatusGone
	}
	return h.renderLinkProblem(c, status, render.T(c, key), render.T(c, "link.explain"))
}

func (h *Handler) renderLinkProblem(c echo.Context, status int, heading, explain string) error {
	v := ownerviews.LinkProblemView{Page: h.layout(c, heading), Heading: heading, Explain: explain}
	v.Path = paths.Home()
	return render.HTML(c, status, ownerviews.LinkProblem(v))
}
