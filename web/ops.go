package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reconnect/internal/database"
)

// The operations endpoints: no session, no CSRF, no key.

// healthz says the process is alive; it never touches the database, so a
// database outage does not get the process restarted.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says whether this instance can serve: the database must answer
// within the budget, so a load balancer hears "no" in well under 2 s, and
// it must be able to take writes (database.CanWrite), since detection
// acknowledges nothing it has not written.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 1500*time.Millisecond)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
	}
	if err := s.db.CanWrite(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		status := map[string]string{"status": "unavailable", "database": "cannot write", "reason": err.Error()}
		if !errors.Is(err, database.ErrCannotWrite) {
			status["database"], status["reason"] = "unreachable", "the capacity check failed"
		}
		return c.JSON(http.StatusServiceUnavailable, status)
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready", "database": "ok"})
}

// metrics serves a scrape on the public listener only to a bearer of
// METRICS_TOKEN; without one configured the address does not exist here
// (the metrics listener, METRICS_ADDR, serves it).
func (s *Server) metrics(c echo.Context) error {
	if s.metricsToken == "" {
		return echo.ErrNotFound
	}
	sent, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	// Hashes first, so that the comparison takes as long whatever the
	// length of what was sent.
	a, b := sha256.Sum256([]byte(sent)), sha256.Sum256([]byte(s.metricsToken))
	if !ok || subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
		return echo.ErrUnauthorized
	}
	s.scrape.ServeHTTP(c.Response(), c.Request())
	return nil
}

//go:embed openapi.json
var openAPI []byte

// openAPIDoc serves the API's description; it needs no key.
func (s *Server) openAPIDoc(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/json", openAPI)
}
