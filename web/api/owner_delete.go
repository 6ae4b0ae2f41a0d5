package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/audit"
	"reconnect/internal/erasure"
	"reconnect/web/render"
)

// OwnerDelete erases the owner's personal data. A repeat answers 404: the
// erasure keeps no host user id to recognise the owner by, and keeping one
// only to answer 204 would keep the very identifier the host asked us to
// forget.
func (h *Handler) OwnerDelete(c echo.Context) error {
	by := audit.Actor{StaffEmail: "(API key " + apiKeyName(c) + ")", IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
	err := h.Erasure.Erase(c.Request().Context(), c.Param("host_user_id"), by)
	if errors.Is(err, erasure.ErrUnknownOwner) {
		return &render.APIError{Status: http.StatusNotFound, Code: "owner_not_found", Message: "no owner with that host_user_id (an erased owner is not known any more)"}
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
