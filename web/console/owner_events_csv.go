package console

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"reconnect/internal/audit"
	"reconnect/internal/model"
	"reconnect/internal/timeline"
)

// OwnerEventsCSV streams the owner's whole timeline as CSV, in the
// sentences the page shows. The download is audited first, like a look at
// the owner, so even a failed one leaves a trace.
func (con *Handler) OwnerEventsCSV(c echo.Context) error {
	o, err := con.ownerParam(c)
	if err != nil {
		return err
	}
	cur, _ := currentStaff(c)
	ctx := c.Request().Context()
	if err := con.Audit.RecordLook(ctx, audit.Entry{Actor: con.actor(c, cur), Owner: &o, Action: model.AuditTimelineExported}); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="owner-`+strconv.FormatInt(o.ID, 10)+`-timeline.csv"`)
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	if err := timeline.WriteCSV(ctx, con.Store, c.Response(), o.ID); err != nil {
		// The header is out; all that is left is to stop and log.
		con.Log.Error("timeline export failed", "err", err)
	}
	return nil
}
