package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/web/middleware"
)

// viewer is whoever is looking at an owner's pages: the owner, or a staff
// member viewing as the owner (read-only).
type viewer struct {
	Owner    model.Owner
	SID      string
	LinkID   *int64
	ReadOnly bool
	// Banner is shown on every page while staff view as the owner.
	Banner templ.Component
}

// errNoOwnerSession sends the visitor to the "open your link again" page.
var errNoOwnerSession = errors.New("no owner session")

// errReadOnly refuses owner actions to staff viewing as the owner.
var errReadOnly = errors.New("owner actions are refused while viewing as the owner")

// currentViewer finds the viewer of an owner page and localizes the request
// for them: the switcher's choice, then the owner's locale, then the browser.
func (s *Server) currentViewer(c echo.Context) (viewer, error) {
	if s.impersonation != nil {
		if v, ok, err := s.impersonation(c); err != nil || ok {
			if ok {
				s.localizeFor(c, v.Owner)
			}
			return v, err
		}
	}
	id, ok := s.sessions.OwnerID(c)
	if !ok {
		return viewer{}, errNoOwnerSession
	}
	o, err := s.store.OwnerByID(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return viewer{}, errNoOwnerSession
	}
	if err != nil {
		return viewer{}, err
	}
	v := viewer{Owner: o, SID: s.sessions.SID(c)}
	if l, ok := s.sessions.LinkID(c); ok {
		v.LinkID = &l
	}
	s.localizeFor(c, o)
	return v, nil
}

func (s *Server) localizeFor(c echo.Context, o model.Owner) {
	lang := s.i18n.Match(s.sessions.Locale(c), o.Locale, c.Request().Header.Get("Accept-Language"))
	middleware.SetLocalizer(c, s.i18n.Localizer(lang))
}

// ownerPageError renders the session page for a missing session and passes
// every other error on.
func (s *Server) ownerPageError(c echo.Context, err error) error {
	if errors.Is(err, errNoOwnerSession) {
		return s.renderLinkProblem(c, http.StatusUnauthorized, t(c, "session.title"), t(c, "session.explain"))
	}
	return err
}

// inAppBrowser reports whether the user agent is an app's built-in browser,
// where carmaker logins are often blocked.
func inAppBrowser(ua string) bool {
	for _, marker := range []string{"FBAN", "FBAV", "Instagram", "Line/", "LinkedInApp", "Twitter", "Snapchat", "GSA/", "; wv)", "MicroMessenger", "Pinterest"} {
		if strings.Contains(ua, marker) {
			return true
		}
	}
	return false
}

func formatDate(lang string, tm time.Time) string {
	switch lang {
	case "de":
		return tm.Format("2.1.2006")
	case "fr", "es":
		return tm.Format("02/01/2006")
	}
	return tm.Format("2 January 2006")
}
