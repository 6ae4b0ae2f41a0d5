package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/store"
)

var errUnauthorized = &APIError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "send a valid API key as Authorization: Bearer <key>"}

// apiAuth admits host backends that present a valid API key.
func (s *Server) apiAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get("Authorization")
		key, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || key == "" {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="reconnect"`)
			return errUnauthorized
		}
		if _, err := s.store.APIKeyBySecret(c.Request().Context(), strings.TrimSpace(key)); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="reconnect", error="invalid_token"`)
				return errUnauthorized
			}
			return err
		}
		return next(c)
	}
}
