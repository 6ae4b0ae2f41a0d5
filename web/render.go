package web

import (
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"reconnect/internal/i18n"
	"reconnect/views/layouts"
	"reconnect/web/middleware"
)

// render writes a component only after it rendered completely into a
// buffer, so a failing component reaches the error handler before any byte.
func render(c echo.Context, status int, comp templ.Component) error {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := comp.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// page fills the view model every page starts from.
func (s *Server) page(c echo.Context, title string) layouts.Page {
	ctx := c.Request().Context()
	return layouts.Page{
		Title:     title,
		AppName:   s.cfg.AppName,
		Lang:      i18n.From(ctx).Lang(),
		CSRF:      middleware.CSRFToken(ctx),
		Path:      c.Request().URL.Path,
		Languages: i18n.Supported,
	}
}

// t translates in the request's language.
func t(c echo.Context, id string, data ...map[string]any) string {
	return i18n.T(c.Request().Context(), id, data...)
}

func strconvFormat(n int64) string { return strconv.FormatInt(n, 10) }
