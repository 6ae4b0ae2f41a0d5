package web

import (
	"github.com/labstack/echo/v4"

	"reconnect/views/pages"
)

func (s *Server) homePage(c echo.Context) error {
	return render(c, 200, pages.Home(pages.HomeView{Page: s.page(c, t(c, "home.title"))}))
}
