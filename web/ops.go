package web

import (
	"context"
	_ "embed"
	"net/http"
	"time"

	"github.com/labstack/echo-contrib/echoprometheus"
	"github.com/labstack/echo/v4"
)

// The operations endpoints: no session, no CSRF, no key.

// healthz says the process is alive; it never touches the database, so a
// database outage does not get the process restarted.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says whether this instance can serve: the database must answer
// within the budget, so a load balancer hears "no" in well under 2 s.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 1500*time.Millisecond)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready", "database": "ok"})
}

func (s *Server) metrics() echo.HandlerFunc {
	return echoprometheus.NewHandlerWithConfig(echoprometheus.HandlerConfig{Gatherer: s.registry})
}

//go:embed openapi.json
var openAPI []byte

// openAPIDoc serves the API's description; it needs no key.
func (s *Server) openAPIDoc(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/json", openAPI)
}
