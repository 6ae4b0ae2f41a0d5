package console

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/audit"
	"reconnect/internal/i18n"
	"reconnect/internal/staff"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
)

// consoleNext keeps a post-sign-in destination inside the console.
func consoleNext(next string) string {
	next = paths.SafeNext(next)
	home := paths.Console()
	if next != home && !strings.HasPrefix(next, home+"/") && !strings.HasPrefix(next, home+"?") {
		return home
	}
	return next
}

func (con *Handler) loginView(c echo.Context) consoleviews.LoginView {
	v := consoleviews.LoginView{Chrome: con.chrome(c, i18n.T(c.Request().Context(), "console.login.title"), ""), Next: c.QueryParam("next"), Email: c.QueryParam("email")}
	v.Path = paths.ConsoleLogin("")
	if con.SSO != nil {
		v.SSOName = con.SSO.Name()
	}
	v.PasswordOff = con.PasswordOff
	return v
}

// LoginPage is the sign-in form. A signed-in staff member goes straight on.
func (con *Handler) LoginPage(c echo.Context) error {
	if _, err := con.resume(c); err == nil {
		return c.Redirect(http.StatusSeeOther, consoleNext(c.QueryParam("next")))
	}
	return render.HTML(c, http.StatusOK, consoleviews.Login(con.loginView(c)))
}

// LoginSubmit signs in. Every refusal that concerns an account (unknown,
// wrong password, locked, disabled) says the same, so the page cannot be
// used to learn which accounts exist or are locked.
func (con *Handler) LoginSubmit(c echo.Context) error {
	email, password := strings.TrimSpace(c.FormValue("email")), c.FormValue("password")
	from := audit.Actor{IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
	_, token, err := con.Staff.Login(c.Request().Context(), from, email, password)
	if err != nil {
		v := con.loginView(c)
		v.Email, v.Next = email, c.FormValue("next")
		status := http.StatusUnauthorized
		switch {
		case errors.Is(err, staff.ErrRateLimited):
			status = http.StatusTooManyRequests
			v.Error = i18n.T(c.Request().Context(), "console.login.rate_limited",
				map[string]any{"Wait": max(con.Staff.Config().LoginWindow, con.Staff.Config().LockFor).Round(time.Minute).String()})
		case errors.Is(err, staff.ErrBadCredentials):
			v.Error = i18n.T(c.Request().Context(), "console.login.refused")
		default:
			return err
		}
		return render.HTML(c, status, consoleviews.Login(v))
	}
	if err := con.beginSession(c, token); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, consoleNext(c.FormValue("next")))
}

// beginSession puts a new console session's token in the browser, however
// its staff member signed in.
func (con *Handler) beginSession(c echo.Context, token string) error {
	// A session this browser held before ends with the new sign-in, so no
	// forgotten one lingers until it times out.
	if prev, err := con.resume(c); err == nil {
		if err := con.Staff.Logout(c.Request().Context(), prev, con.actor(c, prev)); err != nil {
			return err
		}
	}
	// A staff browser carries no owner session: the two never mix.
	if err := con.Sessions.SignOut(c); err != nil {
		return err
	}
	return con.saveStaffToken(c, token)
}

// RequirePasswordLogin answers 404 for the password sign-in and the
// set-password links when STAFF_PASSWORD_LOGIN=false: the identity
// provider is then the only way in.
func (con *Handler) RequirePasswordLogin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if con.PasswordOff {
			return echo.ErrNotFound
		}
		return next(c)
	}
}

// Logout ends the console session and any view as an owner with it.
func (con *Handler) Logout(c echo.Context) error {
	cur, _ := currentStaff(c)
	if err := con.Staff.Logout(c.Request().Context(), cur, con.actor(c, cur)); err != nil {
		return err
	}
	con.clearStaffCookie(c, noticeSignedOut)
	return c.Redirect(http.StatusSeeOther, paths.ConsoleLogin(""))
}

func (con *Handler) passwordView(c echo.Context) consoleviews.PasswordView {
	v := consoleviews.PasswordView{Chrome: con.chrome(c, i18n.T(c.Request().Context(), "console.password.heading"), ""), Action: c.Request().URL.Path}
	v.Path = paths.ConsoleLogin("")
	return v
}

// PasswordPage shows the set-password form; opening the link changes
// nothing, so a mail scanner cannot use it up.
func (con *Handler) PasswordPage(c echo.Context) error {
	v := con.passwordView(c)
	st, err := con.Staff.CheckPasswordLink(c.Request().Context(), c.Param("token"))
	switch {
	case errors.Is(err, staff.ErrLinkInvalid):
		v.Invalid = true
		return render.HTML(c, http.StatusNotFound, consoleviews.Password(v))
	case err != nil:
		return err
	}
	v.Email = st.Email
	return render.HTML(c, http.StatusOK, consoleviews.Password(v))
}

// PasswordSubmit sets the password and sends the staff member to sign in.
func (con *Handler) PasswordSubmit(c echo.Context) error {
	from := audit.Actor{IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
	st, err := con.Staff.SetPassword(c.Request().Context(), from, c.Param("token"), c.FormValue("password"), c.FormValue("confirm"))
	var bad *staff.InputError
	switch {
	case errors.Is(err, staff.ErrLinkInvalid):
		v := con.passwordView(c)
		v.Invalid = true
		return render.HTML(c, http.StatusNotFound, consoleviews.Password(v))
	case errors.As(err, &bad):
		v := con.passwordView(c)
		if who, cerr := con.Staff.CheckPasswordLink(c.Request().Context(), c.Param("token")); cerr == nil {
			v.Email = who.Email
		}
		v.Errors = consoleviews.FieldErrors{bad.Field: inputMessage(c, bad)}
		return render.HTML(c, http.StatusUnprocessableEntity, consoleviews.Password(v))
	case err != nil:
		return err
	}
	con.flash(c, noticePasswordSet, 0)
	return c.Redirect(http.StatusSeeOther, paths.ConsoleLoginAs(st.Email))
}
