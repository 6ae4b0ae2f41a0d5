package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"reconnect/internal/repair"
	"reconnect/views/owner"
)

func (s *Server) declineView(c echo.Context, who viewer, id int64) (owner.DeclineView, error) {
	veh, err := s.store.VehicleByID(c.Request().Context(), id)
	if err != nil || veh.OwnerID == nil || *veh.OwnerID != who.Owner.ID {
		return owner.DeclineView{}, echo.ErrNotFound
	}
	v := owner.DeclineView{Page: s.page(c, t(c, "decline.title")), Vehicle: s.vehicleCard(c.Request().Context(), veh)}
	v.Banner = who.Banner
	for _, r := range repair.DeclineReasons {
		v.Reasons = append(v.Reasons, owner.Option{Value: r, Label: t(c, "decline."+r, map[string]any{"App": s.cfg.AppName})})
	}
	return v, nil
}

// vehicleDeclinePage asks why the owner does not want to reconnect.
func (s *Server) vehicleDeclinePage(c echo.Context) error {
	who, err := s.currentViewer(c)
	if err != nil {
		return s.ownerPageError(c, err)
	}
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	v, err := s.declineView(c, who, id)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, owner.Decline(v))
}

// vehicleDeclineSubmit records the reason; without one the form comes back
// with an error.
func (s *Server) vehicleDeclineSubmit(c echo.Context) error {
	who, err := s.currentViewer(c)
	if err != nil {
		return s.ownerPageError(c, err)
	}
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	reason := c.FormValue("reason")
	veh, err := s.repair.Decline(c.Request().Context(), who.Owner.ID, id, reason)
	switch {
	case errors.Is(err, repair.ErrNotYours):
		return echo.ErrNotFound
	case errors.Is(err, repair.ErrBadReason):
		v, verr := s.declineView(c, who, id)
		if verr != nil {
			return verr
		}
		v.Error = t(c, "decline.choose")
		return render(c, http.StatusUnprocessableEntity, owner.Decline(v))
	case err != nil:
		return err
	}
	msg := t(c, "decline.done", map[string]any{"Car": carTitle(veh)})
	if reason == repair.DeclineRemindLater {
		msg = t(c, "decline.snoozed", map[string]any{"Car": carTitle(veh)})
	}
	if err := s.sessions.SetFlash(c, msg); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/me")
}
