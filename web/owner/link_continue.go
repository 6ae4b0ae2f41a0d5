package owner

import (
	"net/http"

	"reconnect/internal/links"
	ownerviews "reconnect/views/owner"
	"reconnect/web/paths"
	"reconnect/web/render"

	"github.com/labstack/echo/v4"
)

// LinkContinue uses the link, opens an owner session and sends the owner
// on, so the token leaves the address bar.
//
// A machine that presses the button (a mail gateway rendering the page)
// gets a neutral page: no session, nothing used up, and the timeline says
// it was a scan, not the owner. A link given to support staff (shown or
// emailed on their behalf) does not open a session in a browser where staff
// are signed in, and is not used up there: staff view as the owner
// read-only, from the console, and the owner's link keeps working for the
// owner.
func (h *Handler) LinkContinue(c echo.Context) error {
	ctx := c.Request().Context()
	if auto, why := links.IsAutomated(c.Request()); auto {
		return h.renderScanned(c, why)
	}
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
		return h.renderLinkStatus(c, c.Param("token"), r)
	}
	return h.openOwnerSession(c, r)
}

// openOwnerSession signs the owner of a link just used in and sends them
// to their page (or the car the link names).
func (h *Handler) openOwnerSession(c echo.Context, r links.Resolved) error {
	// The same owner opening a link again (the email tapped twice, a second
	// tab) keeps the session, so a trip to Connect already under way in the
	// first tab can still finish. Anyone else gets a fresh session id.
	if id, ok := h.Sessions.OwnerID(c); !ok || id != r.Owner.ID || h.Sessions.SID(c) == "" {
		if err := h.Sessions.SignIn(c, r.Owner.ID); err != nil {
			return err
		}
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

// renderScanned records a machine's press of a link's button and answers
// with a page that says nothing about the link or its owner.
func (h *Handler) renderScanned(c echo.Context, why string) error {
	if err := h.Links.RecordScan(c.Request().Context(), c.Param("token"), why); err != nil {
		return err
	}
	heading := render.T(c, "scan.title")
	v := ownerviews.LinkProblemView{Page: h.layout(c, heading), Heading: heading, Explain: render.T(c, "scan.body"), Neutral: true}
	v.Path = paths.Home()
	return render.HTML(c, http.StatusOK, ownerviews.LinkProblem(v))
}
