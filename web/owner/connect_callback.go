package owner

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/i18n"
	"reconnect/internal/model"
	"reconnect/internal/repair"
	"reconnect/internal/smartcar"
	"reconnect/internal/vehicletext"
	ownerviews "reconnect/views/owner"
	"reconnect/web/middleware"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// ConnectCallback is where Smartcar Connect sends the owner back. The state
// belongs to the browser session that started the trip; a reload there
// shows the success again. A re-authentication finished in another browser
// is verified and told only whether the car works; a full Connect finished
// elsewhere is sent back to the browser it started in.
//
// A HEAD cannot be answered as the GET would be without spending the
// state, so it gets an empty page and the state is left for the owner.
func (h *Handler) ConnectCallback(c echo.Context) error {
	if middleware.IsHead(c) {
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.HTMLBlob(http.StatusOK, nil)
	}
	visit := repair.Visit{SessionID: h.Sessions.SID(c)}
	if id, ok := h.Sessions.OwnerID(c); ok {
		visit.OwnerID = &id
	}
	if l, ok := h.Sessions.LinkID(c); ok {
		visit.LinkID = &l
	}
	res, err := h.Repair.Callback(c.Request().Context(), visit, c.QueryParams())
	if res.Owner != nil {
		h.Viewer.LocalizeFor(c, *res.Owner)
	}
	switch {
	case errors.Is(err, repair.ErrOtherBrowser):
		h.Log.Warn("connect callback refused", "reason", err)
		v := ownerviews.ResultView{Page: h.layout(c, render.T(c, "result.other_browser_title")), Heading: render.T(c, "result.other_browser_title"),
			Body: render.T(c, "result.other_browser_body"), Next: render.T(c, "result.other_browser_next")}
		v.Path = paths.OwnerPage()
		return render.HTML(c, http.StatusConflict, ownerviews.Result(v))
	case err == nil && res.Elsewhere:
		return h.renderElsewhere(c, res)
	case errors.Is(err, repair.ErrBadState), errors.Is(err, repair.ErrStateExpired),
		errors.Is(err, repair.ErrStateReplayed), errors.Is(err, repair.ErrStateSession),
		errors.Is(err, repair.ErrVehicleMissing):
		h.Log.Warn("connect callback refused", "reason", err)
		v := ownerviews.ResultView{Page: h.layout(c, render.T(c, "state.title")), Heading: render.T(c, "state.title"), Body: render.T(c, "state.body"), Next: render.T(c, "state.next")}
		return render.HTML(c, http.StatusBadRequest, ownerviews.Result(v))
	case err != nil:
		return err
	}
	car := carTitle(res.Vehicle)
	data := map[string]any{"Car": car, "App": h.AppName, "Make": makeName(res.Vehicle.Make)}
	v := ownerviews.ResultView{Page: h.layout(c, render.T(c, "result.error_title"))}
	switch res.Outcome {
	case repair.Fixed:
		v.Success, v.Heading, v.Body = true, render.T(c, "result.fixed_title"), render.T(c, "result.fixed_body", data)
		v.Title = v.Heading
		if res.ReturnURL != "" {
			v.ReturnURL, v.ReturnTo = res.ReturnURL, render.T(c, "result.back", data)
		}
	case repair.ConnectFailed:
		code := string(res.ConnectError)
		switch res.ConnectError {
		case smartcar.ConnectAccessDenied, smartcar.ConnectInvalidSubscription, smartcar.ConnectNoVehicles,
			smartcar.ConnectVehicleIncompatible, smartcar.ConnectConfigurationError:
		default:
			code = string(smartcar.ConnectServerError)
		}
		v.Heading, v.Body, v.Next = render.T(c, "result.error_title"), render.T(c, "connect."+code, data), render.T(c, "connect."+code+"_next", data)
		card := h.vehicleCard(c.Request().Context(), res.Vehicle)
		// Connect's own carmaker-side refusals send the owner to the
		// carmaker, whatever state the car was in before.
		switch res.ConnectError {
		case smartcar.ConnectInvalidSubscription:
			card.Fix = h.oemFix(i18n.From(c.Request().Context()), res.Vehicle.Make, model.OEMSubscription)
		case smartcar.ConnectNoVehicles:
			card.Fix = h.oemFix(i18n.From(c.Request().Context()), res.Vehicle.Make, model.OEMNoVehicles)
		}
		v.RetryVehicle = &card
	case repair.NotVerified:
		v.Heading, v.Body, v.Next = render.T(c, "result.unverified_title"), render.T(c, "result.unverified_body", data), render.T(c, "result.unverified_next")
		rk, tk := reasonKeys(res.Vehicle)
		if rk != "" && res.Vehicle.State != model.StateConnected {
			v.Body += " " + render.T(c, rk, data)
		}
		if vehicletext.FixFirst(tk) {
			// Trying again in a few minutes cannot help: the fix is at the
			// carmaker, and the card below links to it.
			v.Next = render.T(c, tk, data) + " " + render.T(c, "todo.then_try_again")
		}
		card := h.vehicleCard(c.Request().Context(), res.Vehicle)
		v.RetryVehicle = &card
	}
	v.Path = paths.OwnerPage()
	return render.HTML(c, http.StatusOK, ownerviews.Result(v))
}

// renderElsewhere answers a re-authentication finished in a browser that
// holds no owner session: what is true of the car, and nothing more about
// the owner.
func (h *Handler) renderElsewhere(c echo.Context, res repair.Result) error {
	data := map[string]any{"App": h.AppName, "Make": makeName(res.Vehicle.Make)}
	v := ownerviews.ResultView{Elsewhere: true}
	if res.Outcome == repair.Fixed {
		v.Success, v.Heading, v.Body = true, render.T(c, "result.elsewhere_fixed_title", data), render.T(c, "result.elsewhere_fixed_body", data)
	} else {
		v.Heading, v.Body = render.T(c, "result.elsewhere_unverified_title", data), render.T(c, "result.elsewhere_unverified_body", data)
	}
	v.Page = h.layout(c, v.Heading)
	v.Path = paths.Home()
	return render.HTML(c, http.StatusOK, ownerviews.Result(v))
}
