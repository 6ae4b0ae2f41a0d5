// Package e2e drives the whole application through a real browser.
package e2e

import (
	"context"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"reconnect/internal/app"
	"reconnect/internal/config"
	"reconnect/internal/dbtest"
)

// startApp runs a complete Reconnect on a free loopback port with a fresh
// database of the dialect and returns it with its base URL.
func startApp(t testing.TB, dialect string, extra map[string]string) (*app.App, string) {
	t.Helper()
	return startAppOn(t, dialect, "127.0.0.1:0", extra)
}

// startAppOn is startApp on a given address.
func startAppOn(t testing.TB, dialect, addr string, extra map[string]string, opts ...app.Option) (*app.App, string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	env := map[string]string{
		"DATABASE_URL":    dbtest.URL(t, dialect),
		"PUBLIC_BASE_URL": base,
		"APP_NAME":        "ChargeWell",
		"LOG_LEVEL":       "warn",
		// Any free port: tests run many apps at once.
		"METRICS_ADDR": "127.0.0.1:0",
	}
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := config.Load(env)
	if err != nil {
		t.Fatal(err)
	}
	var logw io.Writer = io.Discard
	if os.Getenv("E2E_LOG") == "1" {
		logw = os.Stderr
	}
	ctx := context.Background()
	a, err := app.New(ctx, cfg, app.NewLogger(cfg, logw), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx, ln); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Shutdown(sctx)
	})
	return a, base
}

func eachDialect(t *testing.T, fn func(t *testing.T, dialect string)) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}
