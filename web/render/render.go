// Package render is what every audience's handlers share to answer: a page
// rendered whole before a byte is written, the view model every page starts
// from, translation in the request's language, and the API's error shape.
// It sits below the audience packages, which never import each other.
package render

import (
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"reconnect/internal/i18n"
	"reconnect/internal/model"
	"reconnect/views/layouts"
	"reconnect/web/middleware"
	"reconnect/web/paths"
)

// HTML writes a component only after it rendered completely into a
// buffer, so a failing component reaches the error handler before any byte.
func HTML(c echo.Context, status int, comp templ.Component) error {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := comp.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// Layout fills the view model every page starts from.
func Layout(c echo.Context, appName, title string) layouts.Page {
	ctx := c.Request().Context()
	return layouts.Page{
		Title:     title,
		AppName:   appName,
		Lang:      i18n.From(ctx).Lang(),
		CSRF:      middleware.CSRFToken(ctx),
		Path:      c.Request().URL.Path,
		Languages: i18n.Supported,
	}
}

// T translates in the request's language.
func T(c echo.Context, id string, data ...map[string]any) string {
	return i18n.T(c.Request().Context(), id, data...)
}

// IsMachine reports whether the client wants JSON rather than a page.
func IsMachine(r *http.Request) bool {
	p := r.URL.Path
	return strings.HasPrefix(p, paths.APITree) || strings.HasPrefix(p, paths.WebhookTree) ||
		strings.Contains(r.Header.Get("Accept"), "application/json") && !strings.Contains(r.Header.Get("Accept"), "text/html")
}

var chipTones = map[model.State]string{
	model.StateConnected: "ok", model.StateNeedsReauth: "danger", model.StateNeedsOEMAction: "warn",
	model.StateNeedsVirtualKey: "warn", model.StateReconnecting: "info", model.StateDeclined: "neutral",
}

// ChipTone is the colour of a state's chip, the same on the owner's pages
// and in the console.
func ChipTone(st model.State) string { return chipTones[st] }

// Responder is an error that knows its own answer. The one error handler
// lets it answer instead of the generic error page: the console's answers
// to staff viewing as an owner travel this way from the owner's handlers,
// which cannot know the console.
type Responder interface {
	error
	Respond(c echo.Context)
}
