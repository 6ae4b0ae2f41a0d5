package console

import (
	"errors"
	"net/http"
	"net/url"
	"reconnect/internal/i18n"
	"strconv"

	"github.com/labstack/echo/v4"

	"reconnect/internal/store"
	"reconnect/internal/vehicletext"
	consoleviews "reconnect/views/console"
	"reconnect/web/middleware"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// FailedEvents lists received events that failed for good, newest first,
// with the error, the event id and the vehicle, each with a retry button.
func (con *Handler) FailedEvents(c echo.Context) error {
	ctx := c.Request().Context()
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	const pageSize = 100
	rows, err := con.Store.InboundWebhooks(ctx, store.InboxFailed, store.Page{Before: before, Limit: pageSize})
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		if r.VehicleID != "" {
			ids = append(ids, r.VehicleID)
		}
	}
	known, err := con.Store.VehiclesBySmartcarIDs(ctx, ids)
	if err != nil {
		return err
	}
	v := consoleviews.FailedEventsView{Chrome: con.chrome(c, i18n.T(c.Request().Context(), "console.failed.title"), "webhooks"),
		CSRF: middleware.CSRFToken(ctx), CanRetry: con.Inbox != nil}
	for _, r := range rows {
		row := consoleviews.FailedEventRow{ID: r.ID, ReceivedAt: r.ReceivedAt, FailedAt: r.ProcessedAt, Source: r.Source,
			Type: r.EventType, EventID: r.EventID, VehicleID: r.VehicleID, Error: clipText(r.Error, 300),
			RetryURL: paths.ConsoleFailedEventRetry(r.ID)}
		if veh, ok := known[r.VehicleID]; ok && veh.OwnerID != nil {
			row.Vehicle, row.OwnerURL = vehicletext.Title(veh), paths.ConsoleOwner(*veh.OwnerID)
		}
		v.Rows = append(v.Rows, row)
	}
	if len(rows) == pageSize {
		v.OlderURL = paths.ConsoleFailedEvents(url.Values{"before": {strconv.FormatInt(rows[len(rows)-1].ID, 10)}})
	}
	return render.HTML(c, http.StatusOK, consoleviews.FailedEvents(v))
}

// FailedEventRetry puts one failed event back in line; the processor
// applies it again, and the audit log names who asked.
func (con *Handler) FailedEventRetry(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if con.Inbox == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "retrying is not available")
	}
	cur, _ := currentStaff(c)
	_, err = con.Inbox.RetryFailed(c.Request().Context(), id, con.actor(c, cur))
	switch {
	case errors.Is(err, store.ErrNotFound):
		con.flash(c, noticeNotFailed, 0)
	case err != nil:
		return err
	default:
		con.flash(c, noticeRetried, 0)
	}
	return c.Redirect(http.StatusSeeOther, paths.ConsoleFailedEvents(nil))
}
