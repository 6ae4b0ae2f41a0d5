package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"reconnect/internal/audit"
	"reconnect/internal/staff"
	consoleviews "reconnect/views/console"
	"reconnect/web/render"
)

// SSO is sign-in through the company's OpenID Connect provider
// (staff.OIDC).
type SSO interface {
	// Name is the provider's name on the button.
	Name() string
	// Begin returns where to send the browser and what it must keep.
	Begin(ctx context.Context, next string) (string, staff.OIDCState, error)
	// Finish checks the provider's answer against what the browser kept
	// (nil when nothing) and opens a console session.
	Finish(ctx context.Context, from audit.Actor, kept *staff.OIDCState, q url.Values) (staff.Session, string, error)
}

// The sign-in's state, nonce and PKCE verifier wait in a cookie of their
// own (encrypted and signed with the session keys, HttpOnly, SameSite=Lax
// so that the provider's redirect back carries it), sent only to the
// sign-in's paths and gone after the callback.
const (
	oidcCookie     = "rc_staff_oidc"
	oidcCookiePath = "/console/oidc"
)

// OIDCStart sends staff to the identity provider to sign in.
func (con *Handler) OIDCStart(c echo.Context) error {
	if con.SSO == nil {
		return echo.ErrNotFound
	}
	next := consoleNext(c.FormValue("next"))
	u, st, err := con.SSO.Begin(c.Request().Context(), next)
	if err != nil {
		return con.ssoFailed(c, err)
	}
	sess := con.oidcSession(c, int(time.Until(st.Expires)/time.Second))
	sess.Values = map[any]any{
		"state": st.State, "nonce": st.Nonce, "verifier": st.Verifier, "next": st.Next,
		"expires": strconv.FormatInt(st.Expires.Unix(), 10),
	}
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, u)
}

func (con *Handler) oidcSession(c echo.Context, maxAge int) *sessions.Session {
	st := con.Sessions.Store()
	sess, err := st.Get(c.Request(), oidcCookie)
	if err != nil {
		sess, _ = st.New(c.Request(), oidcCookie)
	}
	sess.Options = &sessions.Options{
		Path: oidcCookiePath, MaxAge: maxAge, HttpOnly: true, Secure: con.Secure, SameSite: http.SameSiteLaxMode,
	}
	return sess
}

// ssoFailed shows the sign-in page with what went wrong, in words staff
// can act on; the detail goes to the log (and, from the service, to the
// audit trail).
func (con *Handler) ssoFailed(c echo.Context, err error) error {
	var se *staff.SSOError
	if !errors.As(err, &se) {
		return err
	}
	status := http.StatusForbidden
	switch {
	case errors.Is(err, staff.ErrSSOUnavailable):
		status = http.StatusServiceUnavailable
	case errors.Is(err, staff.ErrSSOState):
		status = http.StatusBadRequest
	case errors.Is(err, staff.ErrSSOInvalid):
		status = http.StatusUnauthorized
	}
	con.Log.Warn("console: sign-in through the identity provider refused", "status", status, "err", err.Error())
	v := con.loginView(c)
	v.Error = se.Safe
	return render.HTML(c, status, consoleviews.Login(v))
}
