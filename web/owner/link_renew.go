package owner

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/links"
	"reconnect/web/paths"
)

// LinkRenew emails a fresh link to the owner an expired (or used) link
// names, in one click from the expired-link page. A machine's press sends
// nothing; a link that still works goes back to its landing page.
func (h *Handler) LinkRenew(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.Param("token")
	if auto, why := links.IsAutomated(c.Request()); auto {
		return h.renderScanned(c, why)
	}
	r, err := h.Links.Resolve(ctx, token)
	if err != nil {
		return err
	}
	if r.Status.Usable() {
		return c.Redirect(http.StatusSeeOther, paths.Link(token))
	}
	if !h.canRenew(r) {
		return h.renderLinkStatus(c, token, r)
	}
	h.Viewer.LocalizeFor(c, r.Owner)
	okIP, err := h.Store.Hit(ctx, "resend-ip:"+c.RealIP(), 10*time.Minute, 10)
	if err != nil {
		return err
	}
	okOwner, err := h.Store.Hit(ctx, "renew-owner:"+strconv.FormatInt(r.Owner.ID, 10), time.Hour, 3)
	if err != nil {
		return err
	}
	if !okIP || !okOwner {
		return echo.NewHTTPError(http.StatusTooManyRequests)
	}
	if err := h.FreshLinks.Request(ctx, strings.ToLower(r.Owner.Email)); err != nil {
		return err
	}
	return h.renderLinkSent(c)
}
