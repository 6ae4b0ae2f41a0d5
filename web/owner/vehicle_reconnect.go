package owner

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"reconnect/internal/model"
	"reconnect/internal/repair"
	"reconnect/internal/store"
	"reconnect/web/paths"
)

// VehicleReconnect starts a trip to Smartcar Connect for one vehicle and
// answers 303 with the Connect URL.
func (h *Handler) VehicleReconnect(c echo.Context) error {
	who, err := h.Viewer.Current(c)
	if err != nil {
		return h.pageError(c, err)
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	flow := store.FlowReauth
	if c.FormValue("flow") == store.FlowConnect {
		flow = store.FlowConnect
	}
	start := repair.Start{Owner: who.Owner, VehicleID: id, SessionID: who.SID, LinkID: who.LinkID, Flow: flow}
	if st, ok := h.campaignOf(c.Request().Context(), model.Vehicle{ID: id}); ok && !st.Done && st.Member.OwnerID != nil && *st.Member.OwnerID == who.Owner.ID {
		start.Campaign = &st.Campaign
	}
	target, err := h.Repair.Begin(c.Request().Context(), start)
	switch {
	case errors.Is(err, repair.ErrNotYours):
		return echo.ErrNotFound
	case errors.Is(err, repair.ErrNothingToDo):
		return c.Redirect(http.StatusSeeOther, paths.OwnerPage())
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, target)
}
