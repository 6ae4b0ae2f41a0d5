package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/database"
	"reconnect/internal/store"
	"reconnect/views/pages"
	"reconnect/web/middleware"
)

// APIError is an error for API clients: a status, a machine code, a message
// and, for bad input, the field that is wrong.
type APIError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *APIError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// fieldError reports bad input in one field.
func fieldError(field, msg string) *APIError {
	return &APIError{Status: http.StatusUnprocessableEntity, Code: "invalid_field", Field: field, Message: msg}
}

// classify maps any error to a status and a message key that is safe to show.
func classify(err error) (status int, key string) {
	var he *echo.HTTPError
	var ae *APIError
	switch {
	case errors.As(err, &ae):
		return ae.Status, ""
	case errors.Is(err, middleware.ErrCSRF):
		return http.StatusForbidden, "error.csrf"
	case errors.Is(err, errReadOnly):
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
// HTML error page, or JSON for machine clients.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if s.consoleError(err, c) {
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

	if isMachine(req) {
		body := map[string]any{}
		var ae *APIError
		if errors.As(err, &ae) {
			body["error"] = ae
		} else {
			msg := http.StatusText(status)
			var he *echo.HTTPError
			if errors.As(err, &he) && status < 500 {
				msg = fmt.Sprint(he.Message)
			}
			if errors.Is(err, middleware.ErrCSRF) {
				msg = "missing or invalid CSRF token"
			}
			body["error"] = &APIError{Code: strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_"), Message: msg}
		}
		if req.Method == http.MethodHead {
			_ = c.NoContent(status)
			return
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
	msg := t(c, key)
	if msg == key {
		msg = http.StatusText(status)
	}
	v := pages.ErrorView{Page: s.page(c, t(c, "error.title")), Status: status, Message: msg}
	if rerr := render(c, status, pages.Error(v)); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		_ = c.String(status, msg)
	}
}

// isMachine reports whether the client wants JSON rather than a page.
func isMachine(r *http.Request) bool {
	p := r.URL.Path
	return strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/webhooks/") ||
		strings.Contains(r.Header.Get("Accept"), "application/json") && !strings.Contains(r.Header.Get("Accept"), "text/html")
}
