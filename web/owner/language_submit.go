package owner

import (
	"net/http"

	"reconnect/web/paths"

	"github.com/labstack/echo/v4"
)

// LanguageSubmit remembers the visitor's language and returns to the page.
func (h *Handler) LanguageSubmit(c echo.Context) error {
	lang := h.I18n.Match(c.FormValue("lang"))
	if err := h.Sessions.SetLocale(c, lang); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, paths.SafeNext(c.FormValue("next")))
}
