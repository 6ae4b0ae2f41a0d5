package web

import (
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/views/owner"
)

// linkResend emails a fresh link to the address on file. It answers the same
// whether or not the address is known, so it cannot be used to find owners,
// and it is rate limited per address and per client.
func (s *Server) linkResend(c echo.Context) error {
	email := strings.TrimSpace(c.FormValue("email"))
	v := owner.LinkProblemView{Page: s.page(c, t(c, "link.expired")), Heading: t(c, "link.expired"), Explain: t(c, "link.explain"), Email: email}
	v.Path = "/"
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		v.Error = t(c, "link.bad_email")
		return render(c, http.StatusUnprocessableEntity, owner.LinkProblem(v))
	}
	ctx := c.Request().Context()
	okIP, err := s.store.Hit(ctx, "resend-ip:"+c.RealIP(), 10*time.Minute, 10)
	if err != nil {
		return err
	}
	okAddr, err := s.store.Hit(ctx, "resend-email:"+strings.ToLower(email), time.Hour, 3)
	if err != nil {
		return err
	}
	if !okIP || !okAddr {
		return echo.NewHTTPError(http.StatusTooManyRequests)
	}
	if err := s.freshLinks.Request(ctx, strings.ToLower(email)); err != nil {
		return err
	}
	v.Sent = true
	return render(c, http.StatusOK, owner.LinkProblem(v))
}
