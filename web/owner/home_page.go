package owner

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/views/pages"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// HomePage greets visitors who came without a link. An owner who is
// signed in goes to their page: the header's brand link, "Back" without a
// return address and the error pages all lead here.
func (h *Handler) HomePage(c echo.Context) error {
	if _, ok := h.Sessions.OwnerID(c); ok {
		return c.Redirect(http.StatusSeeOther, paths.OwnerPage())
	}
	return render.HTML(c, 200, pages.Home(pages.HomeView{Page: h.layout(c, render.T(c, "home.title"))}))
}
