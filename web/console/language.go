package console

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// LanguageSubmit stores the console language the signed-in staff member
// chose (a supported tag, or empty to follow the browser) and goes back to
// the console page they were on. The choice is audited.
func (con *Handler) LanguageSubmit(c echo.Context) error {
	cur, _ := currentStaff(c)
	tag := ""
	if want := c.FormValue("lang"); want != "" {
		got, ok := con.I18n.Supports(want)
		if !ok {
			return echo.NewHTTPError(http.StatusBadRequest)
		}
		tag = got
	}
	if tag != cur.Staff.Locale {
		if err := con.Staff.SetLanguage(c.Request().Context(), cur, con.actor(c, cur), tag); err != nil {
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, consoleNext(c.FormValue("next")))
}
