package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/model"
	"reconnect/internal/repair"
	"reconnect/internal/smartcar"
	"reconnect/views/owner"
)

// connectCallback is where Smartcar Connect sends the owner back. The state
// must belong to this browser session; the result is shown on this response
// (the state is spent, so a reload shows the expired-page explanation).
func (s *Server) connectCallback(c echo.Context) error {
	visit := repair.Visit{SessionID: s.sessions.SID(c)}
	if id, ok := s.sessions.OwnerID(c); ok {
		visit.OwnerID = &id
	}
	if l, ok := s.sessions.LinkID(c); ok {
		visit.LinkID = &l
	}
	res, err := s.repair.Callback(c.Request().Context(), visit, c.QueryParams())
	if res.Owner != nil {
		s.localizeFor(c, *res.Owner)
	}
	switch {
	case errors.Is(err, repair.ErrBadState), errors.Is(err, repair.ErrStateExpired),
		errors.Is(err, repair.ErrStateReplayed), errors.Is(err, repair.ErrStateSession),
		errors.Is(err, repair.ErrVehicleMissing):
		s.log.Warn("connect callback refused", "reason", err)
		v := owner.ResultView{Page: s.page(c, t(c, "state.title")), Heading: t(c, "state.title"), Body: t(c, "state.body"), Next: t(c, "state.next")}
		return render(c, http.StatusBadRequest, owner.Result(v))
	case err != nil:
		return err
	}
	car := carTitle(res.Vehicle)
	data := map[string]any{"Car": car, "App": s.cfg.AppName, "Make": makeName(res.Vehicle.Make)}
	v := owner.ResultView{Page: s.page(c, t(c, "result.error_title"))}
	switch res.Outcome {
	case repair.Fixed:
		v.Success, v.Heading, v.Body = true, t(c, "result.fixed_title"), t(c, "result.fixed_body", data)
		v.Title = v.Heading
		if res.ReturnURL != "" {
			v.ReturnURL, v.ReturnTo = res.ReturnURL, t(c, "result.back", data)
		}
	case repair.ConnectFailed:
		code := string(res.ConnectError)
		switch res.ConnectError {
		case smartcar.ConnectAccessDenied, smartcar.ConnectInvalidSubscription, smartcar.ConnectNoVehicles,
			smartcar.ConnectVehicleIncompatible, smartcar.ConnectConfigurationError:
		default:
			code = string(smartcar.ConnectServerError)
		}
		v.Heading, v.Body, v.Next = t(c, "result.error_title"), t(c, "connect."+code, data), t(c, "connect."+code+"_next", data)
		card := s.vehicleCard(c.Request().Context(), res.Vehicle)
		v.RetryVehicle = &card
	case repair.NotVerified:
		v.Heading, v.Body, v.Next = t(c, "result.unverified_title"), t(c, "result.unverified_body", data), t(c, "result.unverified_next")
		if rk, _ := reasonKeys(res.Vehicle); rk != "" && res.Vehicle.State != model.StateConnected {
			v.Body += " " + t(c, rk, data)
		}
		card := s.vehicleCard(c.Request().Context(), res.Vehicle)
		v.RetryVehicle = &card
	}
	v.Path = "/me"
	return render(c, http.StatusOK, owner.Result(v))
}
