package middleware

import (
	"github.com/labstack/echo/v4"

	"reconnect/internal/textcheck"
)

// TextInput refuses a page request any of whose form fields or query
// parameters is not clean text (textcheck): invalid UTF-8, a control
// character other than TAB and line breaks, or longer than
// textcheck.FormValue. It runs for every page, so no handler can forget
// it; handlers still apply the narrower limit of each field they read
// (and refuse line breaks where a field is one line). The error is a
// *textcheck.Error, which the error handler answers with 422 naming the
// field.
func TextInput(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		query := c.QueryParams()
		form, err := c.FormParams()
		if err != nil {
			// Not a form body this middleware can read; the handler decides.
			form = nil
		}
		for _, vs := range []map[string][]string{query, form} {
			for k, values := range vs {
				if err := textcheck.Line("field name", k, textcheck.FormValue); err != nil {
					return err
				}
				for _, v := range values {
					if err := textcheck.Text(k, v, textcheck.FormValue); err != nil {
						return err
					}
				}
			}
		}
		return next(c)
	}
}
