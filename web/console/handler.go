// Package console is the support console: staff sign in with their own
// cookie, find owners, view as them read-only, send them links, and admins
// manage staff and read the audit, webhook and job logs. Every page speaks
// the staff member's language, and everything staff see or do about an
// owner is audited.
package console

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"reconnect/internal/audit"
	"reconnect/internal/campaign"
	"reconnect/internal/database"
	"reconnect/internal/i18n"
	"reconnect/internal/mail"
	"reconnect/internal/model"
	"reconnect/internal/notify"
	"reconnect/internal/staff"
	"reconnect/internal/store"
	consoleviews "reconnect/views/console"
	"reconnect/web/middleware"
	"reconnect/web/ownercard"
	"reconnect/web/paths"
	"reconnect/web/render"
	"reconnect/web/session"
)

// Handler holds what the console uses, and nothing else.
type Handler struct {
	AppName string
	// PublicBaseURL names the page owners type a short code at, as the
	// agent reads it out.
	PublicBaseURL string
	// Secure marks the staff cookie Secure (the public address is https).
	Secure bool
	Log    *slog.Logger
	// DB is read by River UI, the job queue dashboard; nil leaves it off.
	DB       *database.DB
	Store    *store.Store
	I18n     *i18n.Catalog
	Sessions *session.Manager
	Staff    *staff.Service
	Audit    *audit.Log
	// FreshLinks emails or shows an owner a new link.
	FreshLinks FreshLinks
	// Inbox puts received events that failed for good back in line.
	Inbox InboxRetries
	// Campaigns runs migration campaigns; nil leaves their pages out (404).
	Campaigns *campaign.Service
	// Mail sends staff their test emails; nil while email is off.
	Mail mail.Sender
	// SSO signs staff in through the company's identity provider; nil
	// when none is configured.
	SSO SSO
	// OwnerCards builds the owner page's cards and summary, so that "what
	// the owner sees" is built by the owner page's own code.
	OwnerCards ownercard.Builder
	// PasswordOff leaves the identity provider as the only way in.
	PasswordOff bool
	// Sending is the sending rates and default waves (the create form's
	// hints and warnings).
	Sending Sending
}

// InboxRetries retries an event that failed for good, with the audit entry
// in the same transaction; store.ErrNotFound unless it failed.
type InboxRetries interface {
	RetryFailed(ctx context.Context, inboxID int64, by audit.Actor) (store.InboxEvent, error)
}

// FreshLinks gives an owner a new link on a staff member's behalf, with the
// audit entry in the same transaction.
type FreshLinks interface {
	// EmailReady reports whether email is configured at all.
	EmailReady() bool
	// Email refuses with notify.ErrEmailOff or notify.ErrNoAddress.
	Email(ctx context.Context, o model.Owner, by audit.Actor) error
	// Show mints a link and its short code for the phone.
	Show(ctx context.Context, o model.Owner, by audit.Actor) (notify.Shown, error)
}

// The staff cookie is separate from the owner's, so an owner session never
// opens the console and a console session never acts as an owner. It holds
// only a random token; the session itself lives in the database, so logout,
// inactivity and a disabled account take effect on every instance.
const (
	staffCookie   = "rc_staff"
	keyStaffToken = "token"
	keyStaffFlash = "flash"
	keyFlashOwner = "flash_owner"
)

func (con *Handler) staffSession(c echo.Context) *sessions.Session {
	st := con.Sessions.Store()
	sess, err := st.Get(c.Request(), staffCookie)
	if err != nil {
		// An old key or a tampered cookie: start afresh.
		sess, _ = st.New(c.Request(), staffCookie)
	}
	sess.Options = &sessions.Options{
		Path: "/", MaxAge: int(con.Staff.Config().SessionMaxAge / time.Second),
		HttpOnly: true, Secure: con.Secure, SameSite: http.SameSiteLaxMode,
	}
	return sess
}

func (con *Handler) saveStaffToken(c echo.Context, token string) error {
	sess := con.staffSession(c)
	sess.Values = map[any]any{keyStaffToken: token}
	return sess.Save(c.Request(), c.Response())
}

// clearStaffCookie forgets the session token, leaving only a notice for
// the sign-in page when n is set.
func (con *Handler) clearStaffCookie(c echo.Context, n notice) {
	sess := con.staffSession(c)
	sess.Values = map[any]any{}
	if n != "" {
		sess.Values[keyStaffFlash] = string(n)
	}
	_ = sess.Save(c.Request(), c.Response())
}

// flash leaves a one-time notice for the next console page, about the
// owner ownerID (0 for none).
func (con *Handler) flash(c echo.Context, n notice, ownerID int64) {
	sess := con.staffSession(c)
	sess.Values[keyStaffFlash], sess.Values[keyFlashOwner] = string(n), ownerID
	_ = sess.Save(c.Request(), c.Response())
}

func (con *Handler) takeFlash(c echo.Context) (tone, msg string) {
	sess := con.staffSession(c)
	key, _ := sess.Values[keyStaffFlash].(string)
	if key == "" {
		return "", ""
	}
	ownerID, _ := sess.Values[keyFlashOwner].(int64)
	if !middleware.IsHead(c) {
		// A probe shows the notice but leaves it for the page a person sees.
		delete(sess.Values, keyStaffFlash)
		delete(sess.Values, keyFlashOwner)
		_ = sess.Save(c.Request(), c.Response())
	}
	return con.noticeText(c, key, ownerID)
}

// resume finds the signed-in staff member behind the cookie.
func (con *Handler) resume(c echo.Context) (staff.Session, error) {
	token, _ := con.staffSession(c).Values[keyStaffToken].(string)
	return con.Staff.Resume(c.Request().Context(), token)
}

type staffKey struct{}

// currentStaff is the staff member RequireStaff let through.
func currentStaff(c echo.Context) (staff.Session, bool) {
	cur, ok := c.Request().Context().Value(staffKey{}).(staff.Session)
	return cur, ok
}

// actor names the staff member (or, before sign-in, nobody) and where the
// request came from, for the audit log.
func (con *Handler) actor(c echo.Context, cur staff.Session) audit.Actor {
	return cur.Actor(c.RealIP(), c.Request().UserAgent())
}

// Localize speaks the browser's language (Accept-Language, English when
// none is supported) on every console page; RequireStaff then prefers the
// language the signed-in staff member chose.
func (con *Handler) Localize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		con.localize(c, "")
		return next(c)
	}
}

// localize sets the request's language: the staff member's choice when
// there is one, else their browser's.
func (con *Handler) localize(c echo.Context, chosen string) {
	middleware.SetLocalizer(c, con.I18n.Localizer(con.I18n.Match(chosen, c.Request().Header.Get("Accept-Language"))))
}

// RequireStaff lets signed-in staff through and sends everyone else to the
// sign-in page (an owner's cookie counts for nothing here).
func (con *Handler) RequireStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		cur, err := con.resume(c)
		if errors.Is(err, staff.ErrNoSession) {
			if _, had := con.staffSession(c).Values[keyStaffToken]; had {
				con.clearStaffCookie(c, noticeSessionEnded)
			}
			req := c.Request()
			if render.IsMachine(req) || strings.HasPrefix(req.URL.Path, jobsAPI) {
				return echo.ErrUnauthorized
			}
			next := ""
			if req.Method == http.MethodGet {
				next = req.URL.RequestURI()
			}
			return c.Redirect(http.StatusSeeOther, paths.ConsoleLogin(next))
		}
		if err != nil {
			return err
		}
		// Views as an owner that ran out while nobody looked are closed by
		// a periodic job (staff.SweepWorker), not on every request.
		c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), staffKey{}, cur)))
		if cur.Staff.Locale != "" {
			con.localize(c, cur.Staff.Locale)
		}
		return next(c)
	}
}

// RequireAdmin refuses agents with a page that says so.
func (con *Handler) RequireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		cur, ok := currentStaff(c)
		if !ok {
			return echo.ErrUnauthorized
		}
		if !cur.IsAdmin() {
			con.Log.Warn("console: admin page refused", "staff", cur.Staff.Email, "path", c.Request().URL.Path)
			if strings.HasPrefix(c.Request().URL.Path, jobsAPI) {
				return echo.ErrForbidden
			}
			return render.HTML(c, http.StatusForbidden, consoleviews.Forbidden(con.chrome(c, i18n.T(c.Request().Context(), "console.forbidden.title"), "")))
		}
		return next(c)
	}
}

// chrome fills what every console page starts from: the request's
// language, wide, the console's own language choice instead of the owner
// pages' switcher, who is signed in, the impersonation banner while it
// lasts, and the one-time notice.
func (con *Handler) chrome(c echo.Context, title, section string) consoleviews.Chrome {
	p := render.Layout(c, con.AppName, title)
	p.Wide, p.HideSwitcher = true, true
	ch := consoleviews.Chrome{Page: p, Section: section}
	if cur, ok := currentStaff(c); ok {
		ch.StaffEmail, ch.StaffRole, ch.Admin = cur.Staff.Email, cur.Staff.Role, cur.IsAdmin()
		ch.StaffLocale = cur.Staff.Locale
		if c.Request().Method == http.MethodGet {
			ch.Here = c.Request().URL.RequestURI()
		}
		im, err := con.activeView(c, cur)
		if err == nil {
			ch.Banner = consoleviews.Banner(con.bannerView(c, cur, im))
		}
	}
	ch.FlashTone, ch.Flash = con.takeFlash(c)
	return ch
}

// activeViewKey holds a request's answer from activeView.
const activeViewKey = "console.active_view"

type viewLookup struct {
	im  staff.Impersonation
	err error
}

// activeView is the staff member's view as an owner (or why there is
// none), looked up once per request however many parts of the page ask.
func (con *Handler) activeView(c echo.Context, cur staff.Session) (staff.Impersonation, error) {
	if v, ok := c.Get(activeViewKey).(viewLookup); ok {
		return v.im, v.err
	}
	im, err := con.Staff.ActiveImpersonation(c.Request().Context(), cur, con.actor(c, cur))
	if err == nil || errors.Is(err, staff.ErrNoImpersonation) || errors.Is(err, staff.ErrImpersonationOver) {
		c.Set(activeViewKey, viewLookup{im, err})
	}
	return im, err
}

func (con *Handler) bannerView(c echo.Context, cur staff.Session, im staff.Impersonation) consoleviews.BannerView {
	left := im.Left(con.Store.Now())
	mins := int((left + time.Minute - 1) / time.Minute)
	return consoleviews.BannerView{
		Staff: cur.Staff.Email, Owner: ownerName(im.Owner), HostID: im.Owner.HostUserID, Reason: im.Reason,
		Until: im.ExpiresAt, MinutesLeft: max(mins, 0), CSRF: middleware.CSRFToken(c.Request().Context()),
		OwnerURL: paths.ConsoleOwner(im.Owner.ID),
	}
}

// ownerName is how the console names an owner: their name, or failing
// that their email or host user id.
func ownerName(o model.Owner) string {
	switch {
	case strings.TrimSpace(o.Name) != "":
		return o.Name
	case o.Email != "":
		return o.Email
	}
	return o.HostUserID
}
