package console

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/i18n"
	"reconnect/internal/staff"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
	"reconnect/web/viewer"
)

// ViewAs recognises a staff member viewing as an owner (viewer.Impersonation):
// only from the staff cookie (so it takes precedence over, and ignores, any
// owner cookie), only while the view lasts, read-only, under a banner, and
// with every page written to the audit log.
func (con *Handler) ViewAs(c echo.Context) (viewer.Viewer, bool, error) {
	cur, err := con.resume(c)
	if errors.Is(err, staff.ErrNoSession) {
		return viewer.Viewer{}, false, nil
	}
	if err != nil {
		return viewer.Viewer{}, false, err
	}
	ctx := c.Request().Context()
	by := con.actor(c, cur)
	im, err := con.activeView(c, cur)
	switch {
	case errors.Is(err, staff.ErrNoImpersonation):
		return viewer.Viewer{}, false, nil
	case errors.Is(err, staff.ErrImpersonationOver):
		return viewer.Viewer{}, false, &impersonationOver{con: con, ownerID: im.OwnerID}
	case err != nil:
		return viewer.Viewer{}, false, err
	}
	req := c.Request()
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		// Every owner action is refused here, in one place, so an owner
		// handler added later cannot forget it; the error page offers a
		// link for the owner instead, and the attempt is audited.
		return viewer.Viewer{}, true, &refusedAction{con: con, cur: cur, im: im}
	}
	if err := con.Staff.RecordOwnerPage(ctx, im, by, req.URL.Path); err != nil {
		return viewer.Viewer{}, false, err
	}
	// The owner's pages speak the owner's language; the banner, the staff
	// member's.
	staffLang := con.I18n.Localizer(con.I18n.Match(cur.Staff.Locale, req.Header.Get("Accept-Language")))
	banner := consoleviews.InLanguage(staffLang, consoleviews.Banner(con.bannerView(c, cur, im)))
	return viewer.Viewer{Owner: im.Owner, ReadOnly: true, Banner: banner}, true, nil
}

// StaffSignedIn reports whether the staff cookie holds a live session
// (viewer.Impersonation).
func (con *Handler) StaffSignedIn(c echo.Context) bool {
	_, err := con.resume(c)
	return err == nil
}

// impersonationOver is returned to an owner page whose view ran out; it
// sends the staff member back to the owner in the console.
type impersonationOver struct {
	con     *Handler
	ownerID int64
}

func (e *impersonationOver) Error() string { return "impersonation ran out" }

// Respond answers for the error handler (render.Responder).
func (e *impersonationOver) Respond(c echo.Context) {
	con := e.con
	con.Log.Info("impersonation ran out", "owner", e.ownerID, "path", c.Request().URL.Path)
	con.flash(c, noticeViewOver, e.ownerID)
	_ = c.Redirect(http.StatusSeeOther, paths.ConsoleOwner(e.ownerID))
}

// refusedAction is an owner action tried while viewing as the owner. It
// wraps viewer.ErrReadOnly and carries the view, so that the refusal can
// be audited and answered.
type refusedAction struct {
	con *Handler
	cur staff.Session
	im  staff.Impersonation
}

func (e *refusedAction) Error() string { return viewer.ErrReadOnly.Error() }

func (e *refusedAction) Unwrap() error { return viewer.ErrReadOnly }

// Respond answers for the error handler (render.Responder): nothing
// changes, the attempt is audited, and the page offers a link for the owner.
func (e *refusedAction) Respond(c echo.Context) {
	con := e.con
	con.Log.Warn("request refused", "err", e, "status", http.StatusForbidden, "route", c.Path())
	if err := con.refused(c, e); err != nil {
		con.Log.Error("render refused page", "err", err)
		_ = c.String(http.StatusForbidden, viewer.ErrReadOnly.Error())
	}
}

func (con *Handler) refused(c echo.Context, e *refusedAction) error {
	req := c.Request()
	action := req.Method + " " + req.URL.Path
	if err := con.Staff.RecordRefused(req.Context(), e.im, con.actor(c, e.cur), action); err != nil {
		return err
	}
	con.localize(c, e.cur.Staff.Locale)
	ch := con.chrome(c, i18n.T(req.Context(), "console.refused.title"), "")
	ch.StaffEmail, ch.StaffRole, ch.Admin = e.cur.Staff.Email, e.cur.Staff.Role, e.cur.IsAdmin()
	ch.StaffLocale = e.cur.Staff.Locale
	ch.Banner = consoleviews.Banner(con.bannerView(c, e.cur, e.im))
	o := e.im.Owner
	v := consoleviews.RefusedView{
		Chrome: ch, OwnerID: o.ID, OwnerName: ownerName(o), OwnerURL: paths.ConsoleOwner(o.ID),
		EmailReady: con.FreshLinks.EmailReady(), HasEmail: o.Email != "",
	}
	return render.HTML(c, http.StatusForbidden, consoleviews.Refused(v))
}
