// Package middleware holds the app's own Echo middleware: security headers,
// request logging, CSRF and language selection.
package middleware

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/internal/i18n"
	"reconnect/web/session"
)

// SecurityHeaders sets a strict Content-Security-Policy and friends. formTargets
// are the extra origins a form may post or redirect to (Smartcar Connect:
// browsers apply form-action to the redirect after a POST); imgSources the
// extra origins images may come from (the host's logo, when BRAND_LOGO is
// an https URL).
func SecurityHeaders(formTargets, imgSources []string) echo.MiddlewareFunc {
	formAction := strings.TrimSpace("'self' " + strings.Join(formTargets, " "))
	imgSrc := strings.TrimSpace("'self' data: " + strings.Join(imgSources, " "))
	csp := "default-src 'none'; script-src 'self'; style-src 'self'; img-src " + imgSrc + "; connect-src 'self'; " +
		"form-action " + formAction + "; frame-ancestors 'none'; base-uri 'none'"
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			// Owner links carry a token in the path: never leak it onward.
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			if c.Scheme() == "https" {
				h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
			}
			return next(c)
		}
	}
}

type csrfKey struct{}

// ErrCSRF is returned when a state-changing request lacks a valid token.
var ErrCSRF = errors.New("csrf: missing or invalid token")

// CSRF protects every state-changing request: a cross-site request (by
// Sec-Fetch-Site) is refused outright, and every other one must echo the
// session-bound token in the `_csrf` form field or the X-CSRF-Token header.
// Tokens are checked even when Sec-Fetch-Site says same-origin, because older
// browsers and plain-http deployments do not send the header.
func CSRF(sessions *session.Manager, skip func(c echo.Context) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if skip != nil && skip(c) {
				return next(c)
			}
			token, err := sessions.CSRFToken(c)
			if err != nil {
				return err
			}
			req := c.Request()
			c.SetRequest(req.WithContext(context.WithValue(req.Context(), csrfKey{}, token)))
			switch req.Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				return next(c)
			}
			if req.Header.Get("Sec-Fetch-Site") == "cross-site" {
				return ErrCSRF
			}
			sent := req.Header.Get("X-CSRF-Token")
			if sent == "" {
				sent = c.FormValue("_csrf")
			}
			if sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
				return ErrCSRF
			}
			return next(c)
		}
	}
}

// CSRFToken returns the request's token for forms.
func CSRFToken(ctx context.Context) string {
	t, _ := ctx.Value(csrfKey{}).(string)
	return t
}

// Localize picks the visitor's language (switcher choice, then
// Accept-Language) and puts a localizer in the request context. Pages that
// know the owner re-localize with the owner's stored locale first.
//
// The switcher is a GET of the same page with ?lang=xx: the choice is
// remembered in the session and the page answers in place, so a page
// whose address is its credential (a link's landing page) keeps it.
func Localize(cat *i18n.Catalog, sessions *session.Manager) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if want := c.QueryParam("lang"); want != "" && c.Request().Method == http.MethodGet {
				if tag, ok := cat.Supports(want); ok && tag != sessions.Locale(c) {
					if err := sessions.SetLocale(c, tag); err != nil {
						return err
					}
				}
			}
			lang := cat.Match(sessions.Locale(c), c.Request().Header.Get("Accept-Language"))
			SetLocalizer(c, cat.Localizer(lang))
			return next(c)
		}
	}
}

// SetLocalizer replaces the request's localizer.
func SetLocalizer(c echo.Context, l *i18n.Localizer) {
	req := c.Request()
	c.SetRequest(req.WithContext(i18n.WithLocalizer(req.Context(), l)))
	c.Response().Header().Set("Content-Language", l.Lang())
}

// CrossOriginProtection refuses cross-site state-changing requests by
// Sec-Fetch-Site, or Origin against Host where browsers send no metadata.
// It guards pages whose forms carry no CSRF token (River UI's JSON API).
func CrossOriginProtection(next echo.HandlerFunc) echo.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	return func(c echo.Context) error {
		if err := cop.Check(c.Request()); err != nil {
			return ErrCSRF
		}
		return next(c)
	}
}
