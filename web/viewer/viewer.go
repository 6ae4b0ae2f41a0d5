// Package viewer answers "who is looking at this owner page?": the owner
// of the owner session, or a staff member viewing as an owner, read-only,
// under a banner. The console supplies the second through Impersonation,
// wired in web.New, so the owner pages and the console never import each
// other.
package viewer

import (
	"errors"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"reconnect/internal/i18n"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/web/middleware"
	"reconnect/web/session"
)

// Viewer is whoever is looking at an owner's pages: the owner, or a staff
// member viewing as the owner (read-only).
type Viewer struct {
	Owner    model.Owner
	SID      string
	LinkID   *int64
	ReadOnly bool
	// Banner is shown on every page while staff view as the owner.
	Banner templ.Component
}

// ErrNoOwnerSession sends the visitor to the "open your link again" page.
var ErrNoOwnerSession = errors.New("no owner session")

// ErrReadOnly refuses owner actions to staff viewing as the owner. The
// console returns an error that wraps it and answers the refusal itself.
var ErrReadOnly = errors.New("owner actions are refused while viewing as the owner")

// Impersonation recognises a staff member viewing as an owner. ok is false
// when nobody is; an error may also answer the request itself (see
// render.Responder).
type Impersonation interface {
	ViewAs(c echo.Context) (v Viewer, ok bool, err error)
	// StaffSignedIn reports whether the request carries a valid staff
	// session, viewing as an owner or not.
	StaffSignedIn(c echo.Context) bool
}

// Finder finds the viewer of an owner page.
type Finder struct {
	sessions      *session.Manager
	store         *store.Store
	i18n          *i18n.Catalog
	impersonation Impersonation
}

// New returns a Finder; impersonation may be nil, when nobody can view as
// an owner.
func New(sessions *session.Manager, st *store.Store, cat *i18n.Catalog, impersonation Impersonation) *Finder {
	return &Finder{sessions: sessions, store: st, i18n: cat, impersonation: impersonation}
}

// Current finds the viewer of an owner page and localizes the request for
// them: the switcher's choice, then the owner's locale, then the browser.
// Staff viewing as an owner come first, and ignore any owner cookie.
func (f *Finder) Current(c echo.Context) (Viewer, error) {
	v, _, err := f.current(c, false)
	return v, err
}

// CurrentPage is Current for the owner's page: the owner is read together
// with their vehicles (store.OwnerPageOf), in one query for an owner's own
// session.
func (f *Finder) CurrentPage(c echo.Context) (Viewer, store.OwnerPage, error) {
	return f.current(c, true)
}

func (f *Finder) current(c echo.Context, page bool) (Viewer, store.OwnerPage, error) {
	ctx := c.Request().Context()
	var p store.OwnerPage
	if f.impersonation != nil {
		if v, ok, err := f.impersonation.ViewAs(c); err != nil || ok {
			if ok {
				f.LocalizeFor(c, v.Owner)
				if page {
					p, err = f.store.OwnerPageOf(ctx, v.Owner.ID)
				}
			}
			return v, p, err
		}
	}
	id, ok := f.sessions.OwnerID(c)
	if !ok {
		return Viewer{}, p, ErrNoOwnerSession
	}
	var o model.Owner
	var err error
	if page {
		p, err = f.store.OwnerPageOf(ctx, id)
		o = p.Owner
	} else {
		o, err = f.store.OwnerByID(ctx, id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return Viewer{}, p, ErrNoOwnerSession
	}
	if err != nil {
		return Viewer{}, p, err
	}
	v := Viewer{Owner: o, SID: f.sessions.SID(c)}
	if l, ok := f.sessions.LinkID(c); ok {
		v.LinkID = &l
	}
	f.LocalizeFor(c, o)
	return v, p, nil
}

// StaffPresent reports whether a support staff member is signed in to the
// console in this browser. An owner link given to staff must not open an
// owner session there: the actions would be recorded as the owner's.
func (f *Finder) StaffPresent(c echo.Context) bool {
	return f.impersonation != nil && f.impersonation.StaffSignedIn(c)
}

// LocalizeFor speaks to o: the switcher's choice, then o's locale, then
// the browser's.
func (f *Finder) LocalizeFor(c echo.Context, o model.Owner) {
	lang := f.i18n.Match(f.sessions.Locale(c), o.Locale, c.Request().Header.Get("Accept-Language"))
	middleware.SetLocalizer(c, f.i18n.Localizer(lang))
}
