package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/timeline"
)

// OwnerEventsCSV streams the owner's whole timeline as CSV, with the same
// sentences the support console shows.
func (h *Handler) OwnerEventsCSV(c echo.Context) error {
	ctx := c.Request().Context()
	owner, err := h.Store.OwnerByHostID(ctx, c.Param("host_user_id"))
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	hd.Set("Content-Disposition", `attachment; filename="events.csv"`)
	hd.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	if err := timeline.WriteCSV(ctx, h.Store, c.Response(), owner.ID); err != nil {
		// The header is out; all that is left is to stop and log.
		h.Log.Error("timeline export failed", "err", err)
	}
	return nil
}
