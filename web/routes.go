package web

import (
	"strings"

	"github.com/labstack/echo/v4"

	"reconnect/static"
	"reconnect/web/middleware"
)

// routes is the route table: who can reach what, grouped by audience.
func (s *Server) routes() {
	e := s.e

	// Operations: no session, no CSRF.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metricsHandler())
	e.GET(static.Prefix+"*", echo.WrapHandler(static.Handler()))

	// The host app's backend: API key, JSON, no cookies and so no CSRF.
	e.GET("/api/v1/openapi.json", s.openAPIDoc)
	api := e.Group("/api/v1", s.apiAuth)
	s.apiRoutes(api)
	s.detectionRoutes(e, api)

	// Pages for people: in the visitor's language, and every state-changing
	// form carries a CSRF token. Machines (webhooks, API) skip both.
	pages := e.Group("", middleware.Localize(s.i18n, s.sessions), middleware.CSRF(s.sessions, nil))
	pages.GET("/", s.homePage)
	pages.POST("/language", s.languageSubmit)

	// Owners: a link opens a session scoped to one owner.
	pages.GET("/l/:token", s.linkLanding)
	pages.POST("/l/:token", s.linkContinue)
	pages.POST("/links/resend", s.linkResend)
	pages.GET("/me", s.ownerPage)
	pages.POST("/me/vehicles/:id/reconnect", s.vehicleReconnect)
	pages.GET("/me/vehicles/:id/decline", s.vehicleDeclinePage)
	pages.POST("/me/vehicles/:id/decline", s.vehicleDeclineSubmit)
	// Smartcar Connect sends the owner back here (a cross-site GET, which the
	// Lax session cookie allows).
	pages.GET("/connect/callback", s.connectCallback)
	s.emailRoutes(e, pages)

	// Support staff: their own cookie, roles, and an audit trail.
	s.consoleRoutes(e)
}

// safeNext accepts only a local path, so a form's "next" field can never
// send anyone to another site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}
