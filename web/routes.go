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
	api := e.Group("/api/v1", s.apiAuth)
	s.apiRoutes(api)
	s.detectionRoutes(e, api)

	// Pages for people: every state-changing form carries a CSRF token.
	pages := e.Group("", middleware.CSRF(s.sessions, nil))
	pages.GET("/", s.homePage)
	pages.POST("/language", s.languageSubmit)
}

// safeNext accepts only a local path, so a form's "next" field can never
// send anyone to another site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}
