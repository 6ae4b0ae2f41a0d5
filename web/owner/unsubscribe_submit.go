package owner

import (
	"errors"

	"github.com/labstack/echo/v4"

	"reconnect/internal/store"
)

// UnsubscribeSubmit serves the page's button and the RFC 8058 one-click
// POST (body "List-Unsubscribe=One-Click") alike.
func (h *Handler) UnsubscribeSubmit(c echo.Context) error {
	if h.Unsubscriber == nil {
		return echo.ErrNotFound
	}
	via := "page"
	if c.FormValue("List-Unsubscribe") == "One-Click" {
		via = "one-click"
	}
	o, _, err := h.Unsubscriber.Unsubscribe(c.Request().Context(), c.Param("token"), via)
	if errors.Is(err, store.ErrNotFound) {
		return h.renderUnsubscribeInvalid(c)
	}
	if err != nil {
		return err
	}
	h.Viewer.LocalizeFor(c, o)
	return h.renderUnsubscribed(c)
}
