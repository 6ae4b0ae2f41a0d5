package console

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/audit"
	"reconnect/internal/staff"
)

// OIDCCallback is where the identity provider sends staff back: the
// browser's kept state is taken (and its cookie deleted, whatever the
// outcome), the answer checked, and a console session opened.
func (con *Handler) OIDCCallback(c echo.Context) error {
	if con.SSO == nil {
		return echo.ErrNotFound
	}
	kept := con.takeOIDCState(c)
	from := audit.Actor{IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
	_, token, err := con.SSO.Finish(c.Request().Context(), from, kept, c.QueryParams())
	if err != nil {
		return con.ssoFailed(c, err)
	}
	if err := con.beginSession(c, token); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, consoleNext(kept.Next))
}

// takeOIDCState reads the sign-in's cookie and deletes it; nil when there
// is none, or it cannot be read.
func (con *Handler) takeOIDCState(c echo.Context) *staff.OIDCState {
	sess := con.oidcSession(c, -1)
	vals := sess.Values
	sess.Values = map[any]any{}
	_ = sess.Save(c.Request(), c.Response())
	str := func(k string) string { s, _ := vals[k].(string); return s }
	if str("state") == "" {
		return nil
	}
	exp, err := strconv.ParseInt(str("expires"), 10, 64)
	if err != nil {
		return nil
	}
	return &staff.OIDCState{
		State: str("state"), Nonce: str("nonce"), Verifier: str("verifier"), Next: str("next"),
		Expires: time.Unix(exp, 0),
	}
}
