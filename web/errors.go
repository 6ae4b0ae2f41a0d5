package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/database"
	"reconnect/internal/store"
	"reconnect/internal/textcheck"
	"reconnect/views/pages"
	"reconnect/web/middleware"
	"reconnect/web/paths"
	"reconnect/web/render"
	"reconnect/web/viewer"
)

// classify maps any error to a status and a message key that is safe to show.
func classify(err error) (status int, key string) {
	var he *echo.HTTPError
	var ae *render.APIError
	var te *textcheck.Error
	switch {
	case errors.As(err, &ae):
		return ae.Status, ""
	case errors.As(err, &te):
		return http.StatusUnprocessableEntity, "error.text_field"
	case errors.Is(err, middleware.ErrCSRF):
		return http.StatusForbidden, "error.csrf"
	case errors.Is(err, viewer.ErrReadOnly):
		return http.StatusForbidden, "error.403"
	case errors.As(err, &he):
		return he.Code, ""
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, ""
	case database.IsUnavailable(err):
		return http.StatusServiceUnavailable, ""
	}
	return http.StatusInternalServerError, ""
}

// handleError is the one error handler: it logs once and answers with an
// HTML error page, or JSON for machine clients. An error that knows its own
// answer (render.Responder: the console's, about staff viewing as an owner)
// gives it instead.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var own render.Responder
	if errors.As(err, &own) {
		own.Respond(c)
		return
	}
	status, key := classify(err)
	req := c.Request()
	attrs := []any{"err", err, "status", status, "route", c.Path(), "id", c.Response().Header().Get(echo.HeaderXRequestID)}
	switch {
	case status >= 500:
		s.log.Error("request failed", attrs...)
	case status != http.StatusNotFound:
		s.log.Warn("request refused", attrs...)
	}

	if render.IsMachine(req) {
		body := map[string]any{}
		var ae *render.APIError
		var te *textcheck.Error
		switch {
		case errors.As(err, &ae):
			body["error"] = ae
		case errors.As(err, &te):
			body["error"] = render.FieldError(te.Field, te.Message)
		default:
			msg := http.StatusText(status)
			var he *echo.HTTPError
			if errors.As(err, &he) && status < 500 {
				msg = fmt.Sprint(he.Message)
			}
			if errors.Is(err, middleware.ErrCSRF) {
				msg = "missing or invalid CSRF token"
			}
			body["error"] = &render.APIError{Code: strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_"), Message: msg}
		}
		_ = c.JSON(status, body)
		return
	}
	if key == "" {
		key = fmt.Sprintf("error.%d", status)
		if status >= 500 && status != 503 {
			key = "error.500"
		}
	}
	var data map[string]any
	if te := (*textcheck.Error)(nil); errors.As(err, &te) {
		data = map[string]any{"Field": te.Field}
	}
	msg := render.T(c, key, data)
	if msg == key {
		msg = http.StatusText(status)
	}
	v := pages.ErrorView{Page: render.Layout(c, s.appName, render.T(c, "error.title")), Status: status, Message: msg}
	if !strings.HasPrefix(c.Request().URL.Path, paths.RouteConsole) {
		v.Brand = s.brand.Page()
	}
	v.SupportURL, v.SupportEmail = s.support.URL, s.support.Email
	if rerr := render.HTML(c, status, pages.Error(v)); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		_ = c.String(status, msg)
	}
}
