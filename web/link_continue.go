package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// linkContinue uses the link, opens an owner session with a fresh session id
// and sends the owner on, so the token leaves the address bar.
func (s *Server) linkContinue(c echo.Context) error {
	r, err := s.links.Open(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	if !r.Status.Usable() {
		return s.renderLinkStatus(c, r.Status)
	}
	if err := s.sessions.SignIn(c, r.Owner.ID); err != nil {
		return err
	}
	if err := s.sessions.SetLink(c, r.Link.ID); err != nil {
		return err
	}
	next := "/me"
	if r.Vehicle != nil {
		next += "#vehicle-" + strconv.FormatInt(r.Vehicle.ID, 10)
	}
	return c.Redirect(http.StatusSeeOther, next)
}
