package middleware_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"log/slog"

	"github.com/labstack/echo/v4"

	"reconnect/web/middleware"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSpace(l.b.String()), "\n")
}

// A burst on a busy route is one summary line a second, not a line per
// request; refusals still get lines of their own up to a limit, and other
// routes log every request.
func TestBusyRouteLogsASummaryNotALinePerRequest(t *testing.T) {
	out := &lockedBuffer{}
	e := echo.New()
	e.Use(middleware.RequestLog(slog.New(slog.NewTextHandler(out, nil)), "/webhooks/smartcar"))
	e.POST("/webhooks/smartcar", func(c echo.Context) error {
		if c.QueryParam("bad") != "" {
			return echo.NewHTTPError(http.StatusUnauthorized)
		}
		return c.NoContent(http.StatusOK)
	})
	e.GET("/healthz", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	do := func(method, target string) {
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, target, nil))
	}
	for range 1000 {
		do(http.MethodPost, "/webhooks/smartcar")
	}
	for range 25 {
		do(http.MethodPost, "/webhooks/smartcar?bad=1")
	}
	do(http.MethodGet, "/healthz")
	time.Sleep(1200 * time.Millisecond) // the summary's second

	var summaries, refusals, health int
	for _, l := range out.lines() {
		switch {
		case strings.Contains(l, `msg="requests summary"`):
			summaries++
			if !strings.Contains(l, "status_200=1000") || !strings.Contains(l, "status_401=15") || !strings.Contains(l, "requests=1015") {
				t.Errorf("summary: %s", l)
			}
		case strings.Contains(l, "status=401"):
			refusals++
		case strings.Contains(l, "route=/healthz"):
			health++
		default:
			t.Errorf("unexpected line: %s", l)
		}
	}
	if summaries != 1 || refusals != 10 || health != 1 {
		t.Fatalf("%d summaries, %d refusal lines, %d health lines; want 1, 10, 1", summaries, refusals, health)
	}
}
