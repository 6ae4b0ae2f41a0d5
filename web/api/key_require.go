package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/store"
	"reconnect/web/render"
)

var errUnauthorized = &render.APIError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "send a valid API key as Authorization: Bearer <key>"}

// RequireKey admits host backends that present a valid API key.
func (h *Handler) RequireKey(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if !ok || key == "" {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="reconnect"`)
			return errUnauthorized
		}
		k, err := h.Store.APIKeyBySecret(c.Request().Context(), strings.TrimSpace(key))
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="reconnect", error="invalid_token"`)
				return errUnauthorized
			}
			return err
		}
		c.Set(apiKeyNameKey, k.Name)
		return next(c)
	}
}

const apiKeyNameKey = "api_key_name"

// apiKeyName names the key the request came with, for the audit log.
func apiKeyName(c echo.Context) string {
	name, _ := c.Get(apiKeyNameKey).(string)
	return name
}
