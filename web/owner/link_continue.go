package owner

import (
	"net/http"

	"reconnect/web/paths"

	"github.com/labstack/echo/v4"
)

// LinkContinue uses the link, opens an owner session with a fresh session id
// and sends the owner on, so the token leaves the address bar.
func (h *Handler) LinkContinue(c echo.Context) error {
	r, err := h.Links.Open(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	if !r.Status.Usable() {
		return h.renderLinkStatus(c, r.Status)
	}
	if err := h.Sessions.SignIn(c, r.Owner.ID); err != nil {
		return err
	}
	if err := h.Sessions.SetLink(c, r.Link.ID); err != nil {
		return err
	}
	next := paths.OwnerPage()
	if r.Vehicle != nil {
		next = paths.OwnerVehicle(r.Vehicle.ID)
	}
	return c.Redirect(http.StatusSeeOther, next)
}
