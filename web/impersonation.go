package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"reconnect/internal/staff"
	consoleviews "reconnect/views/console"
	"reconnect/web/middleware"
)

// viewingAs is the impersonation behind the current owner page, kept on the
// request so that a refused owner action can be answered and audited.
type viewingAs struct {
	con *console
	cur staff.Session
	im  staff.Impersonation
}

type viewingAsKey struct{}

func viewingAsFrom(c echo.Context) (*viewingAs, bool) {
	v, ok := c.Request().Context().Value(viewingAsKey{}).(*viewingAs)
	return v, ok
}

// impersonationOver is returned to an owner page whose view ran out; the
// error handler sends the staff member back to the owner in the console.
type impersonationOver struct {
	con     *console
	ownerID int64
	owner   string
}

func (e *impersonationOver) Error() string { return "impersonation ran out" }

// impersonation recognises a staff member viewing as an owner: only from
// the staff cookie (so it takes precedence over, and ignores, any owner
// cookie), only while the view lasts, read-only, under a banner, and with
// every page written to the audit log.
func (con *console) impersonation(c echo.Context) (viewer, bool, error) {
	cur, err := con.resume(c)
	if errors.Is(err, staff.ErrNoSession) {
		return viewer{}, false, nil
	}
	if err != nil {
		return viewer{}, false, err
	}
	ctx := c.Request().Context()
	by := con.actor(c, cur)
	im, err := con.staff.ActiveImpersonation(ctx, cur, by)
	switch {
	case errors.Is(err, staff.ErrNoImpersonation):
		return viewer{}, false, nil
	case errors.Is(err, staff.ErrImpersonationOver):
		return viewer{}, false, &impersonationOver{con: con, ownerID: im.OwnerID, owner: ownerName(im.Owner)}
	case err != nil:
		return viewer{}, false, err
	}
	req := c.Request()
	c.SetRequest(req.WithContext(context.WithValue(ctx, viewingAsKey{}, &viewingAs{con: con, cur: cur, im: im})))
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		// Every owner action is refused here, in one place, so an owner
		// handler added later cannot forget it; the error page offers a
		// link for the owner instead, and the attempt is audited.
		return viewer{}, true, errReadOnly
	}
	if err := con.staff.RecordOwnerPage(ctx, im, by, req.URL.Path); err != nil {
		return viewer{}, false, err
	}
	return viewer{Owner: im.Owner, ReadOnly: true, Banner: consoleviews.Banner(con.bannerView(c, cur, im))}, true, nil
}

// consoleError answers the errors that belong to the console and the
// impersonation; it reports false for every other error.
func (s *Server) consoleError(err error, c echo.Context) bool {
	var over *impersonationOver
	switch {
	case errors.As(err, &over):
		s.log.Info("impersonation ran out", "owner", over.ownerID, "path", c.Request().URL.Path)
		over.con.flash(c, "info", "Your view as "+over.owner+" ran out after "+ttlWords(over.con.staff.Config().ImpersonationTTL)+" and has ended.")
		_ = c.Redirect(http.StatusSeeOther, ownerConsoleURL(over.ownerID))
		return true
	case errors.Is(err, errReadOnly):
		va, ok := viewingAsFrom(c)
		if !ok {
			return false
		}
		s.log.Warn("request refused", "err", err, "status", http.StatusForbidden, "route", c.Path())
		if rerr := va.con.refused(c, va); rerr != nil {
			s.log.Error("render refused page", "err", rerr)
			_ = c.String(http.StatusForbidden, errReadOnly.Error())
		}
		return true
	}
	return false
}

// refused answers an owner action tried while viewing as the owner: nothing
// changes, the attempt is audited, and the page offers a link for the owner.
func (con *console) refused(c echo.Context, va *viewingAs) error {
	req := c.Request()
	action := req.Method + " " + req.URL.Path
	if err := con.staff.RecordRefused(req.Context(), va.im, con.actor(c, va.cur), action); err != nil {
		return err
	}
	middleware.SetLocalizer(c, con.i18n.Localizer("en"))
	ch := con.chrome(c, "Owner actions are off", "")
	ch.StaffEmail, ch.StaffRole, ch.Admin = va.cur.Staff.Email, va.cur.Staff.Role, va.cur.IsAdmin()
	ch.Banner = consoleviews.Banner(con.bannerView(c, va.cur, va.im))
	o := va.im.Owner
	v := consoleviews.RefusedView{
		Chrome: ch, OwnerID: o.ID, OwnerName: ownerName(o), OwnerURL: ownerConsoleURL(o.ID),
		EmailReady: con.freshLinks.EmailReady(), HasEmail: o.Email != "",
	}
	return render(c, http.StatusForbidden, consoleviews.Refused(v))
}
