package owner

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/links"
	ownerviews "reconnect/views/owner"
	"reconnect/web/render"
)

// CodeSubmit opens the owner's page with the short code support read out,
// as the link it belongs to would: once, within 15 minutes, and never in
// a browser where staff are signed in. Attempts are limited per address
// (and wrong codes from everyone together), so codes cannot be guessed.
func (h *Handler) CodeSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	typed := strings.TrimSpace(c.FormValue("code"))
	if len(typed) > 20 {
		typed = typed[:20]
	}
	err := h.Links.CodeAttempt(ctx, c.RealIP())
	if errors.Is(err, links.ErrTooManyCodeAttempts) {
		return h.renderCode(c, http.StatusTooManyRequests, typed, "code.too_many")
	}
	if err != nil {
		return err
	}
	r, _, err := h.Links.ResolveCode(ctx, typed)
	if err != nil {
		return err
	}
	if !r.Status.Usable() {
		return h.renderCode(c, http.StatusUnprocessableEntity, typed, codeProblem(r.Status))
	}
	if h.Viewer.StaffPresent(c) {
		h.Log.Warn("owner code refused in a staff browser", "link", r.Link.ID, "owner", r.Owner.ID)
		h.Viewer.LocalizeFor(c, r.Owner)
		return render.HTML(c, http.StatusForbidden, ownerviews.StaffBrowser(h.layout(c, render.T(c, "staff_browser.title"))))
	}
	if r, err = h.Links.OpenCode(ctx, typed); err != nil {
		return err
	}
	if !r.Status.Usable() {
		return h.renderCode(c, http.StatusUnprocessableEntity, typed, codeProblem(r.Status))
	}
	return h.openOwnerSession(c, r)
}

// codeProblem is the message for a code that opens nothing.
func codeProblem(s links.Status) string {
	switch s {
	case links.Expired:
		return "code.expired"
	case links.Used:
		return "code.used"
	}
	return "code.wrong"
}
