package owner

import (
	"github.com/labstack/echo/v4"

	"reconnect/views/pages"
	"reconnect/web/render"
)

// HomePage greets visitors who came without a link.
func (h *Handler) HomePage(c echo.Context) error {
	return render.HTML(c, 200, pages.Home(pages.HomeView{Page: h.layout(c, render.T(c, "home.title"))}))
}
