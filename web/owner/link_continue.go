package owner

import (
	"net/http"

	ownerviews "reconnect/views/owner"
	"reconnect/web/paths"
	"reconnect/web/render"

	"github.com/labstack/echo/v4"
)

// LinkContinue uses the link, opens an owner session with a fresh session id
// and sends the owner on, so the token leaves the address bar. A link given
// to support staff (shown or emailed on their behalf) does not open a
// session in a browser where staff are signed in, and is not used up there:
// staff view as the owner read-only, from the console, and the owner's link
// keeps working for the owner.
func (h *Handler) LinkContinue(c echo.Context) error {
	ctx := c.Request().Context()
	res, err := h.Links.Resolve(ctx, c.Param("token"))
	if err != nil {
		return err
	}
	if res.Status.Usable() && res.FromStaff() && h.Viewer.StaffPresent(c) {
		h.Log.Warn("owner link from staff refused in a staff browser", "link", res.Link.ID, "owner", res.Owner.ID)
		h.Viewer.LocalizeFor(c, res.Owner)
		return render.HTML(c, http.StatusForbidden, ownerviews.StaffBrowser(h.layout(c, render.T(c, "staff_browser.title"))))
	}
	r, err := h.Links.Open(ctx, c.Param("token"))
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
