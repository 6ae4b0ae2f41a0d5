package owner

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"reconnect/internal/repair"
	ownerviews "reconnect/views/owner"
	"reconnect/web/paths"
	"reconnect/web/render"
	"reconnect/web/session"
	"reconnect/web/viewer"
)

func (h *Handler) declineView(c echo.Context, who viewer.Viewer, id int64) (ownerviews.DeclineView, error) {
	veh, err := h.Store.VehicleByID(c.Request().Context(), id)
	if err != nil || veh.OwnerID == nil || *veh.OwnerID != who.Owner.ID {
		return ownerviews.DeclineView{}, echo.ErrNotFound
	}
	v := ownerviews.DeclineView{Page: h.layout(c, render.T(c, "decline.title")), Vehicle: h.vehicleCard(c.Request().Context(), veh)}
	v.Banner = who.Banner
	for _, r := range repair.DeclineReasons {
		v.Reasons = append(v.Reasons, ownerviews.Option{Value: r, Label: render.T(c, "decline."+r, map[string]any{"App": h.AppName})})
	}
	return v, nil
}

// VehicleDeclinePage asks why the owner does not want to reconnect.
func (h *Handler) VehicleDeclinePage(c echo.Context) error {
	who, err := h.Viewer.Current(c)
	if err != nil {
		return h.pageError(c, err)
	}
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	v, err := h.declineView(c, who, id)
	if err != nil {
		return err
	}
	return render.HTML(c, http.StatusOK, ownerviews.Decline(v))
}

// VehicleDeclineSubmit records the reason; without one the form comes back
// with an error.
func (h *Handler) VehicleDeclineSubmit(c echo.Context) error {
	who, err := h.Viewer.Current(c)
	if err != nil {
		return h.pageError(c, err)
	}
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	reason := c.FormValue("reason")
	veh, err := h.Repair.Decline(c.Request().Context(), who.Owner.ID, id, reason)
	switch {
	case errors.Is(err, repair.ErrNotYours):
		return echo.ErrNotFound
	case errors.Is(err, repair.ErrBadReason):
		v, verr := h.declineView(c, who, id)
		if verr != nil {
			return verr
		}
		v.Error = render.T(c, "decline.choose")
		return render.HTML(c, http.StatusUnprocessableEntity, ownerviews.Decline(v))
	case err != nil:
		return err
	}
	notice := session.Notice{Key: "decline.done", VehicleID: veh.ID}
	if reason == repair.DeclineRemindLater {
		notice.Key = "decline.snoozed"
	}
	// The decline is committed: a notice that cannot be kept is logged,
	// never a 5xx that would make the owner think it failed.
	if err := h.Sessions.SetFlash(c, notice); err != nil {
		h.Log.Error("decline: keep the notice", "err", err, "vehicle", veh.ID)
	}
	return c.Redirect(http.StatusSeeOther, paths.OwnerPage())
}
