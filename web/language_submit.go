package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// languageSubmit remembers the visitor's language and returns to the page.
func (s *Server) languageSubmit(c echo.Context) error {
	lang := s.i18n.Match(c.FormValue("lang"))
	if err := s.sessions.SetLocale(c, lang); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeNext(c.FormValue("next")))
}
