package console

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/links"
	"reconnect/internal/notify"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// LinkSend emails the owner a fresh link. The timeline, the audit log and
// the email are written in one transaction, so each exists only with the others.
func (con *Handler) LinkSend(c echo.Context) error {
	o, err := con.ownerParam(c)
	if err != nil {
		return err
	}
	back := paths.ConsoleOwner(o.ID)
	cur, _ := currentStaff(c)
	err = con.FreshLinks.Email(c.Request().Context(), o, con.actor(c, cur))
	switch {
	case errors.Is(err, notify.ErrEmailOff):
		con.flash(c, noticeEmailOff, o.ID)
		return c.Redirect(http.StatusSeeOther, back)
	case errors.Is(err, notify.ErrNoAddress):
		con.flash(c, noticeNoAddress, o.ID)
		return c.Redirect(http.StatusSeeOther, back)
	case err != nil:
		return err
	}
	con.flash(c, noticeLinkSent, o.ID)
	return c.Redirect(http.StatusSeeOther, back)
}

// LinkShow makes a fresh link, and a short code for the phone, and shows
// them this once, to read out or paste. Only their hashes are stored, so
// they cannot be shown again.
func (con *Handler) LinkShow(c echo.Context) error {
	o, err := con.ownerParam(c)
	if err != nil {
		return err
	}
	cur, _ := currentStaff(c)
	m, err := con.FreshLinks.Show(c.Request().Context(), o, con.actor(c, cur))
	if err != nil {
		return err
	}
	v, err := con.ownerView(c, o)
	if err != nil {
		return err
	}
	v.Shown = &consoleviews.ShownLink{URL: m.URL, Expires: m.ExpiresAt, Code: links.FormatCode(m.Code), CodeExpires: m.CodeExpiresAt, CodeURL: con.PublicBaseURL + paths.Code()}
	return render.HTML(c, http.StatusOK, consoleviews.Owner(v))
}
