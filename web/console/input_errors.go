package console

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/i18n"
	"reconnect/internal/staff"
)

// inputMessage says what is wrong with a form field in the staff member's
// language. The staff service words its refusals in English for logs and
// the command line; the console knows them by their text and says each in
// the page's language, and one it does not know stays as the service
// wrote it.
func inputMessage(c echo.Context, bad *staff.InputError) string {
	ctx := c.Request().Context()
	if id, ok := inputMessages[bad.Message]; ok {
		return i18n.T(ctx, id, map[string]any{"Min": staff.MinPasswordLength})
	}
	if strings.HasPrefix(bad.Message, "This ") {
		// A text field refused by textcheck: control characters, broken
		// text or too long.
		return i18n.T(ctx, "console.input.text")
	}
	return bad.Message
}

var inputMessages = map[string]string{
	"Say why you need to see the owner's pages (for example the ticket number).": "console.input.reason",
	"Enter an email address such as name@example.com.":                           "console.input.email",
	`Choose "agent" or "admin".`:                                                 "console.input.role",
	"Use at least " + strconv.Itoa(staff.MinPasswordLength) + " characters.":     "console.input.password_short",
	"Do not use your email address as the password.":                             "console.input.password_email",
	"The two passwords differ.":                                                  "console.input.password_differ",
}
