package owner

import (
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/textcheck"
	ownerviews "reconnect/views/owner"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// LinkResend emails a fresh link to the address on file. It answers the same
// whether or not the address is known, so it cannot be used to find owners,
// and it is rate limited per address and per client.
func (h *Handler) LinkResend(c echo.Context) error {
	email := strings.TrimSpace(c.FormValue("email"))
	v := ownerviews.LinkProblemView{Page: h.layout(c, render.T(c, "link.expired")), Heading: render.T(c, "link.expired"), Explain: render.T(c, "link.explain"), Email: email}
	v.Path = paths.Home()
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || textcheck.Line("email", email, textcheck.Email) != nil {
		v.Error = render.T(c, "link.bad_email")
		return render.HTML(c, http.StatusUnprocessableEntity, ownerviews.LinkProblem(v))
	}
	ctx := c.Request().Context()
	okIP, err := h.Store.Hit(ctx, "resend-ip:"+c.RealIP(), 10*time.Minute, 10)
	if err != nil {
		return err
	}
	okAddr, err := h.Store.Hit(ctx, "resend-email:"+strings.ToLower(email), time.Hour, 3)
	if err != nil {
		return err
	}
	if !okIP || !okAddr {
		return echo.NewHTTPError(http.StatusTooManyRequests)
	}
	if err := h.FreshLinks.Request(ctx, strings.ToLower(email)); err != nil {
		return err
	}
	return h.renderLinkSent(c)
}
